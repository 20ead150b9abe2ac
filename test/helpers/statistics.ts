import { expect } from 'vitest';
import { Oracle } from '../../generators/oracle.ts';
import { faultHits } from '../../pipeline/faults.ts';
import type { OutputRow } from '../../pipeline/output.ts';
import { datasetOutputs, datasetStatistics } from '../../pipeline/rules/index.ts';
import type { Sink, SinkBatch } from '../../pipeline/sink.ts';
import { statisticsOf, type StatisticsRow } from '../../pipeline/statistics.ts';
import { generator } from './generated.ts';

/** Seed 002 matches for the statistics tests of every sink (sql-statistics, elasticsearch-statistics). */

/** Participant rows of the first `matches` landing matches, late ones (1-6 h behind, windows of their own) included. */
export function matchRows(matches: number): OutputRow[][] {
  const output = datasetOutputs.lol;
  const gen = generator('lol', 7, { duplicate: 0, malformed: 0, future: 0, late: 0.15 });
  const oracle = new Oracle(gen, matches, undefined, output.rowsPerRecord);
  const out: OutputRow[][] = [];
  for (let index = 0; index < matches; index++) {
    const outcome = oracle.outcome(index);
    if (outcome.type === 'land') out.push(output.expectedRows(gen, index, outcome.plan));
  }
  return out;
}

/** A batch of matches whose checkpoint moves to `position`. */
export function matchBatch(matches: OutputRow[][], position: number): SinkBatch {
  const rows = matches.flat();
  return {
    dataset: 'lol',
    rows,
    producedAtMs: rows.map(() => Date.UTC(2026, 0, 1)),
    deadLetters: [],
    checkpoint: { source: 'lol-000001.jsonl', position, done: false },
  };
}

/** Every statistic seed 002 declares over the rows: the pure computation a sink must equal. */
export function truth(rows: OutputRow[], weight?: (row: OutputRow) => number): StatisticsRow[] {
  return datasetStatistics.lol.flatMap((statistic) => statisticsOf(statistic, rows, weight));
}

/**
 * Writes 60 matches to a sink the way its statistics must count each once: a batch, the same batch
 * again (a replay), then one repeating two matches already in and one of its own twice (a
 * generator's duplicates). Returns the matches.
 */
export async function writeReplayed(sink: Pick<Sink, 'writeBatch'>): Promise<OutputRow[][]> {
  const matches = matchRows(60);
  const first = matchBatch(matches.slice(0, 30), 30);
  expect((await sink.writeBatch(first)).inserted).toBe(300);
  expect((await sink.writeBatch(first)).inserted).toBe(0);
  const next = matchBatch([matches[3]!, ...matches.slice(30), matches[40]!, matches[12]!], 60);
  expect((await sink.writeBatch(next)).inserted).toBe(300);
  return matches;
}

/**
 * Writes 60 matches with the doubleCount fault's share `share`, the first 30 twice over (a replay
 * overlapping the next batch). Returns every row, and the weight the statistics must count each with.
 */
export async function writeDoubleCounted(sink: Pick<Sink, 'writeBatch'>, share: number): Promise<{ rows: OutputRow[]; weight: (row: OutputRow) => number }> {
  const matches = matchRows(60);
  await sink.writeBatch(matchBatch(matches.slice(0, 30), 30));
  await sink.writeBatch(matchBatch(matches.slice(0, 40), 40));
  await sink.writeBatch(matchBatch(matches.slice(40), 60));
  const rows = matches.flat();
  const weight = (row: OutputRow) => (faultHits('doubleCount', share, String(row.match_id)) ? 2 : 1);
  expect(rows.some((row) => weight(row) === 2)).toBe(true);
  return { rows, weight };
}
