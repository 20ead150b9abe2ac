import { describe, expect, it } from 'vitest';
import type { OutputRow } from '../../pipeline/output.ts';
import { datasetStatistics } from '../../pipeline/rules/index.ts';
import { describeGroup, statisticsKey, statisticsOf, windowStartOf } from '../../pipeline/statistics.ts';
import type { CheckResult } from '../../verifier/check.ts';
import type { Report } from '../../verifier/report.ts';
import type { DeadLetterRow, SinkRow, StatisticsRow } from '../../connectors/readers.ts';
import { csv } from '../../connectors/transports/csv/index.ts';
import { verifyRun } from '../../verifier/verify.ts';
import {
  DLQ_TOPIC,
  FILE,
  memoryReader,
  memoryStream,
  RUN_START,
  syntheticSink,
  topicLetters,
  VERIFY_AT,
  type SyntheticSink,
} from '../helpers/synthetic-sink.ts';

/**
 * Each check proven on synthetic evidence: a sink as a perfect pipeline would leave it passes every
 * check, and each defect injected into it fails exactly the check that owns it, with exactly the
 * count of the defect. The real readers (SQL) are proven in the integration tests.
 */
const faults = { duplicate: 0.03, malformed: 0.05, future: 0.02, late: 0.03 };
const ecommerce = { datasets: { ecommerce: { count: 3000, rate: 1000, faults } } };
const lol = { datasets: { lol: { count: 300, rate: 100, faults } } };

async function verify(sink: SyntheticSink): Promise<Report> {
  // The synthetic run's files are CSV files: the CSV transport says how a letter names its record.
  return verifyRun(sink.manifest, memoryReader(sink), { nowMs: VERIFY_AT, positionConvention: csv.positionConvention });
}

function failing(report: Report): string[] {
  return report.checks.filter((c) => c.status === 'fail').map((c) => c.name);
}

function check(report: Report, name: string): CheckResult {
  const found = report.checks.find((c) => c.name === name);
  if (!found) throw new Error(`no ${name} check in the report`);
  return found;
}

/** Replaces the rows at `at` with `change` applied to their values. */
function alter(rows: SinkRow[], at: number[], change: (values: OutputRow) => OutputRow): void {
  for (const i of at) {
    const row = rows[i] as SinkRow;
    rows[i] = { ...row, values: change(row.values) };
  }
}

function indicesWhere(rows: SinkRow[], test: (values: OutputRow) => boolean, n: number): number[] {
  const out: number[] = [];
  rows.forEach((row, i) => {
    if (out.length < n && test(row.values)) out.push(i);
  });
  expect(out).toHaveLength(n);
  return out;
}

describe('a perfect sink', () => {
  it.each([
    ['ecommerce', ecommerce, []],
    ['lol', lol, ['aggregates']],
  ])('passes every check (%s)', async (_name, scenario, statistics) => {
    const report = await verify(syntheticSink(scenario));
    expect(failing(report)).toEqual([]);
    expect(report.verdict).toBe('pass');
    expect(report.checks.map((c) => c.name)).toEqual(['exactly-once', 'values', 'dlq-capture', ...statistics, 'freshness', 'latency', 'throughput', 'series']);
  });

  it('passes with seed 001 md5 ids, which the verifier maps with a table', async () => {
    // With a rate, events spread over time: md5(user_product_timestamp) collides only when a user
    // hits a product twice in one millisecond.
    const sink = syntheticSink({ datasets: { ecommerce: { count: 2000, rate: 50, faults, options: { idScheme: 'md5' } } } });
    expect(sink.generator.invertibleKeys).toBe(false);
    expect(failing(await verify(sink))).toEqual([]);
    sink.rows.ecommerce.splice(10, 2);
    expect(check(await verify(sink), 'exactly-once').figures.missing).toBe(2);
  });
});

