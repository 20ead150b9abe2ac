import { HarnessError } from '../core/errors.ts';
import type { CliIo } from './io.ts';

/** Context every command gets: its io, where runs live, and a way to set the exit code. */
export interface CommandContext {
  io: CliIo;
  home: () => string;
  exit: (code: number) => void;
}

export function parseWorkers(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new HarnessError('usage', `--workers takes a whole number from 1 to 64, got "${text}"`);
  return n;
}
