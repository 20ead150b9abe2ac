import { afterEach, describe, expect, it } from 'vitest';
import { PAGE_SIZE } from '../../connectors/sinks/elasticsearch/reader.ts';
import { elasticsearchSinkSpec } from '../../connectors/sinks/elasticsearch/spec.ts';
import { DOUBLE_COUNTED, MAX_TARGETS, statisticId } from '../../connectors/sinks/elasticsearch/statistics.ts';
import { HarnessError } from '../../core/errors.ts';
import { ExitCode } from '../../core/exit-codes.ts';
import { waitOutOutage } from '../../pipeline/outage.ts';
import type { OutputRow } from '../../pipeline/output.ts';
import type { Sink } from '../../pipeline/sink.ts';
import { statisticsKey, type StatisticsRow } from '../../pipeline/statistics.ts';
import type { SinkReader } from '../../connectors/readers.ts';
import { esBackends, setupFor, type EsTarget } from '../helpers/elasticsearch.ts';
import { connectionLost, type FakeCluster } from '../helpers/elasticsearch-fake.ts';
import { matchBatch as batch, matchRows, truth, writeDoubleCounted, writeReplayed } from '../helpers/statistics.ts';

/**
 * Seed 002's champion and position statistics in Elasticsearch, through the component as the
 * runner and the verifier use it (the mock always, a real cluster with ES_URL): recomputed from the
 * participant documents after each batch, they equal the pure computation over what landed, exactly,
 * however often a batch or a match is written, whatever was lost between the rows and the
 * statistics, and whoever else writes the same documents at once.
 */
