import type { ReasonCode } from '../core/reasons.ts';
import type { DatasetName } from '../generators/generator.ts';
import type { OutputRow } from './output.ts';

export interface DeadLetter {
  source: string;
  position: number;
  /** The generator's index, when the transport carries it (Kafka headers); null for files. */
  recordIndex: number | null;
  reason: ReasonCode;
  detail: string;
  raw: Buffer;
}

/** Where a source has got to: one position per source name (a file, or a topic partition). */
export interface Checkpoint {
  source: string;
  position: number;
  /** True once the source name is fully consumed. */
  done: boolean;
}

export interface SinkBatch {
  dataset: DatasetName;
  /** Rows of the dataset's declared output. */
  rows: OutputRow[];
  /** When each row's record was produced (send time), epoch ms. */
  producedAtMs: number[];
  deadLetters: DeadLetter[];
  /**
   * Where the source will be once this batch is committed. Null for a part of a batch the sink
   * refused being isolated (pipeline/isolate.ts): only the batch's last part moves the checkpoint.
   */
  checkpoint: Checkpoint | null;
}

/**
 * Why an operation on the sink failed, as the sink judges it:
 * - `unavailable`: the server went away or is busy: wait it out with backoff, the batch is whole
 *   again next time.
 * - `rejected`: the batch's content: isolate the records it refuses, never retry them as they are.
 * - `refused`: the server answered and refuses the operation itself, whatever the batch holds (a
 *   missing table or index, a missing privilege, a request it will not take): waiting will not
 *   change its answer, and the configuration is the user's to fix: exit 2 at once, naming what.
 * - `fatal`: the server refuses us (authentication), or a verdict already given (a HarnessError):
 *   stop at once, exit 3 (a HarnessError as it is).
 * - `unexpected`: neither the server's answer nor a lost connection, so a bug in harness: passed on
 *   as it is, for the CLI to report as one (exit 70), never dressed as an outage or a refusal.
 */
export type SinkFailure = 'unavailable' | 'rejected' | 'refused' | 'fatal' | 'unexpected';

/**
 * A sink's lifecycle: `connect()` is idempotent and prepares the tables; `writeBatch()` commits
 * rows, dead letters and the checkpoint together or not at all; `close()` is safe before connect.
 * A checkpoint never moves back: several processes may write one source (the partitions of a
 * Kafka consumer group change hands), and a batch written late by the one that lost it must leave
 * the new owner's position as it is.
 */
export interface Sink {
  readonly description: string;
  connect(): Promise<void>;
  /** Checkpoints committed so far for a dataset, by source name. */
  checkpoints(dataset: DatasetName): Promise<Map<string, Checkpoint>>;
  /**
   * Optional work on a batch that needs no connection (encoding its rows for the wire), done once it
   * is validated, while the batch before it is still being written; `writeBatch` then finds it done.
   */
  prepare?(batch: SinkBatch): Promise<void>;
  /** Returns how many rows were new (the rest were duplicates absorbed by the key). */
  writeBatch(batch: SinkBatch): Promise<{ inserted: number }>;
  /** Classifies an error thrown by `connect`, `checkpoints` or `writeBatch`. */
  classify(error: unknown): SinkFailure;
  /**
   * A `refused` error on one line for the user: what the server refused, naming the table or index,
   * and what to do about it.
   */
  explainRefusal(error: unknown): string;
  /**
   * Rebuilds the statistics kept beside `dataset`'s rows from those rows, whatever they held
   * (`harness pipeline --recompute-statistics`); says what it rebuilt, a line per table or index,
   * none when the dataset has no statistics there. Safe beside writers of the same run.
   */
  recomputeStatistics(dataset: DatasetName): Promise<string[]>;
  close(): Promise<void>;
}
