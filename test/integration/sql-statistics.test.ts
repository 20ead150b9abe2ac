import { afterEach, describe, expect, it } from 'vitest';
import { HarnessError } from '../../core/errors.ts';
import type { SqlClient } from '../../connectors/sinks/sql/client.ts';
import { SqlSinkReader } from '../../connectors/sinks/sql/reader.ts';
import { sqlSinkSpec, type SqlSinkSpec } from '../../connectors/sinks/sql/spec.ts';
import { SqlSinkWriter } from '../../connectors/sinks/sql/writer.ts';
import { statisticsKey, type StatisticsRow } from '../../pipeline/statistics.ts';
import { dropSchema, uniqueSchema } from '../helpers/postgres.ts';
import { backends } from '../helpers/sinks.ts';
import { matchBatch as batch, matchRows, truth, writeDoubleCounted, writeReplayed } from '../helpers/statistics.ts';

/**
 * The SQL sink keeps seed 002's statistics as the pure computation over the rows it holds says,
 * batch after batch: late matches update old windows, replays and duplicates add nothing, and the
 * doubleCount fault doubles exactly the matches faultHits picks. Read back by the verifier's reader.
 */

/** Counts and the rounded win rate exactly; averages to what a float4 column keeps. */
function expectSame(actual: StatisticsRow[], expected: StatisticsRow[]): void {
  const byKey = new Map(actual.map((row) => [statisticsKey(row), row]));
  expect(actual).toHaveLength(expected.length);
  for (const want of expected) {
    const got = byKey.get(statisticsKey(want));
    expect(got, statisticsKey(want)).toBeDefined();
    for (const [name, value] of Object.entries(want.values)) {
      const exact = ['games_played', 'wins', 'win_rate'].includes(name);
      expect(Math.abs((got!.values[name] as number) - (value as number)), `${statisticsKey(want)} ${name}`).toBeLessThanOrEqual(
        exact ? 0 : Math.abs(value as number) * 1e-6,
      );
    }
  }
}

