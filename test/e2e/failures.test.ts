import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../core/exit-codes.ts';
import { latestRunDir, loadManifest, MANIFEST_FILE } from '../../runs/manifest.ts';
import { describeIfPostgres, dropSchema, PG_URL, uniqueSchema } from '../helpers/postgres.ts';
import { smallScenario, tempDir, writeScenario } from '../helpers/scenario.ts';

const root = join(import.meta.dirname, '../..');
const tsx = join(root, 'node_modules/tsx/dist/esm/index.mjs');
const bin = join(root, 'cli/bin.ts');

interface Ended {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Milliseconds from the first `error:` line on stderr to the process's exit. */
  errorToExitMs: number | null;
}

/**
 * The CLI as a user runs it: its own process (so a handle left open would keep it alive), with
 * `preload` modules imported first to inject a failure into it. Killed after `timeoutMs`.
 */
function harness(argv: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; preload?: string; timeoutMs?: number }): Promise<Ended> {
  const env = { ...process.env };
  delete env.PG_URL;
  delete env.DATABASE_URL;
  delete env.HARNESS_DEBUG;
  const imports = ['--import', tsx, ...(options.preload ? ['--import', options.preload] : [])];
  const child = spawn(process.execPath, [...imports, bin, ...argv], { cwd: options.cwd, env: { ...env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let errorAt: number | null = null;
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (errorAt === null && /^error: /m.test(stderr)) errorAt = performance.now();
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr, errorToExitMs: errorAt === null ? null : performance.now() - errorAt });
    }),
  );
}

/** A stack frame of ours or of a library: none may reach a user without --debug. */
const STACK_FRAME = /^\s+at .+[:(]\d+/m;

function expectClean(ended: Ended, code: number, message: RegExp): void {
  const output = ended.stdout + ended.stderr;
  expect(ended.code, output).toBe(code);
  expect(ended.stderr).toMatch(message);
  expect(output).not.toMatch(STACK_FRAME);
  expect(ended.stderr.match(/^error: /gm)?.length ?? 0, output).toBe(1);
}

/** A module that throws inside the process, from a timer or as a rejected promise nobody awaits. */
function faultModule(dir: string, kind: 'throw' | 'reject'): string {
  const path = join(dir, `${kind}.mjs`);
  const fault = kind === 'throw' ? "throw new TypeError('injected bug')" : "void Promise.reject(new RangeError('injected rejection'))";
  writeFileSync(path, `setTimeout(() => { ${fault}; }, 1000);\n`);
  return path;
}

describe('every failure ends with one clear line, its exit code, no stack trace and no hang', () => {
  const cwd = tempDir();
  const scenario = writeScenario(cwd, smallScenario({ ecommerce: 400 }));

  it('the scenario: a bad file is exit 2 naming file, line and field', async () => {
    const bad = writeScenario(cwd, 'name: bad\ndatasets:\n  lol: { count: many }\n', 'bad.yaml');
    expectClean(await harness(['run', bad], { cwd }), ExitCode.usage, /bad\.yaml:3:17 \/datasets\/lol\/count/);
  });

  it('the manifest: truncated, empty or not a manifest is exit 2 naming the file and what still works', async () => {
    const run = await harness(['run', scenario, '--quiet'], { cwd });
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    const runDir = latestRunDir(join(cwd, '.harness'));
    const manifest = join(runDir, MANIFEST_FILE);
    const whole = readFileSync(manifest, 'utf8');
    truncateSync(manifest, 100);
    expectClean(
      await harness(['verify', '--run', runDir], { cwd }),
      ExitCode.usage,
      new RegExp(`${manifest} is not valid JSON, truncated or corrupt .*data files in ${runDir} are intact`),
    );
    writeFileSync(manifest, '');
    expectClean(await harness(['verify'], { cwd }), ExitCode.usage, /manifest\.json is empty/);
    writeFileSync(manifest, '[1, 2]');
    expectClean(await harness(['resume', '--run', runDir], { cwd }), ExitCode.usage, /is not a harness run manifest/);
    writeFileSync(manifest, whole);
    expect((await harness(['verify', '--run', runDir], { cwd })).code).toBe(ExitCode.ok);
  });

  it('the report: a truncated baseline is exit 2 naming it', async () => {
    const baseline = join(cwd, 'baseline.json');
    writeFileSync(baseline, '{"schemaVersion": 1, "chec');
    expectClean(await harness(['compare', baseline], { cwd }), ExitCode.usage, /baseline .*baseline\.json: is not valid JSON/);
  });

  it('a bug (a throw in a timer, a rejection nobody awaits) is exit 70, says it is a bug and how to report it', async () => {
    for (const kind of ['throw', 'reject'] as const) {
      const ended = await harness(['run', scenario, '--quiet', '--no-verify'], { cwd, preload: faultModule(cwd, kind) });
      expectClean(ended, ExitCode.internal, /unexpected error: injected .*\nThis is a bug in harness\. Please report it/);
      expect(ended.errorToExitMs).toBeLessThan(10_000);
    }
  });

  it('--debug and HARNESS_DEBUG=1 add the stack trace', async () => {
    const bad = join(cwd, 'missing.yaml');
    const plain = await harness(['validate', bad], { cwd });
    expect(plain.stderr).not.toMatch(STACK_FRAME);
    for (const ended of [await harness(['validate', bad, '--debug'], { cwd }), await harness(['validate', bad], { cwd, env: { HARNESS_DEBUG: '1' } })]) {
      expect(ended.code).toBe(ExitCode.usage);
      expect(ended.stderr).toMatch(STACK_FRAME);
    }
  });

  it('the sink: an unreachable PostgreSQL is exit 3 naming it, the password masked', async () => {
    const path = writeScenario(
      cwd,
      smallScenario({ ecommerce: 50 }).replace('sink: { schema: harness }', 'sink: { schema: harness, outageLimit: 2s }'),
      'outage.yaml',
    );
    const ended = await harness(['run', path, '--quiet'], { cwd, env: { PG_URL: 'postgres://u:secret@127.0.0.1:1/x' } });
    expectClean(ended, ExitCode.unreachable, /127\.0\.0\.1:1/);
    expect(ended.stderr).not.toContain('secret');
    expect(ended.errorToExitMs).toBeLessThan(10_000);
  });

  it('the broker: unreachable Kafka brokers are exit 3 naming KAFKA_BROKERS', async () => {
    const kafka = writeScenario(
      cwd,
      smallScenario({ ecommerce: 50 }).replace('transport: { type: csv, rotateRecords: 400 }', 'transport: { type: kafka, connectTimeout: 1s }'),
      'kafka.yaml',
    );
    const ended = await harness(['run', kafka, '--quiet'], { cwd, env: { KAFKA_BROKERS: '127.0.0.1:1' } });
    expectClean(ended, ExitCode.unreachable, /KAFKA_BROKERS/);
    expect(ended.errorToExitMs).toBeLessThan(10_000);
  });
});

/** Why a small file system cannot be mounted here (it takes root and the mount syscall), or null. */
function tmpfsUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  const probe = tempDir('harness-tmpfs-probe-');
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { encoding: 'utf8' });
  if (mounted.status !== 0) return `mount -t tmpfs failed: ${mounted.stderr.trim()}`;
  spawnSync('umount', [probe]);
  return null;
}