describe('exactly-once', () => {
  it('counts missing, doubled and unexpected rows, each alone', async () => {
    const sink = syntheticSink(ecommerce);
    const rows = sink.rows.ecommerce;
    const missingKeys = [rows[5], rows[9]].map((r) => r?.values.event_id);
    rows.splice(9, 1);
    rows.splice(5, 1);
    let report = await verify(sink);
    expect(failing(report)).toEqual(['exactly-once']);
    expect(check(report, 'exactly-once').figures).toMatchObject({ missing: 2, duplicateRows: 0, unexpected: 0 });
    expect(check(report, 'exactly-once').samples.missing).toEqual(missingKeys);

    const doubled = syntheticSink(ecommerce);
    doubled.rows.ecommerce.push(doubled.rows.ecommerce[3] as SinkRow, doubled.rows.ecommerce[3] as SinkRow, doubled.rows.ecommerce[8] as SinkRow);
    report = await verify(doubled);
    expect(failing(report)).toEqual(['exactly-once']);
    expect(check(report, 'exactly-once').figures).toMatchObject({ missing: 0, duplicateKeys: 2, duplicateRows: 3, unexpected: 0 });
  });

  it('counts a bad record that landed as unexpected, naming why', async () => {
    const sink = syntheticSink(ecommerce);
    const bad = [...Array(sink.oracle.count).keys()].find(
      (i) => sink.oracle.outcome(i).type === 'dlq' && sink.generator.planner.plan(i).kind === 'future',
    ) as number;
    const event = (sink.generator as unknown as { emitted: (o: number, p: unknown) => Record<string, string> }).emitted(bad, { kind: 'future' });
    sink.rows.ecommerce.push({
      values: { ...(sink.rows.ecommerce[0] as SinkRow).values, event_id: event.event_id as string },
      producedAtMs: RUN_START + 5,
      ingestedAtMs: RUN_START + 10,
    });
    const report = await verify(sink);
    expect(failing(report)).toEqual(['exactly-once']);
    expect(check(report, 'exactly-once').figures.unexpected).toBe(1);
    expect(check(report, 'exactly-once').samples.unexpected?.[0]).toContain(`#${bad}: dlq`);
  });

  it('fails closed on an empty sink: no rows is no evidence', async () => {
    const sink = syntheticSink(ecommerce);
    sink.rows.ecommerce = [];
    const report = await verify(sink);
    expect(failing(report)).toEqual(['exactly-once', 'values', 'latency', 'throughput', 'series']);
    expect(check(report, 'exactly-once').summary).toContain('no rows at all');
  });
});

describe('values', () => {
  it('catches wrong prices, users and event types, counting rows and fields', async () => {
    const sink = syntheticSink(ecommerce);
    const rows = sink.rows.ecommerce;
    const purchases = indicesWhere(rows, (v) => v.event_type === 'purchase', 13);
    alter(rows, purchases.slice(0, 10), (v) => ({ ...v, price: (v.price as number) + 1 }));
    alter(rows, purchases.slice(10, 13), (v) => ({ ...v, user_id: 'USER_999999' }));
    const views = indicesWhere(rows, (v) => v.event_type === 'view', 4);
    alter(rows, views, (v) => ({ ...v, event_type: 'purchase', price: 19.99 }));
    const report = await verify(sink);
    expect(failing(report)).toEqual(['values']);
    expect(check(report, 'values').figures).toMatchObject({
      rowsWithMismatch: 17,
      'mismatch.price': 14,
      'mismatch.user_id': 3,
      'mismatch.event_type': 4,
      'mismatch.product_id': 0,
    });
    expect(check(report, 'values').samples.mismatches).toContainEqual(expect.stringMatching(/ price: expected \d+(\.\d+)?, got \d+/));
  });

  it('catches an event time shifted by an hour, and a late record put back on time', async () => {
    const sink = syntheticSink(ecommerce);
    const rows = sink.rows.ecommerce;
    alter(rows, [1, 2, 3], (v) => ({ ...v, event_timestamp: (v.event_timestamp as number) + 3_600_000 }));
    const report = await verify(sink);
    expect(check(report, 'values').figures['mismatch.event_timestamp']).toBe(3);

    const late = syntheticSink(ecommerce);
    const lateIndex = [...Array(late.oracle.count).keys()].find((i) => late.generator.planner.plan(i).kind === 'late') as number;
    const onTime = late.rows.ecommerce.findIndex((r) => r.values.event_id === late.generator.recordKey(lateIndex));
    const clean = (late.generator as unknown as { event: (o: number) => { event_timestamp: string } }).event(lateIndex);
    alter(late.rows.ecommerce, [onTime], (v) => ({ ...v, event_timestamp: Date.parse(clean.event_timestamp) }));
    expect(failing(await verify(late))).toEqual(['values']);
  });

  it('holds money to the cent and derived metrics to half their rounding', async () => {
    const sink = syntheticSink(ecommerce);
    const purchases = indicesWhere(sink.rows.ecommerce, (v) => v.event_type === 'purchase', 2);
    alter(sink.rows.ecommerce, [purchases[0] as number], (v) => ({ ...v, price: (v.price as number) + 0.001 }));
    expect(failing(await verify(sink))).toEqual([]);
    alter(sink.rows.ecommerce, [purchases[1] as number], (v) => ({ ...v, price: (v.price as number) + 0.01 }));
    expect(check(await verify(sink), 'values').figures.rowsWithMismatch).toBe(1);

    const matches = syntheticSink(lol);
    alter(matches.rows.lol, [0], (v) => ({ ...v, kda: (v.kda as number) + 0.004 }));
    expect(failing(await verify(matches))).toEqual([]);
  });

  it('catches wrong KDA and gold per minute, and a team whose win flag flipped', async () => {
    const sink = syntheticSink(lol);
    const rows = sink.rows.lol;
    alter(rows, [0, 11, 22, 33, 44], (v) => ({ ...v, kda: (v.kda as number) + 1 }));
    alter(rows, [55, 66, 77, 88, 99], (v) => ({ ...v, gold_per_minute: (v.gold_per_minute as number) * 1.1 }));
    const team = indicesWhere(rows, (v) => v.match_id === rows[200]?.values.match_id && v.team_id === 100, 5);
    alter(rows, team, (v) => ({ ...v, win: !v.win }));
    const report = await verify(sink);
    expect(failing(report)).toEqual(['values']);
    expect(check(report, 'values').figures).toMatchObject({ rowsWithMismatch: 15, 'mismatch.kda': 5, 'mismatch.gold_per_minute': 5, 'mismatch.win': 5 });
  });
});

