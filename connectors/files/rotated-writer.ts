import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Shard } from '../chunks.ts';

/** One committed file: which indices it holds, so positions map back to records. */
export interface CommittedFile {
  name: string;
  firstIndex: number;
  count: number;
  /** Lines before the first record (a CSV header). */
  headerLines: number;
  committedAtMs: number;
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
