import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LineBuffer } from '../../../generators/line-buffer.ts';
import type { Shard } from '../chunks.ts';
import type { ChunkWriter, WriterContext } from '../transport.ts';

export interface CsvWriterOptions {
  /** Directory of this dataset's files. */
  dir: string;
}

/** Marker a shard writes once its last file is committed: `_DONE-<k>-of-<n>`. */
export function doneMarker(shard: Shard): string {
  return `_DONE-${shard.index}-of-${shard.count}`;
}

/** True once every shard of some split has written its marker. */
export function allShardsDone(dir: string, markers: string[]): boolean {
  for (const marker of markers) {
    const n = Number(/^_DONE-\d+-of-(\d+)$/.exec(marker)?.[1]);
    if (n > 0 && Array.from({ length: n }, (_, k) => `_DONE-${k + 1}-of-${n}`).every((m) => existsSync(join(dir, m)))) return true;
  }
  return false;
}

export function dataFileName(prefix: string, fileNumber: number, extension: string): string {
  return `${prefix}-${String(fileNumber + 1).padStart(6, '0')}.${extension}`;
}

/**
 * Writes a file atomically, as seed 001 does: under a hidden temp name, then renamed, so a reader
 * never sees half a file. Hidden names are what readers skip.
 */
export function writeFileAtomically(dir: string, name: string, data: Buffer): void {
  mkdirSync(dir, { recursive: true });
  const temp = join(dir, `.tmp_${name}`);
  writeFileSync(temp, data);
  renameSync(temp, join(dir, name));
}

export function writeDoneMarker(dir: string, shard: Shard, files: number): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, doneMarker(shard)), `${JSON.stringify({ files })}\n`);
}

/**
 * One file per chunk, named by the chunk's number. The bytes are encoded ahead, the file renamed
 * into place when due: a file is committed when its last record is due, never before.
 */
export async function openCsvWriter({ dir }: CsvWriterOptions, { generator }: WriterContext): Promise<ChunkWriter> {
  const headerLines = generator.header === null ? 0 : 1;
  return {
    prepare({ number, first, end }) {
      const lines = new LineBuffer((end - first) * 160);
      if (generator.header !== null) lines.append(generator.header);
      for (let i = first; i < end; i++) generator.appendPayload(i, lines);
      const data = lines.bytes();
      return async () => {
        const name = dataFileName(generator.dataset, number, generator.format);
        writeFileAtomically(dir, name, data);
        return { name, firstIndex: first, count: end - first, headerLines, committedAtMs: Date.now() };
      };
    },
    async close() {},
  };
}