describe('dlq-capture', () => {
  it('counts missed, wrong-reason, doubled, conflicting, altered and wrongly dead-lettered records, each alone', async () => {
    const cases: [string, (s: SyntheticSink) => void, Record<string, number>][] = [
      ['missed', (s) => void s.letters.ecommerce.splice(0, 3), { missed: 3 }],
      [
        'wrong reason',
        (s) => s.letters.ecommerce.slice(0, 2).forEach((l) => (l.reason = l.reason === 'csv_parse' ? 'column_count' : 'csv_parse')),
        { wrongReason: 2 },
      ],
      ['written twice', (s) => s.letters.ecommerce.push(...s.letters.ecommerce.slice(0, 4)), { duplicates: 4 }],
      [
        'conflicting reasons',
        (s) =>
          s.letters.ecommerce.push(...s.letters.ecommerce.slice(0, 2).map((l) => ({ ...l, reason: l.reason === 'csv_parse' ? 'column_count' : 'csv_parse' }))),
        { conflicting: 2, wrongReason: 0 },
      ],
      ['raw bytes altered', (s) => s.letters.ecommerce.slice(0, 3).forEach((l) => (l.raw = Buffer.concat([l.raw, Buffer.from('x')]))), { rawMismatches: 3 }],
      [
        'valid records dead-lettered',
        (s) =>
          s.letters.ecommerce.push({
            source: FILE,
            position: 2,
            recordIndex: null,
            reason: 'wrong_type',
            raw: Buffer.alloc(0),
            ingestedAtMs: RUN_START + 1050,
          }),
        { validDeadLettered: 1 },
      ],
    ];
    for (const [name, inject, figures] of cases) {
      const sink = syntheticSink(ecommerce);
      inject(sink);
      const report = await verify(sink);
      expect({ name, failing: failing(report) }).toEqual({ name, failing: ['dlq-capture'] });
      expect({ name, ...check(report, 'dlq-capture').figures }).toMatchObject({ name, ...figures });
    }
  });

  it('judges conflicting reasons the same whatever the table order', async () => {
    const figures = [];
    for (const order of ['right first', 'wrong first']) {
      const sink = syntheticSink(ecommerce);
      const first = sink.letters.ecommerce[0]!;
      const other = { ...first, reason: first.reason === 'csv_parse' ? 'column_count' : 'csv_parse' };
      if (order === 'right first') sink.letters.ecommerce.push(other);
      else sink.letters.ecommerce.unshift(other);
      figures.push(check(await verify(sink), 'dlq-capture').figures);
    }
    expect(figures[0]).toEqual(figures[1]);
    expect(figures[0]?.conflicting).toBe(1);
  });

  it('counts the letters by the reason they were written with', async () => {
    const sink = syntheticSink(ecommerce);
    const letters = sink.letters.ecommerce;
    letters[0]!.reason = 'invalid_record';
    const written: Record<string, number> = {};
    for (const l of letters) written[`reason.${l.reason}`] = (written[`reason.${l.reason}`] ?? 0) + 1;
    const figures = check(await verify(sink), 'dlq-capture').figures;
    expect(Object.fromEntries(Object.entries(figures).filter(([k]) => k.startsWith('reason.')))).toEqual(written);
    expect(Object.keys(written).length).toBeGreaterThan(2);
  });

  it('says which position convention it expected when dead letters map to no record', async () => {
    const sink = syntheticSink(ecommerce);
    for (const letter of sink.letters.ecommerce.slice(0, 2)) letter.source = 'elsewhere.csv';
    const result = check(await verify(sink), 'dlq-capture');
    expect(result.status).toBe('fail');
    expect(result.summary).toContain('1-based physical line, the header being line 1');
  });
});

