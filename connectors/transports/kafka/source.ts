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
  release: () => void;
}

/**
 * A consumer-group member reading one topic between the run's start and end offsets. Offsets the
 * sink committed win over the group's own: the consumer seeks to them on start, so a restart
 * resumes exactly after the last committed batch. kafkajs pushes batches; each waits here until
 * the sink has committed its last slice (`committed()`), so the group's own commits never run
 * ahead of the sink's.
 */
export class KafkaSource implements Source {
  readonly dataset: DatasetName;
  private consumer: Consumer | null = null;
  private readonly positions = new Map<number, number>();
  private endOffsets: Offsets | null = null;
  private readonly queue: Delivery[] = [];
  private current: Delivery | null = null;
  /** Slices handed out and not yet committed, in order, each with the deliveries its commit releases. */
  private readonly uncommitted: { batch: SourceBatch; releases: Delivery[] }[] = [];
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
      autoCommit: true,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning }) => {
        const from = this.positions.get(batch.partition) ?? 0;
        const until = this.endOffsets?.[batch.partition] ?? Infinity;
        const messages = batch.messages.filter((m) => Number(m.offset) >= from && Number(m.offset) < until);
        if (messages.length > 0) {
          let released = false;
          const done = new Promise<void>((release) => this.queue.push({ partition: batch.partition, messages, taken: 0, release }));
          void done.then(() => (released = true));
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
    // Handed out whole: released once its last slice is committed (`committed()`).
    if (this.current && this.current.taken >= this.current.messages.length) this.current = null;
    while (!this.current && this.queue.length > 0) {
      const delivery = this.queue.shift() as Delivery;
      // A consumer that crashed and rejoined delivers again what is still queued here.
      const from = this.positions.get(delivery.partition) ?? 0;
      delivery.messages = delivery.messages.filter((m) => Number(m.offset) >= from);
      if (delivery.messages.length > 0) this.current = delivery;
      // Nothing new: given back with the slices that hold its messages.
      else if (this.uncommitted.length > 0) this.uncommitted.at(-1)?.releases.push(delivery);
      else delivery.release();
    }
    const delivery = this.current;
    if (!delivery) return this.finished() ? 'end' : 'idle';
    const slice = delivery.messages.slice(delivery.taken, delivery.taken + maxRecords);
    delivery.taken += slice.length;
    const last = slice.at(-1) as KafkaMessage;
    const position = Number(last.offset) + 1;
    this.positions.set(delivery.partition, position);
    const end = this.endOffsets?.[delivery.partition];
    const batch: SourceBatch = {
      records: slice.map((m) => this.record(delivery.partition, m)),
      checkpoint: { source: this.sourceName(delivery.partition), position, done: end !== undefined && position >= end },
    };
    this.uncommitted.push({ batch, releases: delivery.taken >= delivery.messages.length ? [delivery] : [] });
    return batch;
  }

  /** The sink committed `batch` (and every one before it): a Kafka batch whose last slice it was goes back to kafkajs. */
  committed(batch: SourceBatch): void {
    for (let next = this.uncommitted.shift(); next; next = this.uncommitted.shift()) {
      for (const delivery of next.releases) delivery.release();
      if (next.batch === batch) return;
    }
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
    for (const delivery of [this.current, ...this.queue, ...this.uncommitted.flatMap((u) => u.releases)]) delivery?.release();
    await this.consumer?.disconnect().catch(() => {});
  }
}
