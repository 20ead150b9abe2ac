import { randomBytes } from 'node:crypto';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Offsets } from './topics.ts';
import { asError } from '../../../core/errors.ts';

/** A read that makes no progress for this long fails instead of hanging. */
const STALL_MS = 120_000;

/** An error thrown by the caller's page handler: passed on as it is, never taken for the broker's. */
export class PageError extends Error {}

/** A scan in progress: where it stops, and what is left. */
interface Active<T> {
  end: Map<number, number>;
  pending: Set<number>;
  onPage: (items: T[]) => void;
  ours: number;
  others: number;
  /** Progress: restarts the stall timer. */
  progressed: () => void;
  settle: (error?: Error) => void;
}

/** What a bounded read makes of a message: an item, or null for a message of another run. */
export type MessageReader<T> = (partition: number, message: KafkaMessage) => T | null;

/**
 * One topic read once, from given start offsets to the high watermarks when the scan begins (seed
 * 004: bounded, never a whole-topic scan). Its consumer is a group of its own that never commits (it
 * seeks to the start), so nothing is left behind in the cluster's offsets. It joins at once and stays
 * paused until it is scanned, so the join's seconds overlap other work.
 */
export class BoundedTopicRead<T> {
  readonly topic: string;
  private readonly consumer: Consumer;
  private readonly started: Promise<void>;
  /** Per partition, the next offset to read. */
  private readonly positions = new Map<number, number>();
  private assigned: number[] = [];
  private active: Active<T> | null = null;
  private scanned = false;
  private failure: Error | null = null;

  constructor(
    private readonly kafka: Kafka,
    private readonly range: { name: string; start: Offsets },
    groupPrefix: string,
    private readonly read: MessageReader<T>,
  ) {
    this.topic = range.name;
    for (const [partition, offset] of Object.entries(range.start)) this.positions.set(Number(partition), offset);
    this.consumer = kafka.consumer({
      groupId: `${groupPrefix}-${randomBytes(4).toString('hex')}`,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 250,
      retry: { retries: 15 },
    });
    this.started = this.start();
    // Surfaced by scan(); a reader closed unscanned has nothing to report.
    this.started.catch(() => {});
  }

  private async start(): Promise<void> {
    const { consumer, topic } = this;
    // Emitted before the first fetch of every (re)join: every partition goes to its position, and
    // waits paused unless a scan needs it.
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.assigned = payload.memberAssignment[topic] ?? [];
      for (const partition of this.assigned) this.seek(partition);
      const idle = this.assigned.filter((partition) => !this.active?.pending.has(partition));
      if (idle.length > 0) this.pause(idle);
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) this.fail(payload.error);
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    consumer
      .run({
        autoCommit: false,
        partitionsConsumedConcurrently: Math.max(1, Object.keys(this.range.start).length),
        eachBatch: (payload) => this.batch(payload),
      })
      .catch((error: unknown) => this.fail(error));
  }

  /** Streams what the reader makes of the messages between the start and the high watermarks now, once. */
  async scan(onPage: (items: T[]) => void): Promise<{ ours: number; others: number }> {
    if (this.scanned) throw new Error(`${this.topic} was already read`);
    this.scanned = true;
    await this.started;
    if (this.failure) throw this.failure;
    const end = await this.highWatermarks();
    const pending = new Set<number>();
    for (const [partition, { high, low }] of end) {
      // Retention may have deleted the run's first letters: they are then missed, never waited for.
      const from = Math.max(this.positions.get(partition) ?? 0, low);
      this.positions.set(partition, from);
      if (from < high) pending.add(partition);
    }
    if (pending.size === 0) return { ours: 0, others: 0 };
    return new Promise((resolve, reject) => {
      let stall: NodeJS.Timeout | undefined;
      const active: Active<T> = {
        end: new Map([...end].map(([partition, { high }]) => [partition, high])),
        pending,
        onPage,
        ours: 0,
        others: 0,
        progressed: () => {
          clearTimeout(stall);
          stall = setTimeout(() => {
            const left = [...pending].map((p) => `partition ${p} at ${this.positions.get(p)} of ${active.end.get(p)}`).join(', ');
            active.settle(new Error(`no progress for ${STALL_MS / 1000} s (${left})`));
          }, STALL_MS);
        },
        settle: (error) => {
          if (this.active !== active) return;
          this.active = null;
          clearTimeout(stall);
          this.pause(this.assigned);
          if (error === undefined) resolve({ ours: active.ours, others: active.others });
          else reject(error);
        },
      };
      this.active = active;
      active.progressed();
      // Not joined yet: the join leaves these running.
      this.resume([...pending].filter((partition) => this.assigned.includes(partition)));
    });
  }

  private async batch({ batch }: EachBatchPayload): Promise<void> {
    const { partition } = batch;
    const position = this.positions.get(partition) ?? 0;
    const active = this.active;
    if (!active) {
      // Not being read: back to where it was, and wait.
      this.seek(partition);
      this.pause([partition]);
      return;
    }
    const limit = active.end.get(partition) ?? 0;
    const items: T[] = [];
    for (const message of batch.messages) {
      const offset = Number(message.offset);
      if (offset < position || offset >= limit) continue;
      const item = this.read(partition, message);
      if (item !== null) items.push(item);
      else active.others++;
    }
    this.positions.set(partition, Math.max(position, Number(batch.lastOffset()) + 1));
    active.ours += items.length;
    if (items.length > 0) {
      try {
        active.onPage(items);
      } catch (error) {
        active.settle(new PageError('a page handler failed', { cause: error }));
        return;
      }
    }
    active.progressed();
    if ((this.positions.get(partition) as number) >= limit && active.pending.delete(partition)) {
      // Nothing past the run's end is fetched.
      this.pause([partition]);
    }
    if (active.pending.size === 0) active.settle();
  }

  /** Each partition's high watermark (where the read stops) and low one (what retention kept), now. */
  private async highWatermarks(): Promise<Map<number, { high: number; low: number }>> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(this.topic);
      return new Map(offsets.map((o) => [o.partition, { high: Number(o.high), low: Number(o.low) }]));
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }

  private seek(partition: number): void {
    try {
      this.consumer.seek({ topic: this.topic, partition, offset: String(this.positions.get(partition) ?? 0) });
    } catch {
      // Between a crash and the restart: the next join seeks.
    }
  }

  private pause(partitions: number[]): void {
    if (partitions.length === 0) return;
    try {
      this.consumer.pause([{ topic: this.topic, partitions }]);
    } catch {
      // Between a crash and the restart: the next join pauses.
    }
  }

  private resume(partitions: number[]): void {
    if (partitions.length === 0) return;
    try {
      this.consumer.resume([{ topic: this.topic, partitions }]);
    } catch {
      // Between a crash and the restart: the next join leaves them running.
    }
  }

  private fail(error: unknown): void {
    if (this.active) this.active.settle(asError(error));
    else this.failure = asError(error);
  }

  async close(): Promise<void> {
    this.active?.settle(new Error('closed'));
    await this.consumer.disconnect().catch(() => {});
  }
}