const noTmpfs = tmpfsUnavailable();
if (noTmpfs && process.env.HARNESS_REQUIRE_SERVICES) throw new Error(`HARNESS_REQUIRE_SERVICES is set but the disk-full tests cannot run: ${noTmpfs}`);
const describeIfTmpfs = noTmpfs === null ? describeIfPostgres : describe.skip;
if (noTmpfs) console.warn(`disk-full tests skipped: ${noTmpfs}`);

describeIfTmpfs('a full disk (a small tmpfs as --home; the sink on the PostgreSQL server)', () => {
  const schema = uniqueSchema();
  const home = tempDir('harness-full-');
  afterAll(async () => {
    spawnSync('umount', [home]);
    rmSync(home, { recursive: true, force: true });
    await dropSchema(schema);
  });

  it('stops producing, records failed, exits 3 naming the directory within seconds; harness resume finishes once there is room', async () => {
    mkdirSync(home, { recursive: true });
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', home]).status).toBe(0);
    const cwd = tempDir();
    // Worker threads write the files, so the error crosses a thread and must keep its code.
    const path = writeScenario(cwd, smallScenario({ ecommerce: 30_000, lol: 300, schema }));
    const env = { PG_URL };
    const run = await harness(['--home', home, 'run', path, '--quiet', '--workers', '2'], { cwd, env });
    expectClean(run, ExitCode.unreachable, new RegExp(`no space left on the device writing ${home}/.*harness resume --run ${home}/runs/`));
    expect(run.errorToExitMs).toBeLessThan(10_000);
    const runDir = latestRunDir(home);
    const manifest = loadManifest(runDir);
    // The last manifest that fitted: failed with the reason, or the heartbeat's before the disk filled.
    if (manifest.status === 'failed') expect(manifest.error).toMatch(/ENOSPC/);
    else expect(manifest.status).toBe('running');
    expect(manifest.datasets.ecommerce?.complete).toBe(false);

    expect(spawnSync('mount', ['-o', 'remount,size=64m', home]).status).toBe(0);
    const resumed = await harness(['--home', home, 'resume', '--run', runDir, '--quiet'], { cwd, env, timeoutMs: 120_000 });
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(ExitCode.ok);
    expect(resumed.stdout).toContain('verdict: PASS');
  });
});