describe('dlq-topic', () => {
  /** Verifies with the sink as it is and `topic` as the run's dead-letter topic. */
  async function verifyWithTopic(sink: SyntheticSink, topic: DeadLetterRow[]): Promise<Report> {
    return verifyRun(sink.manifest, memoryReader(sink), { nowMs: VERIFY_AT, deadLetters: memoryStream({ ecommerce: topic }) });
  }

  const otherReason = (l: DeadLetterRow) => (l.reason === 'csv_parse' ? 'column_count' : 'csv_parse');

  it('passes with redeliveries, counted apart and never a defect', async () => {
    const sink = syntheticSink(ecommerce);
    const topic = topicLetters(sink.letters.ecommerce);
    topic.push(...topic.slice(0, 4), topic[0]!);
    const report = await verifyWithTopic(sink, topic);
    expect(failing(report)).toEqual([]);
    expect(report.checks.map((c) => c.name)).toEqual(['exactly-once', 'values', 'dlq-capture', 'dlq-topic', 'freshness', 'latency', 'throughput', 'series']);
    const result = check(report, 'dlq-topic');
    expect(result.figures).toMatchObject({ expected: check(report, 'dlq-capture').figures.expected, redeliveries: 5, missed: 0, conflicting: 0 });
    expect(result.figures.expected).toBeGreaterThan(100);
    expect(result.summary).toContain(`topic ${DLQ_TOPIC}`);
    expect(result.summary).toContain('5 redelivered');
    expect(result.samples.redelivered).toHaveLength(5);
  });

  it('counts missed, wrong-reason, conflicting, altered and wrongly dead-lettered letters, each alone', async () => {
    const cases: [string, (topic: DeadLetterRow[]) => void, Record<string, number>][] = [
      ['missed', (t) => void t.splice(0, 3), { missed: 3 }],
      ['wrong reason', (t) => t.slice(0, 2).forEach((l) => (l.reason = otherReason(l))), { wrongReason: 2, redeliveries: 0 }],
      [
        'conflicting reasons',
        (t) => t.push(...t.slice(0, 2).map((l) => ({ ...l, reason: otherReason(l) }))),
        { conflicting: 2, wrongReason: 0, redeliveries: 0 },
      ],
      ['raw bytes altered', (t) => t.slice(0, 3).forEach((l) => (l.raw = Buffer.concat([l.raw, Buffer.from('x')]))), { rawMismatches: 3 }],
      ['raw bytes altered in a redelivery', (t) => t.push({ ...t[0]!, raw: Buffer.from('x') }), { rawMismatches: 1, redeliveries: 1 }],
      [
        'valid records dead-lettered',
        (t) => t.push({ source: 'synthetic:0', position: 1, recordIndex: 0, reason: 'wrong_type', raw: Buffer.alloc(0), ingestedAtMs: null }),
        { validDeadLettered: 1 },
      ],
    ];
    for (const [name, inject, figures] of cases) {
      const sink = syntheticSink(ecommerce);
      const topic = topicLetters(sink.letters.ecommerce);
      inject(topic);
      const report = await verifyWithTopic(sink, topic);
      expect({ name, failing: failing(report) }).toEqual({ name, failing: ['dlq-topic'] });
      expect({ name, ...check(report, 'dlq-topic').figures }).toMatchObject({ name, ...figures });
    }
  });

  it('the table check reads only the table, the topic check only the topic', async () => {
    const sink = syntheticSink(ecommerce);
    const topic = topicLetters(sink.letters.ecommerce);
    let report = await verifyWithTopic(sink, []);
    expect(failing(report)).toEqual(['dlq-topic']);
    expect(check(report, 'dlq-topic').figures).toMatchObject({ deadLetters: 0, missed: topic.length });

    const empty = syntheticSink(ecommerce);
    empty.letters.ecommerce = [];
    report = await verifyWithTopic(empty, topic);
    expect(failing(report)).toEqual(['dlq-capture']);
    expect(check(report, 'dlq-capture').figures).toMatchObject({ deadLetters: 0, missed: topic.length });

    // The table's doubled letters fail the table, and are not the topic's business.
    const doubled = syntheticSink(ecommerce);
    doubled.letters.ecommerce.push(...doubled.letters.ecommerce.slice(0, 2));
    report = await verifyWithTopic(doubled, topic);
    expect(failing(report)).toEqual(['dlq-capture']);
    expect(check(report, 'dlq-capture').figures.duplicates).toBe(2);
    expect(check(report, 'dlq-topic').figures.redeliveries).toBe(0);
  });

  it('says what it expected when a letter names no record of this run', async () => {
    const sink = syntheticSink(ecommerce);
    const topic = topicLetters(sink.letters.ecommerce);
    topic.push({ ...topic[0]!, recordIndex: null });
    const result = check(await verifyWithTopic(sink, topic), 'dlq-topic');
    expect(result.figures).toMatchObject({ unmapped: 1, validDeadLettered: 0 });
    expect(result.status).toBe('fail');
    expect(result.summary).toContain('`harness-dlq-index` header');
  });

  it('is left out of a run without a dead-letter topic', async () => {
    const sink = syntheticSink(ecommerce);
    const report = await verifyRun(sink.manifest, memoryReader(sink), { nowMs: VERIFY_AT, deadLetters: memoryStream({ lol: [] }) });
    expect(report.checks.map((c) => c.name)).not.toContain('dlq-topic');
    expect(report.verdict).toBe('pass');
  });
});

