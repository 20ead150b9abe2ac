import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import { sql } from '../../connectors/sinks/sql/index.ts';
import type { SinkLock } from '../../connectors/sinks/sink.ts';
import { lockSchema } from '../../connectors/sinks/sql/lock.ts';
import { openSql } from '../../connectors/sinks/sql/open.ts';
import { sqlSinkSpec } from '../../connectors/sinks/sql/spec.ts';
import { createTables } from '../../connectors/sinks/sql/writer.ts';
import { openPostgres } from '../../connectors/sinks/sql/postgres.ts';
import { classifySqlError } from '../../connectors/sinks/sql/failures.ts';
import { HarnessError } from '../../core/errors.ts';
import { ExitCode } from '../../core/exit-codes.ts';
import { latestRunDir } from '../../runs/manifest.ts';
import type { Report } from '../../verifier/report.ts';
import { createThrowawayCluster, throwawayClusterUnavailable, type ThrowawayCluster } from '../helpers/pg-cluster.ts';
import { describeIfPostgres, dropSchema, PG_URL, uniqueSchema } from '../helpers/postgres.ts';
import { tempDir, writeScenario } from '../helpers/scenario.ts';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';

/**
 * The database goes away and comes back (issue: "the database goes away and comes back"). A run
 * must wait out a restart and an outage up to `sink.outageLimit`, then finish with nothing lost or
 * doubled; past the limit it is exit 3 naming the sink; a refused login is exit 3 at once.
 *
 * The server is taken away two ways: a TCP proxy in this process that cuts every connection and
 * refuses new ones (the shared server itself is never touched), and a PostgreSQL cluster of the
 * test's own that it really restarts and stops.
 */

const faults = '{ duplicate: 0.03, malformed: 0.04, future: 0.01, late: 0.02 }';

function outageScenario(schema: string, options: { events: number; matches: number; outageLimit?: string; rate?: number }): string {
  return [
    'name: outage',
    'seed: 23',
    'transport: { type: csv, rotateRecords: 2000 }',
    'pipeline: { type: reference, batchSize: 500, pollInterval: 50ms }',
    `sink: { schema: ${schema}${options.outageLimit ? `, outageLimit: ${options.outageLimit}` : ''} }`,
    'datasets:',
    `  ecommerce: { count: ${options.events}, rate: ${options.rate ?? 4000}, faults: ${faults} }`,
    `  lol: { count: ${options.matches}, rate: 100, faults: ${faults} }`,
    '',
  ].join('\n');
}

interface WatchedRun {
  code: number;
  stdout: string;
  stderr: string;
  /** When the command returned, epoch ms. */
  endedAt: number;
}

/** Runs the CLI in-process like runCli, calling `onLine` with each stderr line as it is written. */
async function runWatching(argv: string[], cwd: string, env: NodeJS.ProcessEnv, onLine: (line: string) => void = () => {}): Promise<WatchedRun> {
  const out: Buffer[] = [];
  const err: string[] = [];
  const code = await main(argv, {
    stdout: (chunk) => out.push(Buffer.from(chunk)),
    stderr: (text) => {
      err.push(text);
      for (const line of text.split('\n')) if (line) onLine(line);
    },
    env,
    cwd,
  });
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: err.join(''), endedAt: Date.now() };
}

function report(cwd: string): Report {
  return JSON.parse(readFileSync(join(latestRunDir(join(cwd, '.harness')), 'report.json'), 'utf8')) as Report;
}

/** The run landed everything once: nothing missing, doubled or unexpected, every dead letter once. */
function expectExactlyOnce(result: Report): void {
  for (const dataset of ['ecommerce', 'lol']) {
    const figures = (name: string) => result.checks.find((c) => c.dataset === dataset && c.name === name)?.figures;
    expect({ dataset, ...figures('exactly-once') }).toMatchObject({ dataset, missing: 0, duplicateRows: 0, unexpected: 0 });
    expect({ dataset, ...figures('dlq-capture') }).toMatchObject({ dataset, missed: 0, duplicates: 0 });
  }
  expect(result.verdict).toBe('pass');
}

const outageLines = (stderr: string) => stderr.split('\n').filter((l) => / unavailable| back after /.test(l));

