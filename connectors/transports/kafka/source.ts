import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { headerValue as header } from './header.ts';
import { messageIndex, type KeyDecoder } from './messages.ts';
import type { Offsets } from './topics.ts';
import type { DatasetName } from '../../../generators/generator.ts';
import type { Checkpoint } from '../../../pipeline/sink.ts';
import type { CheckpointReader, Source, SourceBatch, SourceRecord } from '../../../pipeline/source.ts';

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
 * How often a member waiting for the pipeline to take a batch heartbeats: a rebalance reaches it
 * within this long, and it gives the batch back rather than hold the group up (rebalanceTimeout).
 */
const WAIT_TICK_MS = 1000;

/** How often a member done with its own partitions asks the sink whether the other members are done with theirs (one small query). */
const FINISH_POLL_MS = 500;

/**
 * A consumer-group member reading one topic between the run's start and end offsets. Offsets the
 * sink committed win over the group's own: the consumer seeks to them on start, so a restart
 * resumes exactly after the last committed batch. kafkajs pushes batches; each goes back to it as
 * soon as it is taken, so the next fetch overlaps the pipeline's work, and consecutive ones of a
 * partition make one pipeline batch (a fetch holds a few hundred records; a transaction for each
 * cost half the rate). The group's offsets are committed by hand from `committed()`, so they never
 * run ahead of the sink's.
 *
 * Several processes (`harness pipeline` started more than once) share the partitions as members
 * of the run's group. Each knows only its own: a partition the group hands it starts from the
 * sink's checkpoint, read again at that moment (another member may have committed beyond what this
 * one remembers, and the group's offsets trail the sink's), and it has finished when the sink's
 * checkpoints put every partition of the run at its end. A member that lost a partition but still
 * writes a batch of it (a zombie, paused past its session) adds nothing: rows and dead letters are
 * idempotent by key, and the sink never moves a checkpoint back (pipeline/sink.ts).
 */
export class KafkaSource implements Source {
  readonly dataset: DatasetName;
  private consumer: Consumer | null = null;
  /** Next offset to take per partition: of this member's, where it has got to; of the others', the last it knew. */
  private readonly positions = new Map<number, number>();
  private endOffsets: Offsets | null = null;
  private readonly queue: Delivery[] = [];
  private current: Delivery | null = null;
  private closed = false;
  /** The sink's checkpoints, read again; null when the caller gave no way back to the sink (one process, its own memory). */
  private reread: CheckpointReader | null = null;
  /** The partitions the group gave this member at its last join, and the member id it joined as. */
  private owned = new Set<number>();
  private memberId: string | null = null;
  /** Settles once the sink's checkpoints of the partitions taken at every join so far are read: batches wait for it. */
  private synced: Promise<void> = Promise.resolve();
  /** Where this member sought each partition since its last join, so a seek that cannot land (a gap in the offsets) is not repeated. */
  private readonly sought = new Map<number, number>();
  /** Reading the sink's checkpoints failed past the outage limit: the pipeline stops with it. */
  private failure: { error: unknown } | null = null;
  private askedAtMs = 0;

  constructor(private readonly options: KafkaSourceOptions) {
    this.dataset = options.dataset;
    void options.end.then((end) => {
      this.endOffsets = end;
    });
  }

  private sourceName(partition: number): string {
    return `${this.options.topic}:${partition}`;
  }

