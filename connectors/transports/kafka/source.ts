import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { headerValue as header } from './header.ts';
import { messageIndex, type KeyDecoder } from './messages.ts';
import type { Offsets } from './topics.ts';
import type { DatasetName } from '../../../generators/generator.ts';
import type { Checkpoint } from '../../../pipeline/sink.ts';
import type { Source, SourceBatch, SourceRecord } from '../../../pipeline/source.ts';

export interface KafkaSourceOptions {
  kafka: Kafka;
  dataset: DatasetName;
  topic: string;
  groupId: string;
  /** The run's first offset in every partition: nothing before it is the run's. */
  start: Offsets;
  /** The run's end offsets, known once producing has finished (seed 004: stop at the watermark). */
  end: Promise<Offsets>;
  /** The run whose `harness` headers name records; a header of another run names none. */
  runId: string;
  /** Record key -> index, when the generator's keys are invertible. */
  decode: KeyDecoder;
  /** Awaited before the consumer connects, when this is the first contact with the brokers (it bounds that contact). */
  firstContact?: () => Promise<void>;
}

interface Delivery {
  partition: number;
  messages: KafkaMessage[];
  taken: number;
  /** Bytes of its values, counted against QUEUED_BYTES until it is taken whole. */
  bytes: number;
  release: () => void;
}

/**
 * Bytes of fetched records that may wait here: kafkajs goes on fetching until this much is queued,
 * so the pipeline finds whole batches waiting rather than one fetch at a time.
 */
const QUEUED_BYTES = 16 * 2 ** 20;

/**
 * A consumer-group member reading one topic between the run's start and end offsets. Offsets the
 * sink committed win over the group's own: the consumer seeks to them on start, so a restart
 * resumes exactly after the last committed batch. kafkajs pushes batches; each goes back to it as
 * soon as it is taken, so the next fetch overlaps the pipeline's work, and consecutive ones of a
 * partition make one pipeline batch (a fetch holds a few hundred records; a transaction for each
 * cost half the rate). The group's offsets are committed by hand from `committed()`, so they never
 * run ahead of the sink's.
 */
export class KafkaSource implements Source {
  readonly dataset: DatasetName;
  private consumer: Consumer | null = null;
  private readonly positions = new Map<number, number>();
  private endOffsets: Offsets | null = null;
  private readonly queue: Delivery[] = [];
  private current: Delivery | null = null;
  private closed = false;

  constructor(private readonly options: KafkaSourceOptions) {
    this.dataset = options.dataset;
    void options.end.then((end) => {
      this.endOffsets = end;
    });
  }

  private sourceName(partition: number): string {
    return `${this.options.topic}:${partition}`;
  }

