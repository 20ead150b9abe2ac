import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sinks } from '../../connectors/sinks/index.ts';
import { openPglite } from '../../connectors/sinks/sql/pglite.ts';
import { ExitCode } from '../../core/exit-codes.ts';
import { latestRunDir } from '../../runs/manifest.ts';
import type { Report } from '../../verifier/report.ts';
import { runCli } from '../helpers/cli.ts';
import { FakeCluster } from '../helpers/elasticsearch-fake.ts';
import { describeIfPostgres, dropSchema, PG_URL, uniqueSchema } from '../helpers/postgres.ts';
import { smallScenario, tempDir, writeScenario } from '../helpers/scenario.ts';

/**
 * `harness pipeline --recompute-statistics` (issue 20, leftovers): statistics that drifted from
 * their rows (a total changed, a window deleted, a stray group added) fail `aggregates`; rebuilt
 * from the rows they pass again, through the CLI as a user runs it, on each sink.
 */

interface Corruptible {
  /** Runs SQL on the run's sink, for the corruption. */
  sql(statement: string): Promise<void>;
}

/** The aggregates check of `harness verify --json` on the run. */
async function aggregates(cwd: string, runDir: string, env: NodeJS.ProcessEnv): Promise<{ code: number; figures: Record<string, number> }> {
  const verify = await runCli(['verify', '--run', runDir, '--json'], { cwd, env });
  const report = JSON.parse(verify.stdout) as Report;
  const check = report.checks.find((c) => c.dataset === 'lol' && c.name === 'aggregates');
  return { code: verify.code, figures: (check?.figures ?? {}) as Record<string, number> };
}

/** The same three drifts, in a SQL sink's champion statistics of schema `schema`. */
async function corruptSql(db: Corruptible, schema: string): Promise<void> {
  const table = `"${schema}".lol_champion_stats`;
  // A total off by one game, a window gone, a group no row has.
  await db.sql(
    `UPDATE ${table} SET games_played = games_played + 1, sum_games = sum_games + 1 WHERE champion_name = (SELECT min(champion_name) FROM ${table}) AND window_start IS NULL`,
  );
  await db.sql(
    `DELETE FROM ${table} WHERE (champion_name, window_start) = (SELECT champion_name, window_start FROM ${table} WHERE window_start IS NOT NULL ORDER BY 1, 2 DESC LIMIT 1)`,
  );
  await db.sql(
    `INSERT INTO ${table} (champion_name, window_start, games_played, wins, win_rate, avg_kills, avg_deaths, avg_assists, avg_kda, avg_gpm, avg_dpm, avg_cspm) VALUES ('Nobody', NULL, 3, 1, 33.33, 1, 1, 1, 1, 1, 1, 1)`,
  );
}

async function expectRepaired(
  scenario: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
  corrupt: (runDir: string) => Promise<void>,
  rebuilt: RegExp[],
): Promise<void> {
  const run = await runCli(['run', scenario, '--quiet'], { cwd, env });
  expect(run.code, run.stderr).toBe(ExitCode.ok);
  const runDir = latestRunDir(join(cwd, '.harness'));
  await corrupt(runDir);

  const before = await aggregates(cwd, runDir, env);
  expect(before.code).toBe(ExitCode.sloMissed);
  expect(before.figures).toMatchObject({ missing: 1, extra: 1 });
  expect(before.figures.groupsWrong).toBeGreaterThanOrEqual(1);

  const recompute = await runCli(['pipeline', '--run', runDir, '--recompute-statistics'], { cwd, env });
  expect(recompute.code, recompute.stderr).toBe(ExitCode.ok);
  const lines = recompute.stdout.trim().split('\n');
  expect(lines).toHaveLength(rebuilt.length);
  rebuilt.forEach((line, i) => expect(lines[i]).toMatch(line));

  const after = await aggregates(cwd, runDir, env);
  expect(after.figures).toMatchObject({ groupsWrong: 0, missing: 0, extra: 0 });
  expect(after.code).toBe(ExitCode.ok);
}

