import { HarnessError } from '../../core/errors.ts';

/** Shard k of n (1-based): of the dataset's files, this one writes those with number % n == k - 1. */
export interface Shard {
  index: number;
  count: number;
}

export const wholeDataset: Shard = { index: 1, count: 1 };

export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index < 1 || index > count) {
    throw new HarnessError('usage', `--shard takes k/n with 1 <= k <= n, like 2/3; got "${text}"`);
  }
  return { index, count };
}

/**
 * How a dataset splits into files: file f holds indices [f * perFile, (f + 1) * perFile). The
 * split depends only on the scenario, so any worker, shard or machine writes the same file for f.
 */
export interface FilePlan {
  count: number;
  perFile: number;
}

export function filePlan(count: number, rotateRecords: number, rotateIntervalMs: number, rate: number): FilePlan {
  const perFile = rate > 0 ? Math.max(1, Math.min(rotateRecords, Math.floor((rate * rotateIntervalMs) / 1000))) : rotateRecords;
  return { count, perFile };
}

export function fileCount(plan: FilePlan): number {
  return Math.ceil(plan.count / plan.perFile);
}

/** The file numbers shard `shard` writes, in order. */
export function shardFiles(plan: FilePlan, shard: Shard): number[] {
  const files: number[] = [];
  for (let f = shard.index - 1; f < fileCount(plan); f += shard.count) files.push(f);
  return files;
}
