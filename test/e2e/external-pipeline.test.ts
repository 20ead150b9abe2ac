import { execFile, execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../core/exit-codes.ts';
import { ecommerceMalformed } from '../../generators/ecommerce.ts';
import { latestRunDir, loadManifest } from '../../runs/manifest.ts';
import type { Report } from '../../verifier/report.ts';
import { runCli } from '../helpers/cli.ts';
import { describeIfPostgres, dropSchema, PG_URL, uniqueSchema } from '../helpers/postgres.ts';
import { tempDir, writeScenario } from '../helpers/scenario.ts';

/**
 * docs/external-pipeline.md's promise: an outsider's pipeline (here docs/examples/, psql alone)
 * consumes a run's files, and `harness verify` judges it like the reference pipeline.
 */
const examples = join(import.meta.dirname, '../../docs/examples');
const pipelineScript = join(examples, 'ecommerce-pipeline.sh');
const run = promisify(execFile);

function scenario(schema: string, count = 3000): string {
  return [
    'name: external-sql',
    'seed: 31',
    'transport: { type: csv, rotateRecords: 500 }',
    'pipeline: { type: external, waitFor: 30s }',
    `sink: { schema: ${schema}, outageLimit: 2s }`, // an unreachable server is exit 3 after 2 s, not the default 5m
    'datasets:',
    '  ecommerce:',
    `    count: ${count}`,
    // 9 malformed kinds share 9%: about 30 of each; duplicates reach across files.
    '    faults: { duplicate: 0.04, malformed: 0.09, future: 0.02, late: 0.03 }',
    '',
  ].join('\n');
}

async function query<R extends Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

function report(stdout: string): Report {
  return JSON.parse(stdout) as Report;
}

describe('harness sink init / ddl without a server', () => {
  const cwd = tempDir();
  const path = writeScenario(cwd, scenario('ext_ddl'));

  it('sink init without PG_URL exits 2 and says what to set', async () => {
    const result = await runCli(['sink', 'init', path], { cwd, env: {} });
    expect(result.code).toBe(ExitCode.usage);
    expect(result.stderr).toContain('set PG_URL (or DATABASE_URL)');
    expect(result.stderr).toContain('PGlite');
  });

  it('sink ddl prints the CREATE statements, connecting to nothing', async () => {
    const result = await runCli(['sink', 'ddl', path], { cwd, env: { PG_URL: 'postgres://nobody@127.0.0.1:1/none' } });
    expect(result.code, result.stderr).toBe(ExitCode.ok);
    expect(result.stdout).toContain('CREATE SCHEMA IF NOT EXISTS "ext_ddl";');
    expect(result.stdout).toContain('CREATE TABLE IF NOT EXISTS "ext_ddl"."user_events" (\n  "event_id" text NOT NULL,');
    expect(result.stdout).toContain('  "price" numeric(10,2),\n');
    expect(result.stdout).toContain('  PRIMARY KEY ("event_id")\n);');
    expect(result.stdout).toContain('CREATE TABLE IF NOT EXISTS "ext_ddl"."dead_letters"');
    expect(result.stdout).toContain('CREATE TABLE IF NOT EXISTS "ext_ddl"."harness_checkpoints"');
    expect(result.stdout).not.toContain('lol_participants');
  });

  it('docs/external-pipeline.md shows exactly what sink ddl prints for the default tables', async () => {
    const both = writeScenario(cwd, 'name: both\ndatasets:\n  ecommerce: { count: 10 }\n  lol: { count: 10 }\n', 'both.yaml');
    const result = await runCli(['sink', 'ddl', both], { cwd, env: {} });
    expect(result.code, result.stderr).toBe(ExitCode.ok);
    const doc = readFileSync(join(import.meta.dirname, '../../docs/external-pipeline.md'), 'utf8');
    expect(doc).toContain(`\`\`\`sql\n${result.stdout}\`\`\``);
  });
});

describeIfPostgres('harness sink init against the PostgreSQL server', () => {
  const schema = uniqueSchema();
  const cwd = tempDir();
  const path = writeScenario(cwd, scenario(schema));
  const env = { PG_URL };
  afterAll(() => dropSchema(schema));

  const tables = async () =>
    (await query<{ table_name: string }>('SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1', [schema])).map(
      (r) => r.table_name,
    );
  const letters = async () => Number((await query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".dead_letters`))[0]?.n);

  it('creates the tables, keeps what they hold, and empties them with --reset', async () => {
    const init = await runCli(['sink', 'init', path], { cwd, env });
    expect(init.code, init.stderr).toBe(ExitCode.ok);
    expect(init.stdout).toContain(`schema ${schema}: user_events, dead_letters, harness_checkpoints`);
    expect(await tables()).toEqual(['dead_letters', 'harness_checkpoints', 'user_events']);

    await query(
      `INSERT INTO "${schema}".dead_letters (dataset, source, position, reason, detail, raw, dead_lettered_at) VALUES ('ecommerce', 'f.csv', 2, 'csv_parse', '', '\\x41', now())`,
    );
    expect((await runCli(['sink', 'init', path], { cwd, env })).code).toBe(ExitCode.ok);
    expect(await letters()).toBe(1);

    const reset = await runCli(['sink', 'init', path, '--reset'], { cwd, env });
    expect(reset.code, reset.stderr).toBe(ExitCode.ok);
    expect(reset.stdout).toContain('dropped and recreated (empty)');
    expect(await letters()).toBe(0);
    expect(await tables()).toEqual(['dead_letters', 'harness_checkpoints', 'user_events']);
  });
});

describeIfPostgres('an external pipeline in plain SQL (docs/examples/ecommerce-pipeline.sh)', () => {
  const schema = uniqueSchema();
  const cwd = tempDir();
  const env = { PG_URL };
  let dataDir = '';
  afterAll(() => dropSchema(schema));

  beforeAll(() => {
    try {
      execFileSync('psql', ['--version']);
    } catch {
      throw new Error('these tests run the example pipeline with psql: install the PostgreSQL client (apt-get install postgresql-client)');
    }
  });

  const pipeline = () => run('sh', [pipelineScript, dataDir, schema], { env: { ...process.env, PG_URL } });
  const verify = async () => {
    const result = await runCli(['verify', '--json'], { cwd, env });
    return { code: result.code, report: report(result.stdout), stderr: result.stderr };
  };

  it("consumes a run's files with psql, and harness verify passes every check", async () => {
    const path = writeScenario(cwd, scenario(schema));
    const produced = await runCli(['run', path, '--no-verify'], { cwd, env });
    expect(produced.code, produced.stderr).toBe(ExitCode.ok);
    const manifest = loadManifest(latestRunDir(join(cwd, '.harness')));
    dataDir = join((manifest.transport as { dir: string }).dir, 'ecommerce');

    const { stdout } = await pipeline();
    expect(stdout).toContain('ecommerce-000006.csv: done');

    const { code, report: result } = await verify();
    expect(
      code,
      JSON.stringify(
        result.checks.filter((c) => c.status !== 'pass'),
        null,
        2,
      ),
    ).toBe(ExitCode.ok);
    expect(result.checks.map((c) => `${c.name}:${c.status}`)).toEqual([
      'exactly-once:pass',
      'values:pass',
      'dlq-capture:pass',
      'freshness:pass',
      'latency:pass',
      'throughput:pass',
      'series:pass',
    ]);
    const dlq = result.checks.find((c) => c.name === 'dlq-capture')!;
    expect(dlq.figures.captured).toBe(dlq.figures.expected);

    // Every reason the scenario's faults call for is there, each as the harness expects it.
    const reasons = (await query<{ reason: string }>(`SELECT DISTINCT reason FROM "${schema}".dead_letters ORDER BY 1`)).map((r) => r.reason);
    expect(reasons).toEqual([...new Set([...ecommerceMalformed.map((k) => k.reason), 'future_timestamp'])].sort());
  });

  it('takes a file again without adding anything (keys and dead letters are unique)', async () => {
    const counts = async () =>
      (
        await query<{ rows: string; letters: string }>(
          `SELECT (SELECT count(*) FROM "${schema}".user_events) AS rows, (SELECT count(*) FROM "${schema}".dead_letters) AS letters`,
        )
      )[0];
    const before = await counts();
    await query(`DELETE FROM "${schema}".harness_checkpoints WHERE source IN ('ecommerce-000001.csv', 'ecommerce-000004.csv')`);
    const { stdout } = await pipeline();
    expect(stdout.trim().split('\n')).toEqual(['ecommerce-000001.csv: done', 'ecommerce-000004.csv: done']);
    expect(await counts()).toEqual(before);
  });

  it('fails, naming the check and the rows, once three prices are off by one', async () => {
    await query(
      `UPDATE "${schema}".user_events SET price = price + 1
       WHERE event_id IN (SELECT event_id FROM "${schema}".user_events WHERE event_type = 'purchase' ORDER BY event_id LIMIT 3)`,
    );
    const { code, report: result } = await verify();
    expect(code).toBe(ExitCode.sloMissed);
    expect(result.checks.filter((c) => c.status === 'fail').map((c) => c.name)).toEqual(['values']);
    const values = result.checks.find((c) => c.name === 'values')!;
    expect(values.figures).toMatchObject({ rowsWithMismatch: 3, 'mismatch.price': 3 });
    expect(values.samples.mismatches).toHaveLength(3);
  });

  it('fails a new run that nothing consumed over the sink the last one filled, and says why', async () => {
    const stale = scenario(schema).replace('waitFor: 30s', 'waitFor: 1s').replace(`sink: { schema: ${schema},`, `sink: { schema: ${schema}, reset: false,`);
    const produced = await runCli(['run', writeScenario(cwd, stale, 'stale.yaml'), '--no-verify', '--quiet'], { cwd, env });
    expect(produced.code, produced.stderr).toBe(ExitCode.ok);
    const { code, report: result } = await verify();
    expect(code).toBe(ExitCode.sloMissed);
    const freshness = result.checks.find((c) => c.name === 'freshness')!;
    expect(freshness.status).toBe('fail');
    expect(freshness.summary).toContain('rows of another run');
    expect(result.checks.find((c) => c.name === 'exactly-once')?.figures).toMatchObject({ unexpected: freshness.figures.rows, distinctKeys: 0 });
  });

  it('names a missing table (exit 2) and an unreachable server (exit 3), without a stack trace', async () => {
    await query(`DROP TABLE "${schema}".user_events`);
    const missing = await runCli(['verify'], { cwd, env });
    expect(missing.code).toBe(ExitCode.usage);
    expect(missing.stderr).toContain(`table ${schema}.user_events`);
    expect(missing.stderr).not.toMatch(/\n\s+at /);
    const unreachable = await runCli(['verify'], { cwd, env: { PG_URL: 'postgres://postgres@127.0.0.1:1/test' } });
    expect(unreachable.code).toBe(ExitCode.unreachable);
    expect(unreachable.stderr).toContain('could not be reached');
    expect(unreachable.stderr).not.toMatch(/\n\s+at /);
  });
});

describeIfPostgres('harness verify waiting (waitFor) for a pipeline still at work', () => {
  const schema = uniqueSchema();
  const cwd = tempDir();
  const env = { PG_URL };
  afterAll(() => dropSchema(schema));

  // The run window ends when verify has finished waiting, not when it started: rows the pipeline
  // writes during the wait are this run's.
  it('passes when the pipeline finishes while verify waits', async () => {
    const path = writeScenario(cwd, scenario(schema, 1000));
    expect((await runCli(['run', path, '--no-verify', '--quiet'], { cwd, env })).code).toBe(ExitCode.ok);
    const manifest = loadManifest(latestRunDir(join(cwd, '.harness')));
    const dataDir = join((manifest.transport as { dir: string }).dir, 'ecommerce');
    const verifying = runCli(['verify', '--json'], { cwd, env });
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await run('sh', [pipelineScript, dataDir, schema], { env: { ...process.env, PG_URL } });
    const result = await verifying;
    const freshness = report(result.stdout).checks.find((c) => c.name === 'freshness')!;
    expect(freshness.figures.rowsOutsideRun, freshness.summary).toBe(0);
    expect(result.code).toBe(ExitCode.ok);
  });
});

describeIfPostgres('harness run with pipeline: external, watching the pipeline under test through its sink', () => {
  const schema = uniqueSchema();
  const cwd = tempDir();
  const env = { PG_URL };
  afterAll(() => dropSchema(schema));

  it("shows the pipeline's ingest rate and backlog in the progress lines, read from the sink once a second", { timeout: 120_000 }, async () => {
    const path = writeScenario(
      cwd,
      [
        'name: external-watched',
        'seed: 32',
        'transport: { type: csv, rotateRecords: 250, rotateInterval: 250ms }',
        'pipeline: { type: external, waitFor: 30s }',
        `sink: { schema: ${schema} }`,
        'datasets:',
        '  ecommerce: { count: 5000, rate: 1000 }',
        '',
      ].join('\n'),
    );
    const running = runCli(['run', path, '--no-verify', '--progress-interval', '1s'], { cwd, env });
    // The pipeline under test: the reference pipeline on its own, following the run's files from the first one (its tables are ready then).
    let runDir: string | null = null;
    while (!runDir) {
      try {
        const dir = latestRunDir(join(cwd, '.harness'));
        if (readdirSync(join(dir, 'data/ecommerce')).some((name) => name.endsWith('.csv'))) runDir = dir;
      } catch {
        // Not there yet.
      }
      if (!runDir) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const consuming = runCli(['pipeline', '--run', runDir, '--follow', '--quiet'], { cwd, env });
    const [produced, consumed] = await Promise.all([running, consuming]);
    expect(produced.code, produced.stderr).toBe(ExitCode.ok);
    expect(consumed.code, consumed.stderr).toBe(ExitCode.ok);
    const lines = produced.stderr.split('\n').filter((line) => line.startsWith('progress [ecommerce]'));
    // Ingestion is known (not "-"), and at some second the sink had taken rows at a rate.
    expect(lines.length).toBeGreaterThan(0);
    expect(
      lines.every((line) => /ingested \d+\/s {2}backlog \d+/.test(line)),
      lines.join('\n'),
    ).toBe(true);
    expect(
      lines.some((line) => /ingested [1-9]\d*\/s/.test(line)),
      lines.join('\n'),
    ).toBe(true);
  });
});