describe('aggregates', () => {
  /** The index in `rows` of the first statistics row `test` picks. */
  function statisticAt(rows: StatisticsRow[], test: (row: StatisticsRow) => boolean): number {
    const at = rows.findIndex(test);
    expect(at).toBeGreaterThanOrEqual(0);
    return at;
  }

  function withValues(row: StatisticsRow, change: Record<string, number>): StatisticsRow {
    return { ...row, values: { ...row.values, ...change } };
  }

  const championWindow = (r: StatisticsRow) => r.statistic === 'champion' && r.windowStartMs !== null;
  const positionTotal = (r: StatisticsRow) => r.statistic === 'position' && r.windowStartMs === null;

  it('compares every group of every statistic, per window and in total, from the regenerated truth', async () => {
    const sink = syntheticSink(lol);
    const result = check(await verify(sink), 'aggregates');
    const groups = sink.statistics.lol;
    // Late matches (1-6 h behind) open windows of their own, besides the run's.
    const windows = new Set(groups.filter((g) => g.windowStartMs !== null).map((g) => g.windowStartMs));
    expect(windows.size).toBeGreaterThan(2);
    expect(groups.filter((g) => g.statistic === 'position' && g.windowStartMs === null)).toHaveLength(5);
    expect(result.figures).toMatchObject({
      groupsExpected: groups.length,
      rows: groups.length,
      groupsCompared: groups.length,
      groupsWrong: 0,
      missing: 0,
      extra: 0,
    });
  });

  it('counts missing, extra and wrong groups, each alone, naming group, field, expected and actual', async () => {
    const missing = syntheticSink(lol);
    const gone = [statisticAt(missing.statistics.lol, championWindow), statisticAt(missing.statistics.lol, positionTotal)].map(
      (i) => missing.statistics.lol[i]!,
    );
    missing.statistics.lol = missing.statistics.lol.filter((row) => !gone.includes(row));
    let report = await verify(missing);
    expect(failing(report)).toEqual(['aggregates']);
    expect(check(report, 'aggregates').figures).toMatchObject({ missing: 2, groupsWrong: 0, extra: 0 });
    expect(new Set(check(report, 'aggregates').samples.missing)).toEqual(new Set(gone.map(describeGroup)));

    const extra = syntheticSink(lol);
    const some = extra.statistics.lol[0]!;
    extra.statistics.lol.push({ ...some, group: 'Nobody' }, { ...extra.statistics.lol[1]! });
    report = await verify(extra);
    expect(failing(report)).toEqual(['aggregates']);
    expect(check(report, 'aggregates').figures).toMatchObject({ extra: 2, missing: 0, groupsWrong: 0 });
    expect(check(report, 'aggregates').samples.extra).toEqual([
      `${describeGroup(extra.statistics.lol[1]!)} (a second row for it)`,
      `${describeGroup({ ...some, group: 'Nobody' })} (no match of this run falls in it)`,
    ]);

    const wrong = syntheticSink(lol);
    const rows = wrong.statistics.lol;
    const champion = statisticAt(rows, championWindow);
    const position = statisticAt(rows, positionTotal);
    const games = rows[champion]!.values.games_played as number;
    rows[champion] = withValues(rows[champion]!, { games_played: games + 1 });
    rows[position] = withValues(rows[position]!, { avg_dpm: (rows[position]!.values.avg_dpm as number) + 0.1 });
    report = await verify(wrong);
    expect(failing(report)).toEqual(['aggregates']);
    expect(check(report, 'aggregates').figures).toMatchObject({
      groupsWrong: 2,
      missing: 0,
      extra: 0,
      'wrong.champion.games_played': 1,
      'wrong.position.avg_dpm': 1,
      'wrong.champion.wins': 0,
    });
    expect(check(report, 'aggregates').samples.wrong).toContain(`${describeGroup(rows[champion])} games_played: expected ${games}, got ${games + 1}`);
  });

  it('holds rates and averages to half a unit of their second decimal, and counts exactly', async () => {
    const near = (change: (row: StatisticsRow) => Record<string, number>) => {
      const sink = syntheticSink(lol);
      const at = statisticAt(sink.statistics.lol, championWindow);
      sink.statistics.lol[at] = withValues(sink.statistics.lol[at]!, change(sink.statistics.lol[at]!));
      return verify(sink);
    };
    // A pipeline that rounds its averages to 2 decimals, as seed 002 rounds the win rate, passes.
    const rounded = syntheticSink(lol);
    rounded.statistics.lol = rounded.statistics.lol.map((row) => ({
      ...row,
      values: Object.fromEntries(Object.entries(row.values).map(([k, v]) => [k, Math.round((v as number) * 100) / 100])),
    }));
    expect(failing(await verify(rounded))).toEqual([]);
    expect(failing(await near((r) => ({ avg_kills: (r.values.avg_kills as number) + 0.0049 })))).toEqual([]);
    expect(failing(await near((r) => ({ win_rate: (r.values.win_rate as number) - 0.0049 })))).toEqual([]);
    expect(check(await near((r) => ({ avg_kills: (r.values.avg_kills as number) + 0.0051 })), 'aggregates').figures['wrong.champion.avg_kills']).toBe(1);
    expect(check(await near((r) => ({ wins: (r.values.wins as number) + 0.001 })), 'aggregates').figures['wrong.champion.wins']).toBe(1);
  });

  it('catches one match counted twice in every group it falls in, and only there', async () => {
    const sink = syntheticSink(lol);
    const values = sink.rows.lol.map((r) => r.values);
    const doubled = values[0]!.match_id;
    const match = values.filter((v) => v.match_id === doubled);
    sink.statistics.lol = datasetStatistics.lol.flatMap((statistic) => statisticsOf(statistic, values, (v) => (v.match_id === doubled ? 2 : 1)));
    // Worked out apart from the check: each champion and position of the match, in its window and in total.
    const touched = new Set(
      datasetStatistics.lol.flatMap((statistic) =>
        match.flatMap((v) =>
          [windowStartOf(v.game_creation as number, statistic.windowMs), null].map((windowStartMs) =>
            statisticsKey({ statistic: statistic.name, group: String(v[statistic.groupBy]), windowStartMs }),
          ),
        ),
      ),
    );
    const report = await verify(sink);
    expect(failing(report)).toEqual(['aggregates']);
    expect(check(report, 'aggregates').figures).toMatchObject({
      groupsWrong: touched.size,
      missing: 0,
      extra: 0,
      'wrong.champion.games_played': 20,
      'wrong.position.games_played': 10,
    });
  });

  it('compares with the regenerated truth, not with the rows the sink holds', async () => {
    const sink = syntheticSink(lol);
    const lost = sink.rows.lol[0]!.values.match_id;
    sink.rows.lol = sink.rows.lol.filter((r) => r.values.match_id !== lost);
    // A pipeline whose statistics agree with its own rows, but a match short of the truth.
    sink.statistics.lol = datasetStatistics.lol.flatMap((statistic) =>
      statisticsOf(
        statistic,
        sink.rows.lol.map((r) => r.values),
      ),
    );
    const report = await verify(sink);
    expect(failing(report)).toEqual(['exactly-once', 'aggregates']);
    expect(check(report, 'aggregates').figures.groupsWrong).toBeGreaterThanOrEqual(20);
  });

  it('fails closed when the reader cannot read statistics or the sink holds none, and says so when the pipeline keeps none', async () => {
    const sink = syntheticSink(lol);
    const unreadable = await verifyRun(sink.manifest, memoryReader({ rows: sink.rows, letters: sink.letters }), { nowMs: VERIFY_AT });
    expect(failing(unreadable)).toEqual(['aggregates']);
    expect(check(unreadable, 'aggregates').summary).toContain('cannot read statistics');

    const empty = await verifyRun(sink.manifest, memoryReader({ ...sink, statistics: { ecommerce: [], lol: [] } }), { nowMs: VERIFY_AT });
    expect(failing(empty)).toEqual(['aggregates']);
    expect(check(empty, 'aggregates').figures).toMatchObject({ missing: sink.statistics.lol.length, rows: 0 });
    expect(check(empty, 'aggregates').summary).toContain('kept none');

    const notKept = await verifyRun(sink.manifest, memoryReader({ ...sink, statistics: false }), { nowMs: VERIFY_AT });
    expect(notKept.verdict).toBe('pass');
    expect(check(notKept, 'aggregates').summary).toMatch(/^does not apply: .*sink\.statistics: false/);
  });
});