  async open(checkpoints: Map<string, Checkpoint>, reread?: CheckpointReader): Promise<void> {
    const { kafka, topic, groupId, start } = this.options;
    this.reread = reread ?? null;
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
    // Listened to before the first join, which may come as soon as the consumer runs.
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => this.joined(payload.memberId, payload.memberAssignment[topic] ?? []));
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      // Every partition's next batch can wait in the queue while the pipeline works on one.
      partitionsConsumedConcurrently: Math.max(1, Object.keys(start).length),
      autoCommit: false,
      eachBatchAutoResolve: false,
      // kafkajs hands these as plain closures; they use no `this`.
      // eslint-disable-next-line @typescript-eslint/unbound-method
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning }) => {
        // A partition just taken over starts where the sink says, once it has said.
        await this.synced;
        const { partition } = batch;
        if (this.failure || !this.owned.has(partition)) return;
        const from = this.positions.get(partition) ?? 0;
        const first = Number(batch.firstOffset() ?? batch.lastOffset());
        // Fetched from elsewhere than the sink's position (the group's offsets, or where this member
        // sought before the sink answered): fetch again from there.
        if ((first > from || Number(batch.lastOffset()) + 1 < from) && this.sought.get(partition) !== from) {
          this.seek(partition, from);
          return;
        }
        const until = this.endOffsets?.[partition] ?? Infinity;
        const messages = batch.messages.filter((m) => Number(m.offset) >= from && Number(m.offset) < until);
        if (messages.length > 0) {
          const bytes = messages.reduce((n, m) => n + (m.value?.length ?? 0), 0);
          const delivery: Delivery = { partition, messages, taken: 0, bytes, release: () => {} };
          const done = new Promise<void>((release) => (delivery.release = release));
          this.queue.push(delivery);
          if (this.queue.reduce((n, d) => n + d.bytes, 0) <= QUEUED_BYTES) delivery.release();
          // Keep the group membership alive while the pipeline works through the batch.
          while (isRunning() && !this.closed) {
            const released = await Promise.race([done.then(() => true), sleep(WAIT_TICK_MS).then(() => false)]);
            if (released) break;
            try {
              await heartbeat();
            } catch (error) {
              // A rebalance, most often: give back what the pipeline has not taken, unresolved, so
              // the group need not wait for it; it is fetched again if the partition stays here.
              this.withdraw(delivery);
              throw error;
            }
          }
        }
        if (!this.closed) resolveOffset(batch.lastOffset());
      },
    });
  }

  /**
   * A join of the group: the first, or after a rebalance. What was fetched of the partitions lost
   * and not yet taken goes; so does that of partitions taken, which start from the sink's
   * checkpoint, read again now. A member that rejoins under the same id was in every generation
   * between, so what it kept was its own throughout and goes on from where it is. Every partition is
   * sought at once, before the first fetch, to the best position known; those taken again once the
   * sink answers, if it differs.
   */
  private joined(memberId: string, partitions: number[]): void {
    const kept = memberId === this.memberId ? new Set([...this.owned].filter((p) => partitions.includes(p))) : new Set<number>();
    const taken = partitions.filter((p) => !kept.has(p));
    this.memberId = memberId;
    this.owned = new Set(partitions);
    this.sought.clear();
    for (const delivery of [...this.queue, this.current]) if (delivery && !kept.has(delivery.partition)) this.withdraw(delivery);
    for (const p of partitions) this.seek(p, this.positions.get(p) ?? this.options.start[p] ?? 0);
    const reread = this.reread;
    if (taken.length === 0 || !reread) return;
    // Chained, so an earlier join's answer never lands after a later one's.
    this.synced = this.synced.then(async () => {
      if (this.failure) return;
      try {
        const committed = await reread();
        for (const p of taken) this.positions.set(p, committed.get(this.sourceName(p))?.position ?? this.options.start[p] ?? 0);
      } catch (error) {
        this.failure = { error };
      }
    });
  }

  private seek(partition: number, offset: number): void {
    this.sought.set(partition, offset);
    try {
      this.consumer?.seek({ topic: this.options.topic, partition, offset: String(offset) });
    } catch {
      // Not running any more (closing): nothing will be fetched.
    }
  }

  /** Gives a delivery back: out of the queue, or, being taken, cut to what was taken. */
  private withdraw(delivery: Delivery): void {
    const at = this.queue.indexOf(delivery);
    if (at !== -1) this.queue.splice(at, 1);
    if (this.current === delivery) {
      delivery.messages = delivery.messages.slice(0, delivery.taken);
      this.current = null;
    }
    delivery.release();
  }

  async next(maxRecords: number): Promise<SourceBatch | 'idle' | 'end'> {
    if (this.failure) throw this.failure.error;
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
    if (partition === null) return (await this.finished()) ? 'end' : 'idle';
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
    // A partition another member has now: its offsets are that member's to commit.
    if (!this.owned.has(partition)) return;
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

  /**
   * Whether every partition of the run is read to its end offset: this member's by its own
   * positions (the pipeline writes what it took before it stops), the others' by the sink's
   * checkpoints, which their members commit. Asked of the sink only once this member's own are
   * done, at most every FINISH_POLL_MS. Until then the member stays in the group, idle, to take
   * over the partitions of one that dies.
   */
  private async finished(): Promise<boolean> {
    const end = this.endOffsets;
    if (!end || this.queue.length > 0) return false;
    const open = Object.entries(end)
      .map(([p, offset]) => [Number(p), offset] as const)
      .filter(([p, offset]) => (this.positions.get(p) ?? 0) < offset);
    if (open.length === 0) return true;
    if (!this.reread || open.some(([p]) => this.owned.has(p)) || Date.now() - this.askedAtMs < FINISH_POLL_MS) return false;
    this.askedAtMs = Date.now();
    const committed = await this.reread();
    for (const [p] of open) {
      const position = committed.get(this.sourceName(p))?.position;
      if (position !== undefined && position > (this.positions.get(p) ?? 0)) this.positions.set(p, position);
    }
    return open.every(([p, offset]) => (this.positions.get(p) ?? 0) >= offset);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const delivery of [this.current, ...this.queue]) delivery?.release();
    await this.consumer?.disconnect().catch(() => {});
  }
}
