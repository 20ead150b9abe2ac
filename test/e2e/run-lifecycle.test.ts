import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../core/exit-codes.ts';
import { runScenario } from '../../runner/run-scenario.ts';
import { latestRunDir, loadManifest, MANIFEST_FILE } from '../../runs/manifest.ts';
import type { Report } from '../../verifier/report.ts';
import { runCli } from '../helpers/cli.ts';
import { describeIfPostgres, dropSchema, PG_URL, uniqueSchema } from '../helpers/postgres.ts';
import { tempDir, writeScenario } from '../helpers/scenario.ts';

/**
 * A green verdict is earned: a run stopped or killed part way never verifies as a pass, the
 * pipeline does not wait forever on it, and `harness resume` finishes it with nothing lost or doubled.
 */
function pacedScenario(schema = 'harness'): string {
  return [
    'name: lifecycle',
    'seed: 21',
    'transport: { type: csv, rotateRecords: 1000 }',
    'pipeline: { type: reference, batchSize: 500, pollInterval: 20ms }',
    `sink: { schema: ${schema} }`,
    'datasets:',
    '  ecommerce: { count: 9000, rate: 3000, faults: { duplicate: 0.03, malformed: 0.04, future: 0.01, late: 0.02 } }',
    '  lol: { count: 450, rate: 150, faults: { duplicate: 0.03, malformed: 0.04, future: 0.01, late: 0.02 } }',
    '',
  ].join('\n');
}

function verdictOf(stdout: string): Report {
  return JSON.parse(stdout) as Report;
}

function failing(report: Report): string[] {
  return report.checks.filter((c) => c.status === 'fail').map((c) => `${c.dataset}/${c.name}`);
}

describe('a run stopped part way (SIGINT, SIGTERM)', () => {
  it('is recorded as interrupted, fails verification, is not followed forever, and resumes to a pass', async () => {
    const cwd = tempDir();
    const home = join(cwd, '.harness');
    const stop = new AbortController();
    const running = runScenario({ scenarioPath: writeScenario(cwd, pacedScenario()), home, env: {}, log: () => {}, signal: stop.signal });
    // Stop it once the manifest (its heartbeat) shows records produced: part way through.
    await waitFor(() => producedSoFar(home) > 0, 90_000);
    stop.abort();
    const { runDir, manifest } = await running;
    expect(manifest.status).toBe('interrupted');
    const ecommerce = manifest.datasets.ecommerce!;
    expect(ecommerce.complete).toBe(false);
    expect(ecommerce.records).toBeGreaterThan(0);
    expect(ecommerce.records).toBeLessThan(ecommerce.count);
    expect(loadManifest(runDir)).toMatchObject({ status: 'interrupted' });

    const verify = await runCli(['verify', '--json'], { cwd });
    expect(verify.code).toBe(ExitCode.sloMissed);
    const generation = verdictOf(verify.stdout).checks.find((c) => c.dataset === 'ecommerce')!;
    expect(generation).toMatchObject({ name: 'generation', status: 'fail' });
    expect(generation.summary).toContain(`generation incomplete: ${ecommerce.records} of 9000 records produced`);

    const pipeline = await runCli(['pipeline'], { cwd });
    expect(pipeline.code).toBe(ExitCode.usage);
    expect(pipeline.stderr).toContain('is incomplete (interrupted)');
    expect(pipeline.stderr).toContain(`harness resume --run ${runDir}`);

    const resume = await runCli(['resume', '--quiet'], { cwd });
    expect(resume.stdout).toContain('verdict: PASS');
    expect(resume.code).toBe(ExitCode.ok);
    expect(loadManifest(runDir)).toMatchObject({ status: 'finished', datasets: { ecommerce: { complete: true, records: 9000 } } });
    // The files that existed were kept, not written again.
    expect(readdirSync(join(runDir, 'data', 'ecommerce')).filter((f) => f.endsWith('.csv'))).toHaveLength(9);
    expect((await runCli(['resume'], { cwd })).stderr).toContain('nothing to resume');
  });
});

