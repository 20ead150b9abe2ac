import { FaultPlanner, type FaultRates, type DuplicateDistance, type MalformedKind, type OwnPlan } from './faults.ts';
import type { LineBuffer, Payload } from './line-buffer.ts';
import { streamKey } from './random.ts';
import { scheduleFor, type LoadProfileSpec, type Schedule, type Seasonality } from './load/index.ts';
import type { DatasetName } from './dataset-names.ts';

export { datasetNames, type DatasetName } from './dataset-names.ts';

/** Everything a generator needs to know; all of it is recorded in the run manifest. */
export interface GeneratorConfig {
  seed: number;
  /** Event time of index 0, in epoch ms. */
  baseTimeMs: number;
  /** The simple form's mean records per second; 0 means as fast as possible. Ignored under `load`. */
  rate: number;
  /** A k6-style load profile, which then sets every record's due time. */
  load?: LoadProfileSpec;
  faults: FaultRates;
  duplicateDistance?: DuplicateDistance;
  /** Future-dated records are dated this far past their due time; absent: 2099-01-01 (seed 001). */
  futureOffsetMs?: number;
  seasonality?: Seasonality;
  options: Record<string, unknown>;
}

export type { Payload } from './line-buffer.ts';

/**
 * A dataset's generator. Every method is a pure function of the config and the index, which is
 * what lets the verifier rebuild the ground truth and workers split the index space freely.
 */
export abstract class Generator {
  abstract readonly dataset: DatasetName;
  /** File format in the CSV transport: a CSV row, or one JSON document a line. */
  abstract readonly format: 'csv' | 'jsonl';
  /** First line of every file, or null. */
  abstract readonly header: string | null;
  readonly planner: FaultPlanner;
  /** When each index is due; the producer paces by it and the verifier corrects latency with it. */
  readonly schedule: Schedule;
  protected readonly contentKey: number;

  protected constructor(
    readonly config: GeneratorConfig,
    dataset: DatasetName,
    /** The ways this generator can break a record. */
    readonly malformedKinds: readonly MalformedKind[],
  ) {
    this.planner = new FaultPlanner(config.seed, dataset, config.faults, malformedKinds, config.duplicateDistance);
    this.contentKey = streamKey(config.seed, dataset, 'content');
    this.schedule = scheduleFor(config, config.baseTimeMs);
  }

  /** The record `origin` emits under its own plan (duplicates are resolved before this). */
  protected abstract encode(origin: number, plan: OwnPlan): Payload;

  /** Keys of the sink rows a valid record yields (one event, or ten participants). */
  abstract keys(origin: number): string[];

  /** The record's own id (event_id, matchId): the message key on Kafka, kept by its duplicates. */
  abstract recordKey(origin: number): string;

  /**
   * The index whose record carries this record key (see `recordKey`), or null when no record of
   * this run has it: a key of another run, another dataset, or no key at all. O(1), no table: the
   * key is a keyed permutation of the index. A generator whose keys are not invertible throws.
   * The generator does not know the run's count: an index at or past it is the caller's to reject.
   */
  abstract decodeRecordKey(key: string): number | null;

  /** Whether `decodeRecordKey` works; when false the verifier has to map keys with a table. */
  abstract readonly invertibleKeys: boolean;

  /** The payload emitted at `index`: a duplicate emits its origin's bytes exactly. */
  payload(index: number): Payload {
    const { origin, plan } = this.planner.origin(index);
    return this.encode(origin, plan);
  }

  /** Appends the payload emitted at `index` as one line; generators may write bytes directly. */
  appendPayload(index: number, lines: LineBuffer): void {
    lines.append(this.payload(index));
  }

  /** The payload of an origin already resolved by `planner.origin()`. */
  payloadOf(origin: number, plan: OwnPlan): Payload {
    return this.encode(origin, plan);
  }

  /** Event time before faults: when the record is due, plus up to a second of jitter. */
  protected eventTime(index: number, jitterUnit: number): number {
    return Math.floor(this.config.baseTimeMs + this.schedule.offsetMs(index) + jitterUnit * 1000);
  }

  /** Event time of a future-dated record due at `eventMs`. */
  protected futureTime(eventMs: number, jitterUnit: number): number {
    const offset = this.config.futureOffsetMs;
    return offset === undefined ? FUTURE_TIME_MS + Math.floor(jitterUnit * HOUR_MS) : eventMs + offset;
  }
}

/** Event time of future-dated records by default: the seed's 2099-01-01, beyond any tolerance. */
export const FUTURE_TIME_MS = Date.UTC(2099, 0, 1);

export const HOUR_MS = 3_600_000;