describeIfPostgres('the SQL sink through a proxy that cuts the server away', () => {
  let proxy: TcpProxy;
  const schemas: string[] = [];

  beforeAll(async () => {
    const server = new URL(PG_URL as string);
    proxy = await startTcpProxy({ host: server.hostname, port: Number(server.port || 5432) });
  });
  afterAll(async () => {
    await proxy.close();
    for (const schema of schemas) await dropSchema(schema);
  });

  it('a run waits out a restart (1 s) and a stop (30 s) and loses and doubles nothing', async () => {
    const cwd = tempDir();
    const schema = uniqueSchema();
    schemas.push(schema);
    const path = writeScenario(cwd, outageScenario(schema, { events: 20_000, matches: 500 }));
    const outages: Promise<void>[] = [];
    let phase: 'before' | 'restart' | 'between' | 'stop' | 'after' = 'before';
    const run = await runWatching(['run', path, '--verbose'], cwd, { PG_URL: proxy.url(PG_URL as string) }, (line) => {
      // The restart as soon as the pipeline writes; the stop once it is back from the restart.
      if (phase === 'before' && / batch \d+:/.test(line)) {
        phase = 'restart';
        outages.push(proxy.outage(1000).then(() => void (phase = 'between')));
      } else if (phase === 'between' && line.includes(' back after ')) {
        phase = 'stop';
        outages.push(
          sleep(300)
            .then(() => proxy.outage(30_000))
            .then(() => void (phase = 'after')),
        );
      }
    });
    await Promise.all(outages);
    expect(phase, run.stderr).toBe('after');
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    const lines = outageLines(run.stderr);
    // Each outage: one line when it starts, one when the sink is back, and one per change of kind
    // at most (cut mid-query, then refused); never a line per attempt.
    expect(lines.filter((l) => l.includes('waiting up to 5m (sink.outageLimit)'))).toHaveLength(2);
    expect(lines.filter((l) => l.includes(' back after '))).toHaveLength(2);
    expect(lines.length).toBeLessThanOrEqual(8);
    expect(run.stderr).toMatch(/back after (29|3\d)\.\d s/);
    expectExactlyOnce(report(cwd));
  }, 110_000);

  it('past sink.outageLimit the run fails with exit 3 naming the sink and the limit', async () => {
    const cwd = tempDir();
    const schema = uniqueSchema();
    schemas.push(schema);
    const path = writeScenario(cwd, outageScenario(schema, { events: 20_000, matches: 200, outageLimit: '2s' }));
    let cutAt = 0;
    // At most one: an array, as TypeScript does not see a callback assign to a variable.
    const outages: Promise<void>[] = [];
    const run = await runWatching(['run', path, '--verbose'], cwd, { PG_URL: proxy.url(PG_URL as string) }, (line) => {
      if (outages.length === 0 && / batch \d+:/.test(line)) {
        cutAt = Date.now();
        outages.push(proxy.outage(10_000));
      }
    });
    expect(run.code, run.stderr).toBe(ExitCode.unreachable);
    const failedAfter = run.endedAt - cutAt;
    expect(failedAfter).toBeGreaterThanOrEqual(2000);
    expect(failedAfter).toBeLessThan(6000);
    expect(run.stderr).toMatch(
      new RegExp(
        `error: \\[\\w+\\] sink write: the sink postgres://postgres@127\\.0\\.0\\.1:${proxy.port}/test could not be reached for 2\\.\\d s \\(sink\\.outageLimit 2s\\)`,
      ),
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
    await Promise.all(outages);
  }, 60_000);

  it('connecting waits for a server that is not there yet', async () => {
    const outage = proxy.outage(1500);
    const lines: string[] = [];
    const started = Date.now();
    const client = await openSql({ kind: 'postgres', url: 'x' }, { PG_URL: proxy.url(PG_URL as string) }, { outageLimitMs: 30_000, log: (l) => lines.push(l) });
    await client.close();
    await outage;
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^connecting: sink PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:\d+\/test unavailable: connect ECONNREFUSED .*; waiting up to 30s/,
    );
    // Refused at 0, 0.2, 0.6 and 1.4 s; the fifth attempt, at 3.0 s, finds it back.
    expect(lines[1]).toMatch(/^connecting: sink PostgreSQL at .* back after \d\.\d s \(\d failed attempts\)$/);
  });

  it('the verifier losing the server mid-scan fails with exit 3 naming the sink, without crashing', async () => {
    const schema = uniqueSchema();
    schemas.push(schema);
    const spec = sqlSinkSpec.parse({ type: 'sql', schema });
    const direct = await openPostgres(PG_URL as string);
    try {
      await createTables(direct, { spec, datasets: ['ecommerce'], reset: true, uniqueKeys: true, uniqueDeadLetters: true });
      // Many pages (of COPY's 500 rows), so the stream is cut long before its end.
      await direct.query(
        `INSERT INTO "${schema}".user_events SELECT 'e' || i, 'u', 'p', 'n', 'c', 'view', NULL, now(), now(), now() FROM generate_series(1, 200000) AS i`,
      );
    } finally {
      await direct.close();
    }
    const env = { PG_URL: proxy.url(PG_URL as string) };
    const reader = await sql.openReader({ kind: 'postgres', url: 'x' }, spec, env, () => {});
    let pages = 0;
    const outages: Promise<void>[] = [];
    const error = await reader
      .scanRows('ecommerce', () => {
        if (pages++ === 0) outages.push(proxy.outage(500));
      })
      .catch((e: unknown) => e);
    await Promise.all(outages);
    await reader.close();
    // What was already in flight is handed on; the rest never comes.
    expect(pages).toBeGreaterThanOrEqual(1);
    expect(pages).toBeLessThan(400);
    expect(error).toBeInstanceOf(HarnessError);
    expect((error as HarnessError).exitCode).toBe(ExitCode.unreachable);
    expect((error as HarnessError).message).toContain(`cannot read "${schema}"."user_events" on postgres://postgres@127.0.0.1:${proxy.port}/test`);
  });
});

