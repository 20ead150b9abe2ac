import type { Oracle } from '../generators/oracle.ts';
import type { DatasetName } from '../generators/generator.ts';
import type { DatasetOutput, OutputRow } from '../pipeline/output.ts';
import type { StatisticSpec, StatisticsRow } from '../pipeline/statistics.ts';
import type { DatasetManifest } from '../runs/manifest.ts';
import type { Slos } from '../scenarios/schema.ts';
import type { DeadLetterRow, SinkRow } from '../connectors/readers.ts';

/** What a check knows of one dataset before any row is read: the regenerated truth and the run. */
export interface CheckContext {
  dataset: DatasetName;
  oracle: Oracle;
  output: DatasetOutput;
  generation: DatasetManifest;
  slos: Slos;
  /** From the run's start to the start of verification: every counted row was ingested in between. */
  window: { startMs: number; endMs: number };
  /** Intended send time of an index under the load profile, or null when it had no rate. */
  intendedAtMs(index: number): number | null;
  /**
   * When the transport was due to send the record: a paced chunk (a file, a produce request) goes
   * when its last record is due. Its own intended time when the transport's chunks are not known.
   */
  sendDueAtMs(index: number): number | null;
  /** How this run's dead letters name their place, for messages when one maps to no record. */
  positionConvention: string;
  /** Where the run's dead letters were also published and are read back from (a Kafka topic), or null when nowhere. */
  deadLetterStream: string | null;
  /** The dataset's declared statistics (pipeline/statistics.ts); empty when it declares none. */
  statistics: readonly StatisticSpec[];
  /** Whether the sink holds them for the verifier to read. */
  statisticsKept: StatisticsEvidence;
}

/**
 * kept: the sink keeps the dataset's statistics (where, for messages) and they are streamed to the
 * checks; not-kept: the scenario says the pipeline under test keeps none; unreadable: this sink's
 * reader cannot read statistics, which proves nothing about them.
 */
export type StatisticsEvidence = { kind: 'kept'; where: string } | { kind: 'not-kept' } | { kind: 'unreadable'; reader: string };

/**
 * A sink row, with what the verifier worked out about it once for every check. Valid during the
 * call it is passed to: the verifier reuses it for the next row.
 */
export interface ObservedRow {
  row: SinkRow;
  /** Its key fields joined by ':', for samples. */
  key: string;
  /** The index of the record whose key the row carries; null when no record of this run has it. */
  origin: number | null;
  /** Which of the record's rows it is (participant 1..10 is slot 0..9). */
  slot: number | null;
  /** Whether the oracle says that record lands in the sink, with a valid slot. */
  lands: boolean;
  /** The row a correct pipeline writes for it (null when it does not land), regenerated on demand. */
  expected(): OutputRow | null;
}

export interface ObservedLetter {
  letter: DeadLetterRow;
  /** The generator index it came from, or null when its position maps to none of this run's. */
  index: number | null;
  /** The sink's dead-letter table (exactly once), or the stream it was also published to (at least once). */
  from: 'sink' | 'topic';
}

/**
 * A check in progress on one dataset. The verifier streams every row and dead letter through each
 * check once, so a check keeps counters, bitsets and samples, never the rows.
 */
export interface CheckRun {
  row?(observed: ObservedRow): void;
  deadLetter?(observed: ObservedLetter): void;
  /** Each row of the sink's statistics, once every row and dead letter has been seen. */
  statistic?(row: StatisticsRow): void;
  finish(): CheckResult;
}

/** A verifier check: proven by feeding it synthetic rows with known defects (test/unit/checks.test.ts). */
export interface Check {
  name: string;
  description: string;
  /** Whether the check has anything to judge in this run (default: always); one that does not is left out of the report. */
  appliesTo?(context: CheckContext): boolean;
  begin(context: CheckContext): CheckRun;
}

export interface SloResult {
  name: string;
  /** The bound, as written in the scenario (a count, ms or records/s). */
  limit: number;
  actual: number;
  /** 'max': actual must not exceed limit; 'min': must not fall below. */
  bound: 'max' | 'min';
  met: boolean;
}

