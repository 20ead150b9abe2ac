import { describe, expect, it } from 'vitest';
import { statisticsTables } from '../../connectors/sinks/sql/statistics.ts';
import type { SqlSinkSpec } from '../../connectors/sinks/sql/spec.ts';
import { HarnessError } from '../../core/errors.ts';
import type { OutputRow } from '../../pipeline/output.ts';
import { championStatistics, positionStatistics } from '../../pipeline/rules/lol-statistics.ts';
import { describeGroup, statisticsOf, type StatisticsRow } from '../../pipeline/statistics.ts';
import { parseScenario } from '../../scenarios/load.ts';

/**
 * Seed 002's statistics as the one pure function computes them (the verifier's truth): per
 * 5-minute window and in total, exact sums behind the averages, the win rate rounded as seed 002.
 */
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const FIVE_MINUTES = 300_000;

function participant(values: Partial<Record<string, string | number | boolean>>): OutputRow {
  return {
    match_id: 'EUW1_5000000001',
    champion_name: 'Ahri',
    position: 'MIDDLE',
    game_creation: T0,
    win: true,
    kills: 0,
    deaths: 0,
    assists: 0,
    kda: 0,
    gold_per_minute: 0,
    damage_per_minute: 0,
    cs_per_minute: 0,
    ...values,
  };
}

function find(rows: StatisticsRow[], group: string, windowStartMs: number | null): StatisticsRow {
  const row = rows.find((r) => r.group === group && r.windowStartMs === windowStartMs);
  if (!row) throw new Error(`no ${group} ${windowStartMs}`);
  return row;
}

describe('statistics', () => {
  it('puts a row in the tumbling window its event time falls in, boundaries included, and every row in the total', () => {
    const rows = [T0 - 1, T0, T0 + FIVE_MINUTES - 1, T0 + FIVE_MINUTES].map((game_creation) => participant({ game_creation }));
    const stats = statisticsOf(championStatistics, rows);
    expect(stats.map(describeGroup).sort()).toEqual(
      [
        'champion "Ahri" total',
        'champion "Ahri" window 2026-01-01T11:55:00.000Z',
        'champion "Ahri" window 2026-01-01T12:00:00.000Z',
        'champion "Ahri" window 2026-01-01T12:05:00.000Z',
      ].sort(),
    );
    expect(find(stats, 'Ahri', T0).values.games_played).toBe(2);
    expect(find(stats, 'Ahri', null).values.games_played).toBe(4);
  });

  it('derives a total from the sums of its windows, not from their averages', () => {
    const rows = [participant({ kills: 10, win: true }), ...[0, 1, 2].map(() => participant({ game_creation: T0 + FIVE_MINUTES, kills: 0, win: false }))];
    const stats = statisticsOf(championStatistics, rows);
    expect(find(stats, 'Ahri', T0).values).toMatchObject({ games_played: 1, avg_kills: 10, wins: 1, win_rate: 100 });
    expect(find(stats, 'Ahri', T0 + FIVE_MINUTES).values).toMatchObject({ games_played: 3, avg_kills: 0, win_rate: 0 });
    expect(find(stats, 'Ahri', null).values).toMatchObject({ games_played: 4, avg_kills: 2.5, wins: 1, win_rate: 25 });
  });

  it('sums 2-decimal metrics in hundredths, so averages carry no float drift, and rounds only the win rate', () => {
    const rows = [0.1, 0.2, 0.3].map((kda, i) => participant({ kda, gold_per_minute: 1234.57, win: i === 0 }));
    const total = find(statisticsOf(championStatistics, rows), 'Ahri', null).values;
    expect(total.avg_kda).toBe(0.2);
    expect(total.avg_gpm).toBe(1234.57);
    expect(total.win_rate).toBe(33.33);
  });

  it('groups positions apart from champions, with only their own fields', () => {
    const rows = [participant({ champion_name: 'Ahri', position: 'TOP', kills: 2 }), participant({ champion_name: 'Zed', position: 'TOP', kills: 4 })];
    const top = find(statisticsOf(positionStatistics, rows), 'TOP', null);
    expect(top.values).toEqual({ games_played: 2, avg_kills: 3, avg_deaths: 0, avg_assists: 0, avg_gpm: 0, avg_dpm: 0 });
  });

  it('counts a row of weight 2 twice in its window and its total', () => {
    const rows = [participant({ match_id: 'a', kills: 1 }), participant({ match_id: 'b', kills: 4 })];
    const stats = statisticsOf(championStatistics, rows, (row) => (row.match_id === 'b' ? 2 : 1));
    expect(find(stats, 'Ahri', T0).values).toMatchObject({ games_played: 3, avg_kills: 3 });
    expect(find(stats, 'Ahri', null).values).toMatchObject({ games_played: 3, avg_kills: 3 });
  });
});

describe('sink.statistics in a scenario', () => {
  const sinkOf = (sink: string) => parseScenario(`name: t\nsink: ${sink}\ndatasets:\n  lol: { count: 1 }\n`, 'x.yaml').sink as SqlSinkSpec;
  const problem = (sink: string) => {
    try {
      sinkOf(sink);
    } catch (error) {
      expect(error).toBeInstanceOf(HarnessError);
      return (error as Error).message;
    }
    throw new Error('expected a scenario error');
  };

  it('defaults to the declared tables and names, maps the ones a pipeline names, and says when there are none', () => {
    expect(statisticsTables(sinkOf('{}'), 'lol')?.map((t) => [t.table, t.column(t.statistic.groupBy), t.column('avg_kda')])).toEqual([
      ['lol_champion_stats', 'champion_name', 'avg_kda'],
      ['lol_position_stats', 'position', 'avg_kda'],
    ]);
    const mapped = statisticsTables(sinkOf('{ statistics: { lol: { champion: { table: champs, columns: { avg_kda: kda, window_start: w } } } } }'), 'lol')!;
    expect([mapped[0]!.table, mapped[0]!.column('avg_kda'), mapped[0]!.column('window_start'), mapped[0]!.column('wins'), mapped[1]!.table]).toEqual([
      'champs',
      'kda',
      'w',
      'wins',
      'lol_position_stats',
    ]);
    expect(statisticsTables(sinkOf('{ statistics: false }'), 'lol')).toBeNull();
    expect(statisticsTables(sinkOf('{}'), 'ecommerce')).toEqual([]);
  });

  it('rejects unknown statistics, columns and values, naming line and path', () => {
    expect(problem('{ statistics: { lol: { champion: { columns: { games: g } } } } }')).toContain(
      'x.yaml:2:53 /sink/statistics/lol/champion/columns/games: unknown key',
    );
    expect(problem('{ statistics: { lol: { items: {} } } }')).toContain('/sink/statistics/lol/items: unknown key');
    expect(problem('{ statistics: true }')).toContain(
      '/sink/statistics: expected false (the pipeline keeps no statistics) or, per dataset and statistic, { table, columns }',
    );
  });
});
