import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../../connectors/sinks/sql/postgres.ts';
import type { SqlSinkSpec } from '../../connectors/sinks/sql/spec.ts';
import { ExitCode } from '../../core/exit-codes.ts';
import { runPipeline } from '../../pipeline/run-pipeline.ts';
import { SqlSinkWriter } from '../../connectors/sinks/sql/writer.ts';
import { CsvFileSource } from '../../connectors/transports/csv/source.ts';
import { latestRunDir, loadManifest } from '../../runs/manifest.ts';
import type { Report } from '../../verifier/report.ts';
import { runCli } from '../helpers/cli.ts';
import { describeIfPostgres, dropSchema, PG_URL, uniqueSchema } from '../helpers/postgres.ts';
import { smallScenario, tempDir, writeScenario } from '../helpers/scenario.ts';

const smoke = join(import.meta.dirname, '../../scenarios/smoke.yaml');

describe('harness run / verify on the embedded default (CSV + PGlite)', () => {
  const cwd = tempDir();

  it('runs smoke.yaml end to end and exits 0', async () => {
    const run = await runCli(['run', smoke, '--base-time', '2026-01-01T00:00:00Z', '--verbose'], { cwd });
    expect(run.stderr).toContain('[ecommerce] batch 1:');
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    expect(run.stdout).toContain('verdict: PASS');
    const runDir = latestRunDir(join(cwd, '.harness'));
    const report = JSON.parse(readFileSync(join(runDir, 'report.json'), 'utf8')) as Report;
    expect(report).toMatchObject({ schemaVersion: 1, verdict: 'pass' });
    expect(report.checks.map((c) => `${c.dataset}/${c.name}`)).toEqual([
      ...['ecommerce', 'lol'].flatMap((dataset) =>
        ['exactly-once', 'values', 'dlq-capture', ...(dataset === 'lol' ? ['aggregates'] : []), 'freshness', 'latency', 'throughput', 'series'].map(
          (check) => `${dataset}/${check}`,
        ),
      ),
    ]);
    const exactly = report.checks[0]!;
    expect(exactly.figures.rows).toBe(exactly.figures.expected);
    expect(existsSync(join(runDir, 'junit.xml'))).toBe(true);
    expect(existsSync(join(runDir, 'report.md'))).toBe(true);
    expect(loadManifest(runDir).sink.kind).toBe('pglite');
  });

  it('re-verifies the latest run with the same verdict, and prints JSON with --json', async () => {
    const verify = await runCli(['verify'], { cwd });
    expect(verify.code).toBe(ExitCode.ok);
    expect(verify.stdout).toContain('verdict: PASS');
    const json = await runCli(['verify', '--json'], { cwd });
    expect(json.code).toBe(ExitCode.ok);
    const report = JSON.parse(json.stdout) as Report;
    expect(report.verdict).toBe('pass');
    expect(report.checks.every((c) => c.status === 'pass' && typeof c.figures === 'object')).toBe(true);
  });

  it('verifies a named run directory with --run', async () => {
    const runDir = latestRunDir(join(cwd, '.harness'));
    expect((await runCli(['verify', '--run', runDir], { cwd: tempDir() })).code).toBe(ExitCode.ok);
  });
});

describe('usage and configuration errors exit 2 with a message a user can act on', () => {
  const cwd = tempDir();

  it('a bad scenario names file, line and field', async () => {
    const path = writeScenario(cwd, 'name: bad\ndatasets:\n  ecommerce:\n    count: 10\n    speed: 5\n');
    const run = await runCli(['run', path], { cwd });
    expect(run.code).toBe(ExitCode.usage);
    expect(run.stderr).toContain(`${path}:5:5 /datasets/ecommerce/speed: unknown key`);
  });

  it('validate accepts a good scenario and rejects a bad one', async () => {
    expect((await runCli(['validate', smoke], { cwd })).stdout).toContain('valid');
    const bad = writeScenario(cwd, 'name: bad\ndatasets:\n  lol: { count: many }\n', 'bad.yaml');
    const result = await runCli(['validate', bad], { cwd });
    expect(result.code).toBe(ExitCode.usage);
    expect(result.stderr).toContain(':3:17 /datasets/lol/count: expected number');
  });

  it('an unknown option or command, or verify with no runs', async () => {
    expect((await runCli(['run', smoke, '--frobnicate'], { cwd })).code).toBe(ExitCode.usage);
    expect((await runCli(['launch'], { cwd })).code).toBe(ExitCode.usage);
    const verify = await runCli(['verify'], { cwd: tempDir() });
    expect(verify.code).toBe(ExitCode.usage);
    expect(verify.stderr).toContain('no runs under');
  });

  it('sink ddl on a sink without statements (Elasticsearch) says so, naming the sink, without connecting', async () => {
    const path = writeScenario(cwd, 'name: es\nsink: { type: elasticsearch }\ndatasets:\n  lol: { count: 10 }\n', 'es.yaml');
    const result = await runCli(['sink', 'ddl', path], { cwd, env: { ES_URL: 'http://127.0.0.1:1' } });
    expect(result.code).toBe(ExitCode.usage);
    expect(result.stderr).toContain("the scenario's sink (elasticsearch) has none");
    expect(result.stdout).toBe('');
  });
});