export type CheckStatus = 'pass' | 'fail';

export interface CheckResult {
  name: string;
  dataset: DatasetName;
  status: CheckStatus;
  /** One line a person reads first. */
  summary: string;
  figures: Record<string, number | null>;
  slos: SloResult[];
  /** A few example keys or indices per kind of defect, to start debugging from. */
  samples: Record<string, string[]>;
  /** Encoded HdrHistograms (base64, compressed), for re-rendering reports. */
  histograms?: Record<string, string>;
  /** The per-second series and stage summaries (the `series` check); verifyRun lifts them into the report. */
  series?: SeriesPoint[];
  stages?: StageSummary[];
}

export const SAMPLE_LIMIT = 20;

export function slo(name: string, bound: 'max' | 'min', limit: number | undefined, actual: number): SloResult[] {
  if (limit === undefined) return [];
  return [{ name, bound, limit, actual, met: bound === 'max' ? actual <= limit : actual >= limit }];
}

/** A check passes when every SLO is met, and never on no evidence at all: `evidence` false fails it. */
export function statusOf(slos: SloResult[], evidence = true): CheckStatus {
  return evidence && slos.every((s) => s.met) ? 'pass' : 'fail';
}

/** Collects up to SAMPLE_LIMIT examples while counting all. */
export class Samples {
  readonly items: string[] = [];

  add(item: string | (() => string)): void {
    if (this.items.length < SAMPLE_LIMIT) this.items.push(typeof item === 'string' ? item : item());
  }
}

/** The key a row of `origin`'s record has, for samples of rows that are missing. */
export function rowKeyOf(context: CheckContext, origin: number, slot: number): string {
  const recordKey = context.oracle.generator.recordKey(origin);
  return context.output.rowsPerRecord > 1 ? `${recordKey}:${slot + 1}` : recordKey;
}

/**
 * One second of a dataset's run. Backlog: of the records produced by the end of the second (the
 * first that many indices: the producer goes in index order), those a correct pipeline gives an
 * outcome of their own (a row, or a dead letter per the scenario's `expect`; absorbed duplicates
 * and dropped kinds have none), minus the outcomes seen by then; never below 0 (a record can land
 * before its delivery is confirmed to the producer).
 */
export interface SeriesPoint {
  /** Whole seconds since the dataset's schedule time zero (generation.startedAtMs). */
  second: number;
  /** Target rate over this second (records/s, the schedule's); 0 when unpaced. */
  targetPerSec: number;
  /** Records the producer delivered in this second. */
  produced: number;
  /** Records whose row(s) landed in this second (LoL: a match counts once, at its first participant row) */
  ingested: number;
  /** Dead letters written in this second (0 when the sink keeps no time for them). */
  deadLettered: number;
  /** Records produced so far whose outcome (row or dead letter) had not landed by the end of this second. */
  backlog: number;
  /** Records sent more than 1 s after their intended send time, in this second, and the worst lag (ms, null when none). */
  behind: number;
  behindMaxMs: number | null;
  /** Corrected latency (ingest minus intended send time; measured when unpaced) of rows ingested in this second. */
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

/** One stage of a dataset's load profile, judged on its own. */
export interface StageSummary {
  /** 0-based, as StageWindow. */
  index: number;
  /** StageWindow.label, e.g. `stage 2 (ramp 500/s -> 3000/s)`. */
  label: string;
  /** Seconds since time zero; endS is exclusive (for the open-ended simple form, the end of the last second of data). */
  startS: number;
  endS: number;
  /** Mean target over the stage. */
  targetPerSec: number;
  /** Records ingested during the stage / its length. */
  achievedPerSec: number;
  /** Corrected p99 of rows whose intended send time falls in the stage. */
  p99Ms: number | null;
  backlogAtEnd: number;
  /** The stage's own SLOs (slos.stages). */
  slos: SloResult[];
  status: 'pass' | 'fail';
}
