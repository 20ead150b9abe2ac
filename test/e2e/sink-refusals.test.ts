import { spawn } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { ExitCode } from '../../core/exit-codes.ts';
import { latestRunDir, loadManifest } from '../../runs/manifest.ts';
import { describeIfPostgres, dropSchema, PG_URL, uniqueSchema } from '../helpers/postgres.ts';
import { tempDir, writeScenario } from '../helpers/scenario.ts';

const root = join(import.meta.dirname, '../..');
const tsx = join(root, 'node_modules/tsx/dist/esm/index.mjs');
const bin = join(root, 'cli/bin.ts');

interface Ended {
  code: number | null;
  stderr: string;
  /** Milliseconds from `trigger` resolving to the process's exit. */
  afterTriggerMs: number | null;
}

/**
 * The CLI in its own process, as a user runs it; `onLine` sees each stderr line as it comes and may
 * return a promise (the fault it injects), whose end is when the clock for `afterTriggerMs` starts.
 */
function harness(argv: string[], cwd: string, env: NodeJS.ProcessEnv, onLine: (line: string) => Promise<void> | undefined): Promise<Ended> {
  const child = spawn(process.execPath, ['--import', tsx, bin, ...argv], {
    cwd,
    env: { ...process.env, HARNESS_DEBUG: '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  let pending = '';
  let triggeredAt: number | null = null;
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    pending += d.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) void onLine(line)?.then(() => void (triggeredAt = performance.now()));
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, stderr, afterTriggerMs: triggeredAt === null ? null : performance.now() - triggeredAt });
    }),
  );
}

/**
 * A server error that is not an outage (issue 20, leftovers): a table dropped under a running
 * pipeline makes the next write fail with 42P01. Waiting will not bring the table back, so the run
 * stops at once with exit 2 (configuration) naming the table and what to do, instead of waiting
 * out sink.outageLimit or exiting 3 as if the server were gone.
 */
describeIfPostgres('a table dropped while the pipeline writes (PostgreSQL server)', () => {
  const schemas: string[] = [];
  afterAll(async () => {
    for (const schema of schemas) await dropSchema(schema);
  });

  it('harness run exits 2 at once, naming the table and what to do, with no wait and no stack trace', async () => {
    const cwd = tempDir();
    const schema = uniqueSchema();
    schemas.push(schema);
    // 20 s of paced events, so the pipeline is still writing when the table goes; the default 5m outage limit.
    const path = writeScenario(
      cwd,
      [
        'name: dropped',
        'seed: 5',
        'transport: { type: csv, rotateRecords: 2000 }',
        'pipeline: { type: reference, batchSize: 200, pollInterval: 20ms }',
        `sink: { schema: ${schema} }`,
        'datasets:',
        '  ecommerce: { count: 20000, rate: 1000 }',
        '',
      ].join('\n'),
    );
    let dropped: Promise<void> | null = null;
    const ended = await harness(['run', path, '--verbose'], cwd, { PG_URL }, (line) => {
      if (dropped !== null || !/ batch \d+:/.test(line)) return undefined;
      dropped = (async () => {
        const admin = new pg.Client({ connectionString: PG_URL });
        await admin.connect();
        await admin.query(`DROP TABLE "${schema}".user_events`);
        await admin.end();
      })();
      return dropped;
    });
    expect(dropped, ended.stderr).not.toBeNull();
    expect(ended.code, ended.stderr).toBe(ExitCode.usage);
    // At once: the next batch's write (a batch every 0.2 s), not sink.outageLimit (5 minutes) later.
    expect(ended.afterTriggerMs).not.toBeNull();
    expect(ended.afterTriggerMs as number).toBeLessThan(10_000);
    const errors = ended.stderr.split('\n').filter((l) => l.startsWith('error: '));
    expect(errors, ended.stderr).toHaveLength(1);
    expect(errors[0]).toMatch(
      new RegExp(
        `^error: \\[ecommerce\\] sink write: the sink postgres://\\S+ refused: relation "${schema}\\.user_events" does not exist \\(SQLSTATE 42P01\\); `,
      ),
    );
    expect(errors[0]).toContain('harness sink init <scenario>');
    expect(ended.stderr).not.toMatch(/unavailable|retrying|could not be reached/);
    expect(ended.stderr).not.toMatch(/^\s+at .+[:(]\d+/m);
    const manifest = loadManifest(latestRunDir(join(cwd, '.harness')));
    expect(manifest.status).toBe('failed');
    expect(manifest.error).toContain(`relation "${schema}.user_events" does not exist`);
  }, 120_000);
});
