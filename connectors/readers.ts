import type { DatasetName } from '../generators/generator.ts';
import type { OutputRow } from '../pipeline/output.ts';
import type { StatisticsRow } from '../pipeline/statistics.ts';

export type { StatisticsRow } from '../pipeline/statistics.ts';

/*
 * The verifier's view of a sink and of the dead letters a transport also carried. It is declared
 * here, below the verifier, so that the sinks and transports implementing it depend on nothing above
 * them (the layers in .dependency-cruiser.cjs).
 */

/** One row of a dataset's sink as the verifier sees it: the declared fields and the two timing columns. */
export interface SinkRow {
  values: OutputRow;
  /** When the record was sent (epoch ms); null when the sink holds none. */
  producedAtMs: number | null;
  /** When the row landed (epoch ms); null when the sink holds none. */
  ingestedAtMs: number | null;
  /**
   * How many times the sink has written this very row (Elasticsearch `_version`): above 1 it was
   * overwritten in place by a replay or a duplicate record, which is not a duplicate row. Absent
   * when the sink keeps no versions (SQL).
   */
  version?: number;
}

export interface DeadLetterRow {
  source: string;
  position: number;
  /** The generator's index, when the transport carried it (Kafka); null for files. */
  recordIndex: number | null;
  reason: string;
  raw: Buffer;
  /** When the sink wrote it (epoch ms); null where no time is kept (a dead-letter topic). */
  ingestedAtMs: number | null;
}

/**
 * What the verifier needs from a sink, and all it may depend on: any sink with a reader (SQL,
 * Elasticsearch) is checked by the same checks. Readers stream in pages; the verifier keeps only
 * counters, histograms and samples.
 */
export interface SinkReader {
  /** Where it reads, without credentials. */
  readonly description: string;
  /**
   * Fails with a configuration error (exit 2) naming the table and the field when the dataset's
   * table is missing or lacks a declared field.
   */
  checkLayout(dataset: DatasetName): Promise<void>;
  /** Rows in the dataset's table. */
  count(dataset: DatasetName): Promise<number>;
  scanRows(dataset: DatasetName, onPage: (rows: SinkRow[]) => void): Promise<void>;
  scanDeadLetters(dataset: DatasetName, onPage: (letters: DeadLetterRow[]) => void): Promise<void>;
  /**
   * Where the sink keeps the dataset's declared statistics (pipeline/statistics.ts), for messages,
   * e.g. "harness.lol_champion_stats, harness.lol_position_stats"; null when the scenario says the
   * pipeline under test keeps none, and the `aggregates` check then does not apply.
   *
   * Optional, together with `scanStatistics`: a reader without them cannot prove statistics, and
   * `aggregates` fails for every dataset that declares some (fail closed, never a pass).
   */
  statisticsWhere?(dataset: DatasetName): string | null;
  /**
   * Streams every statistics row the sink keeps for the dataset, in pages: each statistic's
   * windows and totals, fields under their declared names whatever the sink calls them. Fails with
   * a configuration error (exit 2) naming the table and field when one is missing.
   */
  scanStatistics?(dataset: DatasetName, onPage: (rows: StatisticsRow[]) => void): Promise<void>;
  /** Safe to call more than once. */
  close(): Promise<void>;
}

/**
 * Dead letters a run also published somewhere besides the sink (a Kafka dead-letter topic), read
 * back for the `dlq-topic` check. That place is at least once: one letter may be there more than
 * once. A transport offers it for a run that had one (see TransportComponent.deadLetterReader); the
 * verifier depends only on this.
 */
export interface DeadLetterStream {
  /** Where it reads, without credentials. */
  readonly description: string;
  /** Where the dataset's dead letters were published and are read back from, or null when the run published none there. */
  where(dataset: DatasetName): string | null;
  /**
   * Streams this run's dead letters of the dataset, in pages, within the run's range (bounded: it
   * stops at the end it finds when called); letters of other runs in that range are left out. A
   * place that cannot be read fails with exit 3.
   */
  scan(dataset: DatasetName, onPage: (letters: DeadLetterRow[]) => void): Promise<void>;
  /** Safe to call more than once. */
  close(): Promise<void>;
}