describeIfPostgres('a connection that dies inside a transaction', () => {
  it('fails the transaction (unavailable) instead of crashing the process, and the pool recovers', async () => {
    const client = await openPostgres(PG_URL as string);
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    try {
      const error = await client
        .transaction(async (tx) => {
          const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
          // The server ends this session while it sits inside the transaction: pg emits 'error' on
          // the checked-out client (unhandled, that event used to kill the process).
          await admin.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
          await sleep(200);
          await tx.query('SELECT 1');
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(classifySqlError(error)).toBe('unavailable');
      // The broken session was discarded: the next transaction gets a live one.
      await expect(client.transaction((tx) => tx.query<{ one: number }>('SELECT 1 AS one'))).resolves.toMatchObject({ rows: [{ one: 1 }] });
    } finally {
      await admin.end();
      await client.close();
    }
  });

  it("the server's own 57P01 (administrator command) is unavailable", async () => {
    const victim = new pg.Client({ connectionString: PG_URL });
    const event = new Promise<unknown>((resolve) => victim.on('error', resolve));
    await victim.connect();
    const { rows } = await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
    await admin.end();
    const error = await event;
    expect((error as { code?: string }).code).toBe('57P01');
    expect(classifySqlError(error)).toBe('unavailable');
    await victim.end().catch(() => {});
  });
});

const noCluster = throwawayClusterUnavailable();
if (noCluster) console.warn(`Throwaway PostgreSQL cluster tests skipped: ${noCluster}.`);

describe.runIf(noCluster && process.env.HARNESS_REQUIRE_SERVICES)('services required by CI (throwaway cluster)', () => {
  it('can create a PostgreSQL cluster of its own', () => {
    expect(noCluster, 'HARNESS_REQUIRE_SERVICES is set but a throwaway PostgreSQL cluster cannot be created').toBeNull();
  });
});

describe.skipIf(noCluster !== null)('a PostgreSQL cluster of the test own, really restarted and stopped', () => {
  let cluster: ThrowawayCluster;

  beforeAll(async () => {
    cluster = await createThrowawayCluster();
  }, 90_000);
  afterAll(async () => {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset if beforeAll failed to create it
    await cluster?.drop();
  }, 60_000);

  it('a run waits out `pg_ctlcluster restart` and a stop of a few seconds, and loses and doubles nothing', async () => {
    const cwd = tempDir();
    // 40,000 events at 4,000/s: ten seconds of writes, so the stop lands while the pipeline writes.
    const path = writeScenario(cwd, outageScenario('harness', { events: 40_000, matches: 400 }));
    const outages: Promise<void>[] = [];
    let phase: 'before' | 'outage' | 'after' = 'before';
    const run = await runWatching(['run', path, '--verbose'], cwd, { PG_URL: cluster.url() }, (line) => {
      if (phase !== 'before' || !/ batch \d+:/.test(line)) return;
      phase = 'outage';
      // A restart (which an idle pool may ride through unnoticed), then a stop the writes must wait out.
      outages.push(
        (async () => {
          await cluster.ctl('restart');
          await cluster.ctl('stop');
          await sleep(5000);
          await cluster.ctl('start');
          phase = 'after';
        })(),
      );
    });
    await Promise.all(outages);
    expect(phase, run.stderr).toBe('after');
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    expect(run.stderr).not.toContain(cluster.password);
    // The server said so in its own words (57P01 terminating, 57P03 starting up) or as a refused connection.
    expect(outageLines(run.stderr).filter((l) => l.includes(' back after ')).length).toBeGreaterThanOrEqual(1);
    expectExactlyOnce(report(cwd));
  }, 110_000);

  /** The sessions holding the schema lock of `schema` on the cluster, by application name (the holder). */
  async function lockHolders(schema: string): Promise<string[]> {
    const admin = new pg.Client({ connectionString: cluster.url() });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ name: string }>(
        `SELECT a.application_name AS name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE l.locktype = 'advisory' AND l.granted AND l.objid = hashtext($1)::oid ORDER BY 1`,
        [schema],
      );
      return rows.map((r) => r.name);
    } finally {
      await admin.end();
    }
  }

  const lockAs = (schema: string, runId: string, env: NodeJS.ProcessEnv) =>
    lockSchema({ kind: 'postgres', url: 'x' }, sqlSinkSpec.parse({ type: 'sql', schema, outageLimit: '10s' }), env, { holder: `harness run ${runId}`, runId });

  it('a restart ends the schema lock with its session: the run takes it again before writing, so a second run is still refused', async () => {
    const cwd = tempDir();
    const schema = 'relock';
    const path = writeScenario(cwd, outageScenario(schema, { events: 40_000, matches: 400 }));
    const watched: { restart?: Promise<void>; check?: Promise<{ holders: string[]; second: unknown }> } = {};
    const run = await runWatching(['run', path, '--verbose'], cwd, { PG_URL: cluster.url() }, (line) => {
      if (!watched.restart && / batch \d+:/.test(line)) watched.restart = cluster.ctl('restart');
      else if (!watched.check && line.includes('schema lock taken again')) {
        // Asked while the run still writes: the lock is its again, and another run is refused with its name.
        watched.check = (async () => ({
          holders: await lockHolders(schema),
          second: await lockAs(schema, 'second', { PG_URL: cluster.url() }).catch((e: unknown) => e),
        }))();
      }
    });
    await watched.restart;
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    expect(run.stderr).toMatch(
      new RegExp(
        `schema ${schema} on postgres://postgres:\\*\\*\\*@127\\.0\\.0\\.1:${cluster.port}/postgres: schema lock taken again after losing its connection`,
      ),
    );
    expect(watched.check, run.stderr).toBeDefined();
    const { holders, second } = await (watched.check ?? Promise.reject(new Error('never checked')));
    expect(holders).toHaveLength(1);
    expect(holders[0]).toMatch(/^harness run \S+$/);
    expect(second).toBeInstanceOf(HarnessError);
    expect((second as HarnessError).exitCode).toBe(ExitCode.usage);
    expect((second as HarnessError).message).toContain(
      `schema ${schema} on postgres://postgres:***@127.0.0.1:${cluster.port}/postgres is in use by ${holders[0]}`,
    );
    expectExactlyOnce(report(cwd));
    // Released at the end, the retaken lock as the first would have been.
    expect(await lockHolders(schema)).toEqual([]);
  }, 110_000);

  /** What a test injected: the proxy's outage, the other run's lock taken meanwhile, and when the cut came. */
  interface Stolen {
    outage?: Promise<void>;
    other?: SinkLock;
    cutAt?: number;
  }

  /** Cuts the proxy for 4 s and, while it is cut, takes the schema as another run directly on the cluster. */
  function stealDuringOutage(proxy: TcpProxy, schema: string, injected: Stolen): void {
    injected.cutAt = Date.now();
    injected.outage = (async () => {
      const back = proxy.outage(4000);
      // The server ends the cut session (and its lock) as soon as it sees the socket closed.
      for (let tries = 0; !injected.other; tries++) {
        injected.other = await lockAs(schema, 'other', { PG_URL: cluster.url() }).catch(async (error: unknown) => {
          if (tries > 50) throw error;
          await sleep(50);
          return undefined;
        });
      }
      await back;
    })();
  }

  it('another run that takes the schema during the outage stops the run with exit 3 naming it, before it writes again', async () => {
    const cwd = tempDir();
    const schema = 'stolen';
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: cluster.port });
    const path = writeScenario(cwd, outageScenario(schema, { events: 40_000, matches: 400, rate: 2000 }));
    const injected: Stolen = {};
    try {
      // The run reaches the cluster through the proxy; the other run directly, while the proxy refuses the first.
      const run = await runWatching(['run', path, '--verbose'], cwd, { PG_URL: proxy.url(cluster.url()) }, (line) => {
        if (injected.outage || !/ batch \d+:/.test(line)) return;
        stealDuringOutage(proxy, schema, injected);
      });
      await injected.outage;
      expect(injected.other, run.stderr).toBeDefined();
      expect(run.code, run.stderr).toBe(ExitCode.unreachable);
      // Stopped when the server was back (after 4 s), at the first write's attempt, not after sink.outageLimit.
      expect(run.endedAt - (injected.cutAt ?? 0)).toBeLessThan(15_000);
      const errors = run.stderr.split('\n').filter((l) => l.startsWith('error: '));
      expect(errors, run.stderr).toHaveLength(1);
      expect(errors[0]).toMatch(
        new RegExp(
          `schema ${schema} on postgres://postgres:\\*\\*\\*@127\\.0\\.0\\.1:${proxy.port}/postgres: the lock ended with its connection during a database outage, and harness run other \\(server pid \\d+\\) took the schema meanwhile; this run stops`,
        ),
      );
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(await lockHolders(schema)).toEqual(['harness run other']);
    } finally {
      await injected.other?.release();
      await proxy.close();
    }
  }, 110_000);

  it('pipeline: external: the run takes the lock again after an outage, and stops with exit 3 when another run took it', async () => {
    const cwd = tempDir();
    const schema = 'stolen_external';
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: cluster.port });
    // Twenty seconds of production that nothing of harness writes: only its lock and its probe meet the server.
    const path = writeScenario(
      cwd,
      [
        'name: outage-external',
        'seed: 23',
        'pipeline: { type: external, waitFor: 5s }',
        `sink: { schema: ${schema} }`,
        'datasets:',
        '  ecommerce: { count: 40000, rate: 2000 }',
        '',
      ].join('\n'),
    );
    const injected: Stolen = {};
    try {
      const run = await runWatching(['run', path, '--verbose'], cwd, { PG_URL: proxy.url(cluster.url()) }, (line) => {
        if (injected.outage || !line.includes('sink tables ready')) return;
        stealDuringOutage(proxy, schema, injected);
      });
      await injected.outage;
      expect(injected.other, run.stderr).toBeDefined();
      expect(run.code, run.stderr).toBe(ExitCode.unreachable);
      // Stopped within a beat or two of the server coming back (after 4 s), not at the end of its 20 s.
      expect(run.endedAt - (injected.cutAt ?? 0)).toBeLessThan(12_000);
      const errors = run.stderr.split('\n').filter((l) => l.startsWith('error: '));
      expect(errors, run.stderr).toHaveLength(1);
      expect(errors[0]).toMatch(
        /the lock ended with its connection during a database outage, and harness run other \(server pid \d+\) took the schema meanwhile; this run stops/,
      );
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(await lockHolders(schema)).toEqual(['harness run other']);
    } finally {
      await injected.other?.release();
      await proxy.close();
    }
  }, 110_000);

  it('a wrong password is exit 3 "authentication failed" at once, never retried', async () => {
    const wrong = cluster.url('not-the-password');
    const started = Date.now();
    const error = await openSql({ kind: 'postgres', url: 'x' }, { PG_URL: wrong }, { outageLimitMs: 60_000 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(error).toBeInstanceOf(HarnessError);
    expect((error as HarnessError).exitCode).toBe(ExitCode.unreachable);
    expect((error as HarnessError).message).toMatch(
      /^PostgreSQL at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/postgres: authentication failed \(password authentication failed for user "postgres"\)/,
    );
    expect(classifySqlError((error as HarnessError).cause)).toBe('fatal');

    // No password at all, where the server wants one: pg's own SASL error, also an authentication failure.
    const none = await openSql(
      { kind: 'postgres', url: 'x' },
      { PG_URL: `postgres://postgres@127.0.0.1:${cluster.port}/postgres` },
      { outageLimitMs: 60_000 },
    ).catch((e: unknown) => e);
    expect((none as HarnessError).message).toContain('authentication failed (SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string)');

    // The same through the CLI: sink init and run (whose schema lock connects first) exit 3 fast.
    const cwd = tempDir();
    const path = writeScenario(cwd, outageScenario('harness', { events: 100, matches: 10 }));
    for (const argv of [
      ['sink', 'init', path],
      ['run', path],
    ]) {
      const t0 = Date.now();
      const result = await runWatching(argv, cwd, { PG_URL: wrong });
      expect({ argv, code: result.code }).toEqual({ argv, code: ExitCode.unreachable });
      expect(result.endedAt - t0).toBeLessThan(5000);
      expect(result.stderr).toContain('authentication failed');
      expect(result.stderr).not.toContain('not-the-password');
      expect(result.stderr).not.toContain('retrying');
      if (argv[0] === 'sink') expect(result.stderr).not.toContain('could not be reached');
    }
  }, 60_000);
});