describe('harness pipeline --recompute-statistics on PGlite', () => {
  it('rebuilds the champion and position tables from the rows: verify fails before, passes after', async () => {
    const cwd = tempDir();
    const path = writeScenario(cwd, smallScenario({ lol: 60 }));
    await expectRepaired(
      path,
      cwd,
      {},
      async (runDir) => {
        const db = await openPglite(join(runDir, 'pglite'));
        try {
          await corruptSql({ sql: (s) => db.exec(s) }, 'harness');
        } finally {
          await db.close();
        }
      },
      [
        /^harness\.lol_champion_stats: \d+ rows recomputed from harness\.lol_participants$/,
        /^harness\.lol_position_stats: \d+ rows recomputed from harness\.lol_participants$/,
      ],
    );
  }, 180_000);
});

describeIfPostgres('harness pipeline --recompute-statistics on the PostgreSQL server', () => {
  const schema = uniqueSchema();
  afterAll(() => dropSchema(schema));

  it('rebuilds them under the run lock, beside nothing else: verify fails before, passes after', async () => {
    const cwd = tempDir();
    const path = writeScenario(cwd, smallScenario({ lol: 60, schema }));
    const env = { PG_URL };
    await expectRepaired(
      path,
      cwd,
      env,
      async () => {
        const client = new pg.Client({ connectionString: PG_URL });
        await client.connect();
        try {
          await corruptSql(
            {
              sql: async (s) => {
                await client.query(s);
              },
            },
            schema,
          );
        } finally {
          await client.end();
        }
      },
      [
        new RegExp(`^${schema}\\.lol_champion_stats: \\d+ rows recomputed from ${schema}\\.lol_participants$`),
        new RegExp(`^${schema}\\.lol_position_stats: \\d+ rows recomputed`),
      ],
    );
  }, 180_000);
});

describe('harness pipeline --recompute-statistics on Elasticsearch (in-memory node)', () => {
  const fake = new FakeCluster();
  const real = sinks.elasticsearch;
  beforeAll(() => {
    sinks.elasticsearch = () => Promise.resolve(fake.component());
  });
  afterAll(() => {
    sinks.elasticsearch = real;
  });

  it('rebuilds every window and total document from the participants, deleting the stray one: verify fails before, passes after', async () => {
    const cwd = tempDir();
    const path = writeScenario(cwd, smallScenario({ lol: 60, extra: 'sink: { type: elasticsearch }' }).replace('sink: { schema: harness }\n', ''));
    const env = { ES_URL: 'http://localhost:9200' };
    await expectRepaired(
      path,
      cwd,
      env,
      async () => {
        const client = fake.client();
        const index = 'lol_champion_stats';
        const docs = [...fake.docs(index)].sort(([a], [b]) => (a < b ? -1 : 1));
        const total = docs.find(([id]) => id.startsWith('total:'));
        const window = docs.findLast(([id]) => !id.startsWith('total:'));
        const source = total?.[1].source as { games_played: number; sum_games: number };
        if (!total || !window) throw new Error('the run left no champion statistics to corrupt');
        await client.index({ index, id: total[0], document: { ...source, games_played: source.games_played + 1, sum_games: source.sum_games + 1 } });
        await client.delete({ index, id: window[0] });
        await client.index({
          index,
          id: 'total:Nobody',
          document: {
            champion_name: 'Nobody',
            window_start: null,
            games_played: 3,
            wins: 1,
            win_rate: 33.33,
            avg_kills: 1,
            avg_deaths: 1,
            avg_assists: 1,
            avg_kda: 1,
            avg_gpm: 1,
            avg_dpm: 1,
            avg_cspm: 1,
          },
        });
        await client.indices.refresh({ index });
      },
      [
        /^lol_champion_stats: \d+ documents recomputed from lol_matches_stream, 1 that no row accounts for deleted$/,
        /^lol_position_stats: \d+ documents recomputed from lol_matches_stream$/,
      ],
    );
  }, 180_000);
});