describe.each(backends)('SQL sink statistics on $name', ({ name, open }) => {
  const clients: SqlClient[] = [];
  let spec: SqlSinkSpec;

  afterEach(async () => {
    for (const client of clients.splice(0)) await client.close();
    await dropSchema(spec.schema);
  });

  async function sink(
    options: { statistics?: unknown; doubleCount?: number } = {},
  ): Promise<{ writer: SqlSinkWriter; reader: SqlSinkReader; client: SqlClient }> {
    const client = await open();
    clients.push(client);
    spec = sqlSinkSpec.parse({ type: 'sql', schema: uniqueSchema(), ...(options.statistics === undefined ? {} : { statistics: options.statistics }) });
    const writer = new SqlSinkWriter(client, {
      spec,
      datasets: ['lol'],
      reset: true,
      uniqueKeys: true,
      uniqueDeadLetters: true,
      doubleCount: options.doubleCount ?? 0,
    });
    await writer.connect();
    return { writer, reader: new SqlSinkReader(client, spec), client };
  }

  async function statistics(reader: SqlSinkReader): Promise<StatisticsRow[]> {
    const out: StatisticsRow[] = [];
    await reader.scanStatistics('lol', (page) => out.push(...page));
    return out;
  }

  it('equal the pure computation over the rows, per window and in total, batch after batch', async () => {
    const { writer, reader } = await sink();
    const matches = matchRows(120);
    for (let at = 0; at < matches.length; at += 25) await writer.writeBatch(batch(matches.slice(at, at + 25), at + 25));
    const kept = await statistics(reader);
    expectSame(kept, truth(matches.flat()));
    // Late matches sit in windows hours before the run's: more windows than the run's minute spans.
    expect(new Set(kept.map((row) => row.windowStartMs)).size).toBeGreaterThan(4);
    expect(reader.statisticsWhere('lol')).toBe(`${spec.schema}.lol_champion_stats, ${spec.schema}.lol_position_stats`);
  });

  it('count a replayed batch and a duplicate match once', async () => {
    const { writer, reader } = await sink();
    const matches = await writeReplayed(writer);
    expectSame(await statistics(reader), truth(matches.flat()));
  });

  it('count exactly the matches doubleCount picks twice, and a replay of them still once more only', async () => {
    const { writer, reader } = await sink({ doubleCount: 0.3 });
    const { rows, weight } = await writeDoubleCounted(writer, 0.3);
    expectSame(await statistics(reader), truth(rows, weight));
  });

  it('stay exact when two writers commit overlapping batches at once', async () => {
    const { writer, client } = await sink();
    // PGlite is one database a process, its transactions taken in turn; a server gets a second pool.
    const other = name === 'pglite' ? client : await open();
    if (other !== client) clients.push(other);
    const second = new SqlSinkWriter(other, { spec, datasets: ['lol'], reset: false, uniqueKeys: true, uniqueDeadLetters: true });
    const matches = matchRows(80);
    await Promise.all([
      writer.writeBatch(batch(matches.slice(0, 50), 50)),
      second.writeBatch({ ...batch(matches.slice(30), 80), checkpoint: { source: 'lol-000002.jsonl', position: 50, done: false } }),
    ]);
    expectSame(await statistics(new SqlSinkReader(other, spec)), truth(matches.flat()));
  });

  it('are rebuilt from the rows by recomputeStatistics, beside a writer committing at the same time, each row counted once', async () => {
    const { writer, reader, client } = await sink({ doubleCount: 0.3 });
    const matches = matchRows(80);
    await writer.writeBatch(batch(matches.slice(0, 40), 40));
    // Drift: a total off by a game, every window of a position gone.
    const table = `"${spec.schema}".lol_champion_stats`;
    await client.exec(
      `UPDATE ${table} SET games_played = games_played + 1, sum_games = sum_games + 1 WHERE window_start IS NULL AND champion_name = (SELECT min(champion_name) FROM ${table})`,
    );
    await client.exec(`DELETE FROM "${spec.schema}".lol_position_stats WHERE position = 'TOP' AND window_start IS NOT NULL`);
    expect(await statistics(reader)).not.toHaveLength(truth(matches.slice(0, 40).flat()).length);
    // A second writer's batch lands while the rebuild runs: one waits for the other's statistics lock.
    const other = name === 'pglite' ? client : await open();
    if (other !== client) clients.push(other);
    const second = new SqlSinkWriter(other, { spec, datasets: ['lol'], reset: false, uniqueKeys: true, uniqueDeadLetters: true });
    const [lines] = await Promise.all([
      writer.recomputeStatistics('lol'),
      second.writeBatch({ ...batch(matches.slice(40), 80), checkpoint: { source: 'lol-000002.jsonl', position: 40, done: false } }),
    ]);
    expect(lines).toEqual([
      expect.stringMatching(new RegExp(`^${spec.schema}\\.lol_champion_stats: \\d+ rows recomputed from ${spec.schema}\\.lol_participants$`)),
      expect.stringMatching(new RegExp(`^${spec.schema}\\.lol_position_stats: \\d+ rows recomputed from ${spec.schema}\\.lol_participants$`)),
    ]);
    // The doubleCount fault doubled the first batch's picks; the rebuild counts what the table holds, once.
    expectSame(await statistics(reader), truth(matches.flat()));
  });

  it('go to the tables and columns the scenario names, and are read back under the declared names', async () => {
    const { writer, reader, client } = await sink({
      statistics: { lol: { champion: { table: 'champs', columns: { champion_name: 'champion', window_start: 'win_start', games_played: 'games' } } } },
    });
    const matches = matchRows(20);
    await writer.writeBatch(batch(matches, 20));
    const { rows } = await client.query<{ column_name: string }>(
      "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'champs' ORDER BY ordinal_position",
      [spec.schema],
    );
    expect(rows.map((r) => r.column_name).slice(0, 4)).toEqual(['champion', 'win_start', 'games', 'wins']);
    expectSame(await statistics(reader), truth(matches.flat()));
    expect(reader.statisticsWhere('lol')).toBe(`${spec.schema}.champs, ${spec.schema}.lol_position_stats`);
  });

  it('are not kept with statistics: false, and a missing table is a configuration error naming it', async () => {
    const { writer, reader, client } = await sink({ statistics: false });
    await writer.writeBatch(batch(matchRows(5), 5));
    const { rows } = await client.query<{ table_name: string }>('SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1', [
      spec.schema,
    ]);
    expect(rows.map((r) => r.table_name)).toEqual(['dead_letters', 'harness_checkpoints', 'lol_participants']);
    expect(reader.statisticsWhere('lol')).toBeNull();

    const expecting = new SqlSinkReader(client, sqlSinkSpec.parse({ type: 'sql', schema: spec.schema }));
    const error = await statistics(expecting).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HarnessError);
    expect((error as HarnessError).code).toBe('config');
    expect((error as Error).message).toContain(`table ${spec.schema}.lol_champion_stats on`);
    expect((error as Error).message).toContain('sink.statistics: false');
  });
});
