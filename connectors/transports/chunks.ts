import { HarnessError } from '../../core/errors.ts';

/** Shard k of n (1-based): of the dataset's chunks (files, or Kafka batches), this one writes those with number % n == k - 1. */
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
 * How a dataset splits into chunks: chunk c holds indices [c * size, (c + 1) * size). The split
 * depends only on the scenario, so any worker, shard or machine produces the same chunk for c.
 */
export interface ChunkPlan {
  count: number;
  size: number;
}

export function chunkCount(plan: ChunkPlan): number {
  return Math.ceil(plan.count / plan.size);
}

/** The chunk numbers shard `shard` produces, in order. */
export function shardChunks(plan: ChunkPlan, shard: Shard): number[] {
  const chunks: number[] = [];
  for (let c = shard.index - 1; c < chunkCount(plan); c += shard.count) chunks.push(c);
  return chunks;
}

/** Splits chunk numbers round-robin among `workers`. */
export function splitAmong<T>(items: readonly T[], workers: number): T[][] {
  return Array.from({ length: workers }, (_, w) => items.filter((_, i) => i % workers === w));
}

/** The index range [first, end) of chunk `chunk`. */
export function chunkRange(plan: ChunkPlan, chunk: number): [number, number] {
  const first = chunk * plan.size;
  return [first, Math.min(plan.count, first + plan.size)];
}
