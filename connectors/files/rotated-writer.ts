import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Payload } from '../../generators/generator.ts';

/** One committed file: which indices it holds, so positions map back to records. */
export interface CommittedFile {
  name: string;
  firstIndex: number;
  count: number;
  /** Lines before the first record (a CSV header). */
  headerLines: number;
  committedAtMs: number;
}

/** Name of the marker written once a dataset's last file is committed. */
export const DONE_MARKER = '_DONE';

/**
 * Writes rotated files atomically, as seed 001 does: each file is written under a hidden temp name
 * and renamed, so a reader never sees half a file. Hidden names are what readers skip.
 */
export class RotatedFileWriter {
  private sequence = 0;
  readonly committed: CommittedFile[] = [];

  constructor(
    private readonly dir: string,
    private readonly prefix: string,
    private readonly extension: string,
    private readonly header: string | null,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  /** Writes one file holding `payloads`, the records from `firstIndex` on. */
  write(firstIndex: number, payloads: Payload[]): CommittedFile {
    this.sequence++;
    const name = `${this.prefix}-${String(this.sequence).padStart(6, '0')}.${this.extension}`;
    const temp = join(this.dir, `.tmp_${name}`);
    writeFileSync(temp, joinLines(this.header, payloads));
    renameSync(temp, join(this.dir, name));
    const file = { name, firstIndex, count: payloads.length, headerLines: this.header === null ? 0 : 1, committedAtMs: Date.now() };
    this.committed.push(file);
    return file;
  }

  /** Tells readers that no more files will come. */
  finish(): void {
    writeFileSync(join(this.dir, DONE_MARKER), `${JSON.stringify({ files: this.committed.length })}\n`);
  }
}

/** Joins lines into one buffer; text runs are joined as strings, raw byte payloads kept exact. */
export function joinLines(header: string | null, payloads: Payload[]): Buffer {
  const parts: Buffer[] = [];
  let text = header === null ? '' : `${header}\n`;
  for (const payload of payloads) {
    if (typeof payload === 'string') {
      text += `${payload}\n`;
    } else {
      parts.push(Buffer.from(text), payload, NEWLINE);
      text = '';
    }
  }
  parts.push(Buffer.from(text));
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
}

const NEWLINE = Buffer.from('\n');
