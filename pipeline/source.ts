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
 * A source of raw records. `open()` takes the committed checkpoints so the source resumes where
 * the sink says it stopped; `next()` gives a batch, 'idle' when nothing is ready yet, or 'end'.
 * The pipeline asks for the next batch while the previous one is still being written, and calls
 * `committed()` with each batch once the sink has committed it (in the order the batches were
 * given): only then may a source acknowledge it upstream (a Kafka batch).
 */
export interface Source {
  readonly dataset: DatasetName;
  open(checkpoints: Map<string, Checkpoint>): Promise<void>;
  next(maxRecords: number): Promise<SourceBatch | 'idle' | 'end'>;
  committed?(batch: SourceBatch): void;
  close(): Promise<void>;
}
