import { HarnessError } from '../../core/errors.ts';
import type { Schedule } from '../../generators/load/index.ts';

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
 * How a dataset splits into chunks. Uniform: chunk c holds indices [c * size, (c + 1) * size).
 * Scheduled: chunk c starts at index starts[c], so chunks follow a load profile's rate. The split
 * depends only on the scenario, so any worker, shard or machine produces the same chunk for c.
 * Plain data: it crosses to worker threads.
 */
export type ChunkPlan = { count: number; size: number } | { count: number; starts: Float64Array };

export function chunkCount(plan: ChunkPlan): number {
  return 'starts' in plan ? plan.starts.length : Math.ceil(plan.count / plan.size);
}

/**
 * Chunks of at most `maxRecords` that span at most `maxSpanMs` of the schedule from their first
 * record's due time, so that at a ramp's low end a chunk (delivered when its last record is due)
 * never holds back its first records for long. The walk costs one schedule inversion a chunk.
 */
export function scheduledPlan(schedule: Pick<Schedule, 'offsetMs' | 'dueBefore'>, count: number, maxRecords: number, maxSpanMs: number): ChunkPlan {
  const starts: number[] = [];
  for (let first = 0; first < count;) {
    starts.push(first);
    const bySpan = schedule.dueBefore(schedule.offsetMs(first) + maxSpanMs);
    first = Math.min(count, first + maxRecords, Math.max(first + 1, bySpan));
  }
  return { count, starts: Float64Array.from(starts) };
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

/** The last index of the chunk that holds `index`: a paced chunk is delivered when that record is due. */
export function chunkLast(plan: ChunkPlan, index: number): number {
  if (!('starts' in plan)) return Math.min(plan.count, (Math.floor(index / plan.size) + 1) * plan.size) - 1;
  const { starts } = plan;
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if ((starts[mid] as number) <= index) low = mid;
    else high = mid - 1;
  }
  return (starts[low + 1] ?? plan.count) - 1;
}

/** The index range [first, end) of chunk `chunk`. */
export function chunkRange(plan: ChunkPlan, chunk: number): [number, number] {
  if ('starts' in plan) return [plan.starts[chunk] as number, plan.starts[chunk + 1] ?? plan.count];
  const first = chunk * plan.size;
  return [first, Math.min(plan.count, first + plan.size)];
}