describe('latency', () => {
  it('fails on impossible times instead of clamping them, each counted', async () => {
    const sink = syntheticSink(ecommerce);
    const rows = sink.rows.ecommerce;
    rows[0] = { ...(rows[0] as SinkRow), producedAtMs: (rows[0] as SinkRow).ingestedAtMs! + 500 };
    rows[1] = { ...(rows[1] as SinkRow), producedAtMs: null };
    rows[2] = { ...(rows[2] as SinkRow), producedAtMs: RUN_START - 86_400_000, ingestedAtMs: RUN_START + 500 };
    const report = await verify(sink);
    expect(failing(report)).toEqual(['latency']);
    expect(check(report, 'latency').figures).toMatchObject({ ingestedBeforeProduced: 1, nullTimes: 1, producedOutsideRun: 1 });
  });

  it('never reports a percentile above the max', async () => {
    const sink = syntheticSink(ecommerce);
    sink.rows.ecommerce.forEach((row, i) => (sink.rows.ecommerce[i] = { ...row, ingestedAtMs: (row.producedAtMs as number) + 1000 + (i % 7) }));
    const { figures } = check(await verify(sink), 'latency');
    for (const p of ['p50_ms', 'p90_ms', 'p99_ms', 'p999_ms']) expect(figures[p]).toBeLessThanOrEqual(figures.max_ms as number);
    expect(figures.max_ms).toBe(1006);
  });
});