describe.each(esBackends)('Elasticsearch statistics ($name)', ({ name, target }) => {
  let es: EsTarget;
  const open: { close(): Promise<void> }[] = [];
  /** Indices a test names beyond its spec's, deleted after it (on a live cluster). */
  const extra: string[] = [];

  afterEach(async () => {
    for (const o of open.splice(0)) await o.close().catch(() => {});
    if (extra.length > 0) await es.client.indices.delete({ index: extra.splice(0), ignore_unavailable: true }).catch(() => {});
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset if the first test failed before target()
    await es?.cleanup();
  });

  /** An index named like the test's others (uniqueSpec gives them one prefix). */
  const prefixed = (name: string) => es.spec.indices.lol.replace('lol_matches_stream', name);
  const championIndex = () => prefixed('lol_champion_stats');
  const positionIndex = () => prefixed('lol_position_stats');
  /** The test's spec with `statistics` set so. */
  const withStatistics = (statistics: unknown) => elasticsearchSinkSpec.parse({ ...es.spec, statistics });

  async function writer(options: Parameters<typeof setupFor>[1] = {}): Promise<Sink> {
    const sink = await es.component.openWriter(es.location, es.spec, es.env, setupFor(['lol'], options));
    open.push(sink);
    await sink.connect();
    return sink;
  }

  async function reader(): Promise<SinkReader> {
    const r = await es.component.openReader(es.location, es.spec, es.env, () => {});
    open.push(r);
    return r;
  }

  async function statistics(): Promise<StatisticsRow[]> {
    const out: StatisticsRow[] = [];
    await (await reader()).scanStatistics?.('lol', (page) => out.push(...page));
    return out;
  }

  /**
   * The very figures the pure computation gives, every one: the measures are whole numbers (counts,
   * sums, hundredths), so both sides derive each field by the same division of the same numbers.
   */
  function expectSame(actual: StatisticsRow[], expected: StatisticsRow[]): void {
    const sorted = (rows: StatisticsRow[]) => [...rows].sort((a, b) => (statisticsKey(a) < statisticsKey(b) ? -1 : 1));
    expect(sorted(actual)).toEqual(sorted(expected));
  }

  /** A bulk of statistics documents, not of rows. */
  const statisticsBulk = (body: string) => body.includes('_stats"');

  it('equal the pure computation over the rows, per window and in total, batch after batch, late windows included', async () => {
    es = await target();
    const sink = await writer();
    const matches = matchRows(120);
    for (let at = 0; at < matches.length; at += 25) await sink.writeBatch(batch(matches.slice(at, at + 25), at + 25));
    const kept = await statistics();
    const expected = truth(matches.flat());
    expectSame(kept, expected);
    // Late matches sit in windows hours before the run's: more windows than the run's minute spans.
    expect(new Set(kept.map((row) => row.windowStartMs)).size).toBeGreaterThan(4);
    expect((await reader()).statisticsWhere?.('lol')).toBe(`${championIndex()}, ${positionIndex()}`);

    // One document per group and window under a deterministic id, the exact measures beside the fields.
    const total = expected.find((row) => row.statistic === 'champion' && row.windowStartMs === null)!;
    const doc = await es.client.get<Record<string, unknown>>({ index: championIndex(), id: statisticId(total.group!, null) });
    expect(doc._source).toMatchObject({
      champion_name: total.group,
      window_start: null,
      games_played: total.values.games_played,
      win_rate: total.values.win_rate,
      sum_games: total.values.games_played,
    });
    expect(Number.isInteger(doc._source?.sum_kda_x100)).toBe(true);
    const mapping = (await es.client.indices.getMapping({ index: championIndex() }))[championIndex()]?.mappings.properties ?? {};
    expect(
      Object.fromEntries(
        ['champion_name', 'window_start', 'games_played', 'win_rate', 'avg_kda', 'sum_kda_x100'].map((f) => [f, (mapping[f] as { type?: string }).type]),
      ),
    ).toEqual({
      champion_name: 'keyword',
      window_start: 'date',
      games_played: 'long',
      win_rate: 'scaled_float',
      avg_kda: 'scaled_float',
      sum_kda_x100: 'long',
    });
  });

  it('count a replayed batch and a duplicated match once', async () => {
    es = await target();
    const matches = await writeReplayed(await writer());
    expectSame(await statistics(), truth(matches.flat()));
  });

  it('count exactly the matches doubleCount picks twice, their rows written once, a replay of them still twice only', async () => {
    es = await target();
    const { rows, weight } = await writeDoubleCounted(await writer({ doubleCount: 0.3 }), 0.3);
    expectSame(await statistics(), truth(rows, weight));
    expect(await (await reader()).count('lol')).toBe(rows.length);
    if (es.fake) {
      const marked = [...es.fake.docs(es.spec.indices.lol).values()].filter((d) => d.source[DOUBLE_COUNTED] === true);
      expect(marked).toHaveLength(rows.filter((row) => weight(row) === 2).length);
    }
  });

  /** A mock cluster holding 20 of 40 matches, rows and statistics, and the writer that wrote them. */
  async function halfWritten(): Promise<{ fake: FakeCluster; sink: Sink; matches: OutputRow[][] }> {
    es = await target();
    const sink = await writer();
    const matches = matchRows(40);
    await sink.writeBatch(batch(matches.slice(0, 20), 20));
    return { fake: es.fake!, sink, matches };
  }

  it.runIf(name === 'mock')(
    'heal a connection lost between the rows and their statistics: the next process writes the batch again and recomputes them',
    async () => {
      const { fake, sink, matches } = await halfWritten();
      // The rows' bulk succeeds; the first request for the statistics finds the connection gone.
      fake.intercept('POST', /^\/_mget$/, () => connectionLost());
      const lost = await sink.writeBatch(batch(matches.slice(20), 40)).then(
        () => null,
        (e: unknown) => e,
      );
      expect(sink.classify(lost)).toBe('unavailable');
      expect(fake.docs(es.spec.indices.lol).size).toBe(400);
      expectSame(await statistics(), truth(matches.slice(0, 20).flat()));
      expect([...(await sink.checkpoints('lol')).values()]).toEqual([{ source: 'lol-000001.jsonl', position: 20, done: false }]);

      // The process dies there; the next resumes from the checkpoint, so the batch comes again.
      const next = await writer({ reset: false });
      expect((await next.writeBatch(batch(matches.slice(20), 40))).inserted).toBe(0);
      expectSame(await statistics(), truth(matches.flat()));
      expect([...(await next.checkpoints('lol')).values()]).toEqual([{ source: 'lol-000001.jsonl', position: 40, done: false }]);
    },
  );

  it.runIf(name === 'mock')(
    'heal an answer lost after the statistics were written: the batch written again counts its rows once and its figures once',
    async () => {
      const { fake, sink, matches } = await halfWritten();
      // The node applies the statistics' bulk, then the connection drops before its answer.
      fake.intercept(
        'POST',
        /^\/_bulk$/,
        (p) => {
          fake.bulk(p.body as Record<string, unknown>[], p.querystring);
          return connectionLost();
        },
        (p) => statisticsBulk(JSON.stringify(p.body)),
      );
      let inserted = 0;
      const lines: string[] = [];
      await waitOutOutage(
        sink,
        '[lol] sink write',
        async () => (inserted += (await sink.writeBatch(batch(matches.slice(20), 40))).inserted),
        { limitMs: 30_000 },
        (line) => lines.push(line),
      );
      expect(lines.some((line) => line.includes('other side closed'))).toBe(true);
      expect(inserted).toBe(200);
      expectSame(await statistics(), truth(matches.flat()));
    },
  );

  it.runIf(name === 'mock')(
    'stay exact when another writer recomputes the same documents at once: figures read before its rows never overwrite its own',
    async () => {
      es = await target();
      const fake = es.fake!;
      const [first, second] = [await writer(), await writer({ reset: false })];
      const matches = matchRows(40);
      // The first writer has summed its rows and is about to write its figures; they are held on the way.
      const held = fake.hold('POST', /^\/_bulk$/, statisticsBulk);
      const slow = first.writeBatch(batch(matches.slice(0, 20), 20));
      await held.reached;
      // Meanwhile the second writes rows of the same positions, windows and champions, and their figures.
      await second.writeBatch({ ...batch(matches.slice(20), 40), checkpoint: { source: 'lol-000002.jsonl', position: 20, done: false } });
      held.release();
      await slow;
      // Without the conditional write the first writer's figures, summed before the second's rows, would be what is left.
      expectSame(await statistics(), truth(matches.flat()));
    },
  );

  /** Requests to `index`'s search, the aggregations each asked for. */
  const searches = (fake: FakeCluster, index: string) =>
    fake.requests.filter((r) => r.path === `/${index}/_search`).map((r) => (r.body as { aggs: Record<string, unknown> }).aggs);

  it.runIf(name === 'mock')(
    "sum a total from its group's window documents, never from its rows, and read or write at most MAX_TARGETS documents a request",
    async () => {
      es = await target();
      const fake = es.fake!;
      const sink = await writer();
      // Late matches each open windows of their own: one batch touching more documents than a round takes.
      const matches = matchRows(600);
      const rows = matches.flat();
      const touched = truth(rows).length;
      expect(touched).toBeGreaterThan(MAX_TARGETS);
      await sink.writeBatch(batch(matches, 600));
      expectSame(await statistics(), truth(rows));

      // On the rows index, every sum is of one window (a range of game_creation): no total reads the rows.
      const onRows = searches(fake, es.spec.indices.lol).flatMap((aggs) => Object.values(aggs));
      expect(onRows.length).toBeGreaterThan(0);
      for (const agg of onRows) expect(JSON.stringify(agg)).toContain('"range":{"game_creation"');
      // The totals: from the statistic's own index, its window documents (those with a window start).
      for (const index of [championIndex(), positionIndex()]) {
        const onWindows = searches(fake, index);
        expect(onWindows.length).toBeGreaterThan(0);
        for (const aggs of onWindows) expect(JSON.stringify(aggs)).toContain('{"exists":{"field":"window_start"}}');
      }
      // Bounded rounds: no multi-get, and no statistics bulk, holds more than MAX_TARGETS documents.
      const mgets = fake.requests.filter((r) => r.path === '/_mget').map((r) => (r.body as { docs: unknown[] }).docs.length);
      expect(Math.max(...mgets)).toBeLessThanOrEqual(MAX_TARGETS);
      expect(mgets.reduce((a, b) => a + b, 0)).toBe(touched);
      const statisticsBulks = fake.requests.filter((r) => r.path === '/_bulk' && statisticsBulk(JSON.stringify(r.body)));
      for (const bulk of statisticsBulks) expect((bulk.body as unknown[]).length / 2).toBeLessThanOrEqual(MAX_TARGETS);
    },
  );

  it('are rebuilt from the rows by recomputeStatistics, whatever they held: changed, deleted and stray documents, over pages of windows', async () => {
    es = await target();
    const sink = await writer();
    const matches = matchRows(700);
    const rows = matches.flat();
    for (let at = 0; at < matches.length; at += 350) await sink.writeBatch(batch(matches.slice(at, at + 350), at + 350));
    const expected = truth(rows);
    // The drift: a total off by a game, a window gone, a stray window under an id of its own, a stray total.
    const total = expected.find((row) => row.statistic === 'champion' && row.windowStartMs === null)!;
    const window = expected.find((row) => row.statistic === 'position' && row.windowStartMs !== null)!;
    const totalId = statisticId(total.group!, null);
    const stored = (await es.client.get<Record<string, number>>({ index: championIndex(), id: totalId }))._source!;
    await es.client.index({
      index: championIndex(),
      id: totalId,
      document: { ...stored, games_played: stored.games_played! + 1, sum_games: stored.sum_games! + 1 },
    });
    await es.client.delete({ index: positionIndex(), id: statisticId(window.group!, window.windowStartMs) });
    await es.client.index({
      index: positionIndex(),
      id: 'stray-window',
      document: { position: 'MIDDLE', window_start: 0, games_played: 7, sum_games: 7, avg_kills: 1, avg_deaths: 1, avg_assists: 1, avg_gpm: 1, avg_dpm: 1 },
    });
    await es.client.index({
      index: championIndex(),
      id: statisticId('Nobody', null),
      document: { champion_name: 'Nobody', window_start: null, games_played: 3, wins: 1, win_rate: 33.33 },
    });
    await es.client.indices.refresh({ index: [championIndex(), positionIndex()] });
    const drifted = await statistics();
    expect(drifted).not.toEqual(expect.arrayContaining(expected));

    const lines = await sink.recomputeStatistics('lol');
    expect(lines).toEqual([
      expect.stringMatching(new RegExp(`^${championIndex()}: \\d+ documents recomputed from ${es.spec.indices.lol}, 1 that no row accounts for deleted$`)),
      expect.stringMatching(new RegExp(`^${positionIndex()}: \\d+ documents recomputed from ${es.spec.indices.lol}, 1 that no row accounts for deleted$`)),
    ]);
    expectSame(await statistics(), expected);
    if (es.fake) {
      // More champion windows than a page of 1,000: the rows were read in pages (two full, then an empty one ends it).
      expect(expected.filter((row) => row.statistic === 'champion' && row.windowStartMs !== null).length).toBeGreaterThan(1000);
      const pages = searches(es.fake, es.spec.indices.lol).filter(
        (aggs) => JSON.stringify(aggs).includes('"composite"') && JSON.stringify(aggs).includes('champion_name'),
      );
      expect(pages).toHaveLength(3);
      expect(JSON.stringify(pages[1])).toContain('"after":');
    }
  });

  it('go to the indices and fields the scenario names, and are read back under the declared names', async () => {
    es = await target();
    const champs = prefixed('champs');
    extra.push(champs);
    es.spec = withStatistics({
      lol: {
        champion: { index: champs, fields: { champion_name: 'champion', window_start: 'from', games_played: 'games' } },
        position: { index: positionIndex() },
      },
    });
    const sink = await writer();
    const matches = matchRows(20);
    await sink.writeBatch(batch(matches, 20));
    const properties = (await es.client.indices.getMapping({ index: champs }))[champs]?.mappings.properties ?? {};
    expect(Object.keys(properties)).toEqual(expect.arrayContaining(['champion', 'from', 'games', 'wins']));
    expect(properties).not.toHaveProperty('champion_name');
    expectSame(await statistics(), truth(matches.flat()));
    expect((await reader()).statisticsWhere?.('lol')).toBe(`${champs}, ${positionIndex()}`);
  });

  it('are streamed to the verifier a page at a time through a point in time, as a pipeline of its own wrote them', async () => {
    es = await target();
    await writer();
    // Another pipeline's position statistics: more documents than two pages, the window as ISO text.
    const total = 2 * PAGE_SIZE + 77;
    const at = (i: number) => Date.UTC(2026, 0, 1) + i * 300_000;
    const operations = Array.from({ length: total }, (_, i) => [
      { index: { _index: positionIndex(), _id: statisticId('TOP', at(i)) } },
      {
        position: 'TOP',
        window_start: new Date(at(i)).toISOString(),
        games_played: 2,
        avg_kills: i,
        avg_deaths: 1,
        avg_assists: 2,
        avg_gpm: 400.5,
        avg_dpm: 600.25,
      },
    ]).flat();
    for (let from = 0; from < operations.length; from += 4000) await es.client.bulk({ operations: operations.slice(from, from + 4000) });
    const pages: number[] = [];
    const rows: StatisticsRow[] = [];
    await (
      await reader()
    ).scanStatistics?.('lol', (page) => {
      pages.push(page.length);
      rows.push(...page);
    });
    expect(pages).toEqual([PAGE_SIZE, PAGE_SIZE, 77]);
    expect(new Set(rows.map((row) => row.windowStartMs)).size).toBe(total);
    expect(rows.find((row) => row.windowStartMs === at(1234))).toEqual({
      statistic: 'position',
      group: 'TOP',
      windowStartMs: at(1234),
      values: { games_played: 2, avg_kills: 1234, avg_deaths: 1, avg_assists: 2, avg_gpm: 400.5, avg_dpm: 600.25 },
    });
    if (es.fake) expect(es.fake.pits.size).toBe(0);
  });

  it('are not kept with statistics: false, and a missing statistics index is exit 2 naming it', async () => {
    es = await target({ statistics: false });
    const sink = await writer();
    await sink.writeBatch(batch(matchRows(5), 5));
    expect((await reader()).statisticsWhere?.('lol')).toBeNull();
    expect(await es.client.indices.exists({ index: championIndex() })).toBe(false);

    // A verifier expecting them (the scenario says nothing of them) where there are none.
    es.spec = withStatistics({ lol: { champion: { index: championIndex() }, position: { index: positionIndex() } } });
    const error = await statistics().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HarnessError);
    expect((error as HarnessError).exitCode).toBe(ExitCode.usage);
    expect((error as Error).message).toContain(`index ${championIndex()} does not exist on Elasticsearch at`);
    expect((error as Error).message).toContain('the champion statistics of lol (sink.statistics.lol.champion.index)');
    expect((error as Error).message).toContain('sink.statistics: false');
  });
});
