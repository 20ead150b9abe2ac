import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { allShardsDone } from './writer.ts';

/** Committed data files in `dir`, in name order; hidden (temp) files and the marker are skipped. */
export function committedFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => !name.startsWith('.') && !name.startsWith('_'))
    .sort();
}

/** True once every shard writing into `dir` has finished. */
export function isFinished(dir: string): boolean {
  return (
    existsSync(dir) &&
    allShardsDone(
      dir,
      readdirSync(dir).filter((name) => name.startsWith('_DONE-')),
    )
  );
}

/** Splits a file into its lines, keeping bytes exact; a trailing newline ends the last line. */
export function readLines(dir: string, file: string): { lines: Buffer[]; mtimeMs: number } {
  const path = join(dir, file);
  const data = readFileSync(path);
  const lines: Buffer[] = [];
  let start = 0;
  for (;;) {
    const end = data.indexOf(0x0a, start);
    if (end === -1) {
      if (start < data.length) lines.push(data.subarray(start));
      break;
    }
    lines.push(data.subarray(start, end));
    start = end + 1;
  }
  return { lines, mtimeMs: statSync(path).mtimeMs };
}
