import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { HARNESS_HEADER, headerValue as header, parseHarnessHeader } from './header.ts';
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
 * the pipeline has committed it.
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
    // Seeking saves re-reading what the sink already has; correctness does not need it, since
    // anything below the sink's offsets is skipped. After a crash and rejoin kafkajs resumes from
    // the group's commits, which never run ahead of the sink's.
    consumer.on(consumer.events.GROUP_JOIN, () => {
      for (const [partition, offset] of this.positions) {
        try {
          consumer.seek({ topic, partition, offset: String(offset) });
        } catch {
          // A rejoin in progress: the skip below covers it.
        }
      }
    });
  }

  async next(maxRecords: number): Promise<SourceBatch | 'idle' | 'end'> {
    // Being asked again means the previous batch is committed: hand its Kafka batch back.
    if (this.current && this.current.taken >= this.current.messages.length) {
      this.current.release();
      this.current = null;
    }
    while (!this.current && this.queue.length > 0) {
      const delivery = this.queue.shift() as Delivery;
      // A consumer that crashed and rejoined delivers again what is still queued here.
      const from = this.positions.get(delivery.partition) ?? 0;
      delivery.messages = delivery.messages.filter((m) => Number(m.offset) >= from);
      if (delivery.messages.length > 0) this.current = delivery;
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
    return {
      records: slice.map((m) => this.record(delivery.partition, m)),
      checkpoint: { source: this.sourceName(delivery.partition), position, done: end !== undefined && position >= end },
    };
  }

  private record(partition: number, message: KafkaMessage): SourceRecord {
    const harness = parseHarnessHeader(header(message, HARNESS_HEADER));
    const headers: Record<string, string> = {};
    for (const name of Object.keys(message.headers ?? {})) headers[name] = header(message, name) as string;
    return {
      bytes: message.value ?? Buffer.alloc(0),
      source: this.sourceName(partition),
      position: Number(message.offset),
      producedAtMs: harness ? harness.sentAtMs : Number(message.timestamp),
      recordIndex: harness ? harness.index : null,
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