  async open(checkpoints: Map<string, Checkpoint>): Promise<void> {
    const { kafka, topic, groupId, start } = this.options;
    await this.options.firstContact?.();
    for (const [partition, offset] of Object.entries(start)) {
      const p = Number(partition);
      this.positions.set(p, checkpoints.get(this.sourceName(p))?.position ?? offset);
    }
    // A killed member holds its partitions until its session times out: keep that short.
    const consumer = kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 250,
      sessionTimeout: 10_000,
      rebalanceTimeout: 10_000,
      heartbeatInterval: 1000,
      retry: { retries: 15 },
    });
    this.consumer = consumer;
    // Seeking saves re-reading what the sink already has, and after a crash and rejoin it is what
    // puts kafkajs back at the sink's offsets rather than the group's. Listened to before the
    // first join, which may come as soon as the consumer runs.
    consumer.on(consumer.events.GROUP_JOIN, () => {
      for (const [partition, offset] of this.positions) {
        try {
          consumer.seek({ topic, partition, offset: String(offset) });
        } catch {
          // A rejoin in progress: the skip below covers what is re-read.
        }
      }
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      // Every partition's next batch can wait in the queue while the pipeline works on one.
      partitionsConsumedConcurrently: Math.max(1, Object.keys(start).length),
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning }) => {
        const from = this.positions.get(batch.partition) ?? 0;
        const until = this.endOffsets?.[batch.partition] ?? Infinity;
        const messages = batch.messages.filter((m) => Number(m.offset) >= from && Number(m.offset) < until);
        if (messages.length > 0) {
          let released = false;
          const bytes = messages.reduce((n, m) => n + (m.value?.length ?? 0), 0);
          const done = new Promise<void>((release) => this.queue.push({ partition: batch.partition, messages, taken: 0, bytes, release }));
          void done.then(() => (released = true));
          if (this.queue.reduce((n, d) => n + d.bytes, 0) <= QUEUED_BYTES) this.queue.at(-1)?.release();
          // Keep the group membership alive while the pipeline works through the batch.
          while (!released && isRunning() && !this.closed) {
            await Promise.race([done, new Promise((r) => setTimeout(r, 2000))]);
            if (!released) await heartbeat().catch(() => {});
          }
        }
        if (!this.closed) resolveOffset(batch.lastOffset());
      },
    });
  }

  async next(maxRecords: number): Promise<SourceBatch | 'idle' | 'end'> {
    const records: SourceRecord[] = [];
    let partition: number | null = null;
    while (records.length < maxRecords) {
      const delivery: Delivery | null = this.current ?? this.nextDelivery(partition);
      if (!delivery) break;
      this.current = delivery;
      const from: number = delivery.partition;
      partition = from;
      const slice = delivery.messages.slice(delivery.taken, delivery.taken + maxRecords - records.length);
      delivery.taken += slice.length;
      for (const message of slice) records.push(this.record(from, message));
      this.positions.set(from, Number((slice.at(-1) as KafkaMessage).offset) + 1);
      if (delivery.taken >= delivery.messages.length) {
        delivery.release();
        this.current = null;
      }
    }
    if (partition === null) return this.finished() ? 'end' : 'idle';
    const position = this.positions.get(partition) as number;
    const end = this.endOffsets?.[partition];
    return { records, checkpoint: { source: this.sourceName(partition), position, done: end !== undefined && position >= end } };
  }

  /** The next queued delivery with records not yet taken; of `partition` when given, since a batch holds one partition. */
  private nextDelivery(partition: number | null): Delivery | null {
    for (;;) {
      const at = partition === null ? (this.queue.length > 0 ? 0 : -1) : this.queue.findIndex((d) => d.partition === partition);
      if (at === -1) return null;
      const [delivery] = this.queue.splice(at, 1) as [Delivery];
      // A consumer that crashed and rejoined delivers again what was taken already.
      const from = this.positions.get(delivery.partition) ?? 0;
      delivery.messages = delivery.messages.filter((m) => Number(m.offset) >= from);
      if (delivery.messages.length > 0) return delivery;
      delivery.release();
    }
  }

  /** The sink committed `batch`: the group's offset follows, for whoever watches its lag. */
  committed(batch: SourceBatch): void {
    const partition = Number(batch.checkpoint.source.slice(this.options.topic.length + 1));
    void this.consumer?.commitOffsets([{ topic: this.options.topic, partition, offset: String(batch.checkpoint.position) }]).catch(() => {});
  }

  private record(partition: number, message: KafkaMessage): SourceRecord {
    const headers: Record<string, string> = {};
    for (const name of Object.keys(message.headers ?? {})) headers[name] = header(message, name) as string;
    return {
      bytes: message.value ?? Buffer.alloc(0),
      source: this.sourceName(partition),
      position: Number(message.offset),
      // CreateTime: the producing client stamps each message as it sends it.
      producedAtMs: Number(message.timestamp),
      recordIndex: messageIndex(message, this.options.runId, this.options.decode),
      key: message.key,
      headers,
    };
  }

  private finished(): boolean {
    const end = this.endOffsets;
    if (!end || this.queue.length > 0) return false;
    return Object.entries(end).every(([partition, offset]) => (this.positions.get(Number(partition)) ?? 0) >= offset);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const delivery of [this.current, ...this.queue]) delivery?.release();
    await this.consumer?.disconnect().catch(() => {});
  }
}
