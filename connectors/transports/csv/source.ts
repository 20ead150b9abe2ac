import { committedFiles, isFinished, readLines } from './line-reader.ts';
import type { DatasetName } from '../../../generators/generator.ts';
import type { Checkpoint } from '../../../pipeline/sink.ts';
import type { Source, SourceBatch } from '../../../pipeline/source.ts';

interface OpenFile {
  name: string;
  lines: Buffer[];
  mtimeMs: number;
  /** 1-based number of the last line handed out. */
  position: number;
}

/**
 * Reads the rotated files of one dataset directory, in name order, as seed 001's stream does.
 * Batches never span two files, so a checkpoint is one (file, line) pair.
 */
export class CsvFileSource implements Source {
  private done = new Set<string>();
  private resumeAt = new Map<string, number>();
  private current: OpenFile | null = null;

  constructor(
    readonly dataset: DatasetName,
    private readonly dir: string,
    /** Lines before the first record of each file (a CSV header). */
    private readonly headerLines: number,
  ) {}

  async open(checkpoints: Map<string, Checkpoint>): Promise<void> {
    for (const checkpoint of checkpoints.values()) {
      if (checkpoint.done) this.done.add(checkpoint.source);
      else this.resumeAt.set(checkpoint.source, checkpoint.position);
    }
  }

  async next(maxRecords: number): Promise<SourceBatch | 'idle' | 'end'> {
    if (!this.current || this.current.position >= this.current.lines.length) {
      if (this.current) this.done.add(this.current.name);
      // Read the marker before listing: files committed before it are all in the listing.
      const finished = isFinished(this.dir);
      const name = committedFiles(this.dir).find((file) => !this.done.has(file));
      if (!name) {
        this.current = null;
        return finished ? 'end' : 'idle';
      }
      const { lines, mtimeMs } = readLines(this.dir, name);
      this.current = { name, lines, mtimeMs, position: Math.max(this.headerLines, this.resumeAt.get(name) ?? 0) };
    }
    const file = this.current;
    const from = file.position;
    const to = Math.min(file.lines.length, from + maxRecords);
    file.position = to;
    const records = [];
    for (let i = from; i < to; i++) {
      records.push({ bytes: file.lines[i] as Buffer, source: file.name, position: i + 1, producedAtMs: file.mtimeMs, recordIndex: null });
    }
    return { records, checkpoint: { source: file.name, position: to, done: to >= file.lines.length } };
  }

  async close(): Promise<void> {
    this.current = null;
  }
}
