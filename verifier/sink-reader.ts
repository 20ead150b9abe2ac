import type { DatasetName } from '../generators/generator.ts';
import type { OutputRow } from '../pipeline/output.ts';

/** One row of a dataset's sink as the verifier sees it: the declared fields and the two timing columns. */
export interface SinkRow {
  values: OutputRow;
  /** When the record was sent (epoch ms); null when the sink holds none. */
  producedAtMs: number | null;
  /** When the row landed (epoch ms); null when the sink holds none. */
  ingestedAtMs: number | null;
}

export interface DeadLetterRow {
  source: string;
  position: number;
  /** The generator's index, when the transport carried it (Kafka); null for files. */
  recordIndex: number | null;
  reason: string;
  raw: Buffer;
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