describe('freshness', () => {
  it('fails a sink left over from another run, and says so', async () => {
    const stale = syntheticSink({ ...ecommerce, baseTime: new Date(RUN_START - 86_400_000).toISOString() });
    const current = syntheticSink(ecommerce);
    const report = await verifyRun(current.manifest, memoryReader({ rows: stale.rows, letters: current.letters }), { nowMs: VERIFY_AT });
    expect(check(report, 'freshness').status).toBe('fail');
    expect(check(report, 'freshness').summary).toContain('rows of another run');
    expect(check(report, 'freshness').figures.foreignRows).toBe(stale.rows.ecommerce.length);
  });

  it('fails rows ingested before the run started, with a pinned base time reused', async () => {
    const sink = syntheticSink(ecommerce);
    for (const i of [4, 5])
      sink.rows.ecommerce[i] = { ...(sink.rows.ecommerce[i] as SinkRow), producedAtMs: RUN_START - 86_400_000, ingestedAtMs: RUN_START - 86_000_000 };
    const report = await verify(sink);
    expect(check(report, 'freshness').figures.rowsOutsideRun).toBe(2);
  });
});

describe('expectations per bad kind', () => {
  it('a seed 001 pipeline that repairs views with a price passes, one that dead-letters them fails', async () => {
    const repairing = {
      datasets: { ecommerce: { count: 3000, faults: { malformed: { view_with_price: 0.05 } }, expect: { malformed: { view_with_price: 'repair' } } } },
    };
    const sink = syntheticSink(repairing);
    const repaired = sink.oracle.counts().repaired;
    expect(repaired).toBeGreaterThan(50);
    expect(sink.letters.ecommerce).toHaveLength(0);
    expect(failing(await verify(sink))).toEqual([]);

    const deadLettering = syntheticSink({ datasets: { ecommerce: { ...repairing.datasets.ecommerce, expect: {} } } });
    const report = await verifyRun(sink.manifest, memoryReader({ rows: deadLettering.rows, letters: deadLettering.letters }), { nowMs: VERIFY_AT });
    expect(check(report, 'exactly-once').figures.missing).toBe(repaired);
    expect(check(report, 'dlq-capture').figures.validDeadLettered).toBe(repaired);
  });

  it('dropped kinds must be in neither the sink nor the dead letters', async () => {
    const dropping = { datasets: { ecommerce: { count: 3000, faults: { malformed: { click_event: 0.05 } }, expect: { malformed: { click_event: 'drop' } } } } };
    const sink = syntheticSink(dropping);
    expect(sink.oracle.counts().dropped).toBeGreaterThan(50);
    expect(failing(await verify(sink))).toEqual([]);
    const letters = syntheticSink({ datasets: { ecommerce: { ...dropping.datasets.ecommerce, expect: {} } } }).letters;
    const report = await verifyRun(sink.manifest, memoryReader({ rows: sink.rows, letters }), { nowMs: VERIFY_AT });
    expect(failing(report)).toEqual(['dlq-capture']);
  });

  it('duplicates may be dead-lettered as duplicate when the scenario says so', async () => {
    const sink = syntheticSink({ datasets: { ecommerce: { count: 3000, faults: { duplicate: 0.05 }, expect: { duplicate: 'dead-letter' } } } });
    expect(sink.letters.ecommerce.length).toBeGreaterThan(50);
    expect(sink.letters.ecommerce.every((l) => l.reason === 'duplicate')).toBe(true);
    expect(failing(await verify(sink))).toEqual([]);
  });
});

describe('fail closed', () => {
  it('a dataset whose generation never finished fails, and the verdict with it', async () => {
    const sink = syntheticSink(ecommerce);
    delete sink.manifest.datasets.ecommerce;
    const report = await verify(sink);
    expect(report.verdict).toBe('fail');
    expect(report.checks.map((c) => `${c.name}: ${c.status}`)).toEqual(['generation: fail']);
    expect(report.checks[0]?.summary).toContain('generation incomplete');
  });

  it('a dataset that produced part of its records fails with how many', async () => {
    const sink = syntheticSink(ecommerce);
    sink.manifest.datasets.ecommerce!.records = 900;
    const report = await verify(sink);
    expect(report.checks[0]?.summary).toContain('900 of 3000 records produced');
  });
});
