import type { DatasetName } from '../generators/generator.ts';
import type { Checkpoint } from './sink.ts';

export interface SourceRecord {
  bytes: Buffer;
  /** Source name and position within it: a file and line, or a topic partition and offset. */
  source: string;
  position: number;
  /** When the record was produced (send time), epoch ms. */
  producedAtMs: number;
  /** The generator's index, when the transport carries it. */
  recordIndex: number | null;
  /** Message key and headers, when the transport has them (kept on dead letters sent to a topic). */
  key?: Buffer | null;
  headers?: Record<string, string>;
}

export interface SourceBatch {
  records: SourceRecord[];
  /** Where the source will be once this batch is committed. */
  checkpoint: Checkpoint;
}

/**
 * Reads the dataset's committed checkpoints from the sink again, outages waited out. A source shared
 * by several processes (a Kafka consumer group) needs the sink's word, not its own memory: for a
 * partition it takes over, and to know when the other processes have finished theirs.
 */
export type CheckpointReader = () => Promise<Map<string, Checkpoint>>;

/**
 * A source of raw records. `open()` takes the committed checkpoints so the source resumes where
 * the sink says it stopped; `next()` gives a batch, 'idle' when nothing is ready yet, or 'end'.
 * The pipeline asks for the next batch while the previous one is still being written, and calls
 * `committed()` with each batch once the sink has committed it (in the order the batches were
 * given): only then may a source acknowledge it upstream (a Kafka batch).
 */
export interface Source {
  readonly dataset: DatasetName;
  /** `reread` is the pipeline's way back to the sink; a caller without one leaves the source to its own memory (one process only). */
  open(checkpoints: Map<string, Checkpoint>, reread?: CheckpointReader): Promise<void>;
  next(maxRecords: number): Promise<SourceBatch | 'idle' | 'end'>;
  committed?(batch: SourceBatch): void;
  close(): Promise<void>;
}