describe('a sink that cannot be reached exits 3', () => {
  it('after retrying, without generating anything', async () => {
    const cwd = tempDir();
    const path = writeScenario(cwd, smallScenario({ ecommerce: 50 }).replace('sink: { schema: harness }', 'sink: { schema: harness, outageLimit: 2s }'));
    const run = await runCli(['run', path], { cwd, env: { PG_URL: 'postgres://postgres:secret@127.0.0.1:1/test' } });
    expect(run.code).toBe(ExitCode.unreachable);
    expect(run.stderr).toContain('could not be reached');
    expect(run.stderr).toContain('retrying');
    expect(run.stderr).not.toContain('secret');
  }, 60_000);
});

describe('harness generate', () => {
  const cwd = tempDir();

  it('writes one dataset to stdout, identically for the same seed', async () => {
    const a = await runCli(['generate', smoke, '--dataset', 'ecommerce', '--count', '50', '--base-time', '2026-01-01T00:00:00Z'], { cwd });
    const b = await runCli(['generate', smoke, '--dataset', 'ecommerce', '--count', '50', '--base-time', '2026-01-01T00:00:00Z'], { cwd });
    expect(a.code).toBe(0);
    expect(a.stdout.split('\n')[0]).toBe('event_id,user_id,product_id,product_name,product_category,event_type,price,event_timestamp');
    expect(a.stdout.trimEnd().split('\n')).toHaveLength(51);
    expect(a.stdout).toBe(b.stdout);
  });

  it('explains one record: the oracle and the record', async () => {
    const run = await runCli(['generate', smoke, '--dataset', 'lol', '--explain', '3'], { cwd });
    const [explanation, record] = run.stdout.split('\n');
    const said = JSON.parse(explanation as string) as { recordKey: string };
    expect(said).toMatchObject({ dataset: 'lol', index: 3, origin: 3, outcome: { type: 'land' } });
    expect(said.recordKey).toMatch(/^EUW1_\d{10}$/);
    expect(record).toContain(`"matchId":"${said.recordKey}"`);
  });
});

describeIfPostgres('harness run / verify against the PostgreSQL server', () => {
  const schema = uniqueSchema();
  const cwd = tempDir();
  const env = { PG_URL, HARNESS_SCHEMA: schema };
  afterAll(() => dropSchema(schema));

  it('runs smoke.yaml through pg and verifies it', async () => {
    const run = await runCli(['run', smoke], { cwd, env });
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    expect(run.stderr).toContain('sink: postgres://postgres@127.0.0.1');
    const runDir = latestRunDir(join(cwd, '.harness'));
    expect(loadManifest(runDir).sink.kind).toBe('postgres');
    expect((await runCli(['verify'], { cwd, env })).code).toBe(ExitCode.ok);
  });

  it('verify without PG_URL says what to set', async () => {
    const verify = await runCli(['verify'], { cwd, env: {} });
    expect(verify.code).toBe(ExitCode.usage);
    expect(verify.stderr).toContain('set PG_URL');
  });
});

describeIfPostgres('pipeline: external — the harness verifies a pipeline it did not run', () => {
  const schema = uniqueSchema();
  const cwd = tempDir();
  const env = { PG_URL };
  afterAll(() => dropSchema(schema));

  it("generates only, then verify judges whatever the user's pipeline wrote", async () => {
    const path = writeScenario(cwd, smallScenario({ ecommerce: 600, schema, pipeline: 'pipeline: { type: external, waitFor: 1s }' }));
    const run = await runCli(['run', path, '--no-verify'], { cwd, env });
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    const runDir = latestRunDir(join(cwd, '.harness'));
    const manifest = loadManifest(runDir);

    // "Their" pipeline (here the reference one, run on its own) has created its tables but not
    // consumed anything yet: verify waits, then says what is missing.
    const sink = new SqlSinkWriter(await openPostgres(PG_URL as string), {
      spec: manifest.scenario.sink as SqlSinkSpec,
      datasets: ['ecommerce'],
      reset: false,
      uniqueKeys: true,
      uniqueDeadLetters: true,
    });
    await sink.connect();
    const early = await runCli(['verify', '--json'], { cwd, env });
    expect(early.code).toBe(ExitCode.sloMissed);
    expect(early.stderr).toContain('rows after waiting');

    await runPipeline({
      sources: [new CsvFileSource('ecommerce', join((manifest.transport as { dir: string }).dir, 'ecommerce'), 1)],
      sink,
      batchSize: 100,
      futureToleranceMs: 3_600_000,
      pollIntervalMs: 10,
      log: () => {},
    });
    await sink.close();
    const verify = await runCli(['verify'], { cwd, env });
    expect(verify.code, verify.stdout).toBe(ExitCode.ok);
  });

  it('refuses to run without a server the external pipeline can reach', async () => {
    const path = writeScenario(cwd, smallScenario({ ecommerce: 10, pipeline: 'pipeline: { type: external }' }), 'ext.yaml');
    const run = await runCli(['run', path], { cwd, env: {} });
    expect(run.code).toBe(ExitCode.usage);
    expect(run.stderr).toContain('pipeline: external (or --shard) needs a sink that pipeline can reach');
  });
});
