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
 * The pipeline calls `next()` again only once the previous batch is committed, so a source may
 * acknowledge upstream (a Kafka batch) at that point.
 */
export interface Source {
  readonly dataset: DatasetName;
  open(checkpoints: Map<string, Checkpoint>): Promise<void>;
  next(maxRecords: number): Promise<SourceBatch | 'idle' | 'end'>;
  close(): Promise<void>;
}