/** `harness run` in a child process we can kill, from the TypeScript sources (as the tests run). */
function spawnRun(cwd: string, scenario: string, env: NodeJS.ProcessEnv) {
  const tsx = join(import.meta.dirname, '../../node_modules/tsx/dist/esm/index.mjs');
  const bin = join(import.meta.dirname, '../../cli/bin.ts');
  // The child sees the servers `env` names and no others (the test process may have PG_URL set).
  const childEnv = { ...process.env };
  delete childEnv.PG_URL;
  delete childEnv.DATABASE_URL;
  return spawn(process.execPath, ['--import', tsx, bin, 'run', scenario, '--quiet'], { cwd, env: { ...childEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * E-commerce records the newest run's manifest shows produced, or -1 before there is one: a run's
 * directory appears a moment before its manifest, so the directory alone is no run yet.
 */
function producedSoFar(home: string): number {
  const root = join(home, 'runs');
  const withManifest = existsSync(root) && readdirSync(root).some((name) => existsSync(join(root, name, MANIFEST_FILE)));
  return withManifest ? (loadManifest(latestRunDir(home)).datasets.ecommerce?.records ?? 0) : -1;
}

async function waitFor(test: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(25);
  }
}

/**
 * Kills `harness run` with SIGKILL once its manifest shows `records` e-commerce records produced (or,
 * with 'verify', once the run itself finished and only its verdict was being computed), then expects
 * `harness resume` to leave nothing lost or doubled.
 */
async function killThenResume(env: NodeJS.ProcessEnv, schema: string, at: number | 'verify'): Promise<void> {
  const cwd = tempDir();
  const scenario = writeScenario(cwd, pacedScenario(schema));
  const child = spawnRun(cwd, scenario, env);
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const home = join(cwd, '.harness');
  try {
    // --quiet prints nothing until the table: the manifest says when the run itself is finished.
    if (at === 'verify') await waitFor(() => producedSoFar(home) >= 0 && loadManifest(latestRunDir(home)).status === 'finished', 90_000);
    else await waitFor(() => producedSoFar(home) >= at, 90_000);
    child.kill('SIGKILL');
    await exited;
    const runDir = latestRunDir(home);
    const resume = await runCli(['resume', '--quiet'], { cwd, env });
    const verify = await runCli(['verify', '--json'], { cwd, env });
    expect(verify.stdout, `run: ${output}\nresume: ${resume.stderr}\nverify: ${verify.stderr}`).not.toBe('');
    const report = verdictOf(verify.stdout);
    expect({ at, failing: failing(report) }).toEqual({ at, failing: [] });
    for (const dataset of ['ecommerce', 'lol']) {
      const once = report.checks.find((c) => c.dataset === dataset && c.name === 'exactly-once')!;
      expect(once.figures).toMatchObject({ missing: 0, duplicateRows: 0, unexpected: 0 });
    }
    expect(resume.code, resume.stderr).toBe(ExitCode.ok);
    expect(loadManifest(runDir).status).toBe('finished');
  } finally {
    child.kill('SIGKILL');
  }
}

describeIfPostgres('kill -9 of harness run, then harness resume (PostgreSQL server)', () => {
  // During generation and the pipeline (records produced when killed), and during verification.
  it.each([0, 1000, 5000, 'verify'] as const)('killed at %s: resume loses and doubles nothing', async (at) => {
    const schema = uniqueSchema();
    try {
      await killThenResume({ PG_URL }, schema, at);
    } finally {
      await dropSchema(schema);
    }
  });
});

describe('kill -9 of harness run, then harness resume (embedded PGlite)', () => {
  it('killed mid-run: PGlite recovers its files, resume loses and doubles nothing', async () => {
    await killThenResume({}, 'harness', 3000);
  });
});

describeIfPostgres('SIGTERM to harness run (PostgreSQL server)', () => {
  it('stops between batches, exits 130 and says how to resume', async () => {
    const cwd = tempDir();
    const schema = uniqueSchema();
    const child = spawnRun(cwd, writeScenario(cwd, pacedScenario(schema)), { PG_URL });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const home = join(cwd, '.harness');
      await waitFor(() => producedSoFar(home) > 0, 60_000);
      child.kill('SIGTERM');
      expect(await exited).toBe(ExitCode.interrupted);
      const runDir = latestRunDir(home);
      expect(stderr).toContain(`interrupted after`);
      expect(stderr).toContain(`harness resume --run ${runDir}`);
      expect(loadManifest(runDir).status).toBe('interrupted');
    } finally {
      child.kill('SIGKILL');
      await dropSchema(schema);
    }
  });
});

describeIfPostgres('two runs at once (PostgreSQL server)', () => {
  it('on one schema: the second refuses at once, naming the first; on two schemas both pass', async () => {
    const schema = uniqueSchema();
    const other = uniqueSchema();
    const env = { PG_URL };
    try {
      const cwdA = tempDir();
      const first = runCli(['run', writeScenario(cwdA, pacedScenario(schema)), '--quiet'], { cwd: cwdA, env });
      const runs = join(cwdA, '.harness', 'runs');
      await waitFor(
        () => existsSync(runs) && readdirSync(runs).length > 0 && loadManifest(latestRunDir(join(cwdA, '.harness'))).transport.type === 'csv',
        20_000,
      );
      // The first run holds the schema once its sink is open; give it that moment.
      await sleep(600);
      const runA = loadManifest(latestRunDir(join(cwdA, '.harness'))).runId;

      const cwdB = tempDir();
      const started = Date.now();
      const second = await runCli(['run', writeScenario(cwdB, pacedScenario(schema)), '--quiet'], { cwd: cwdB, env });
      expect(second.code).toBe(ExitCode.usage);
      expect(second.stderr).toContain(`schema ${schema}`);
      expect(second.stderr).toContain(`harness run ${runA}`);
      expect(Date.now() - started).toBeLessThan(5000);

      const cwdC = tempDir();
      const third = runCli(['run', writeScenario(cwdC, pacedScenario(other)), '--quiet'], { cwd: cwdC, env });
      const [a, c] = await Promise.all([first, third]);
      expect(a.stdout).toContain('verdict: PASS');
      expect(c.stdout).toContain('verdict: PASS');
    } finally {
      await dropSchema(schema);
      await dropSchema(other);
    }
  });
});
