import { createHash } from 'node:crypto';
import { joinLines } from '../../generators/line-buffer.ts';
import { createGenerator, type DatasetName, type Generator } from '../../generators/index.ts';
import type { FaultRates } from '../../generators/faults.ts';
import { seedWord } from '../../generators/random.ts';

export const BASE_TIME = Date.UTC(2026, 0, 1);

export const someFaults: FaultRates = { duplicate: 0.03, malformed: 0.05, future: 0.02, late: 0.02 };

export function generator(dataset: DatasetName, seed: number | string = 42, faults: FaultRates = someFaults, options: Record<string, unknown> = {}): Generator {
  return createGenerator(dataset, { seed: seedWord(seed), baseTimeMs: BASE_TIME, rate: 1000, faults, options });
}

/** The bytes of records [from, to) as a file would hold them, header included. */
export function bytesOf(gen: Generator, from: number, to: number): Buffer {
  const payloads = [];
  for (let i = from; i < to; i++) payloads.push(gen.payload(i));
  return joinLines(from === 0 ? gen.header : null, payloads);
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
