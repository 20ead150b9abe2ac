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
 * Why a write failed, as the sink judges it: `unavailable` (the server went away or is busy: wait it
 * out with backoff, the batch is whole again next time), `rejected` (the batch's content: isolate the
 * records it refuses, never retry them as they are), `fatal` (e.g. authentication: stop at once).
 */
export type SinkFailure = 'unavailable' | 'rejected' | 'fatal';

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
  close(): Promise<void>;
}
