import { spawn } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SqlClient } from '../../connectors/sinks/sql/client.ts';
import { classifySqlError } from '../../connectors/sinks/sql/failures.ts';
import { openPglite } from '../../connectors/sinks/sql/pglite.ts';
import { tempDir } from '../helpers/scenario.ts';

/** Opens PGlite in a fresh data directory and hands back the thread it runs on (Node announces every new worker). */
async function openWithThread(): Promise<{ db: SqlClient; thread: Worker; dataDir: string }> {
  const dataDir = join(tempDir('harness-pglite-thread-'), 'db');
  const started: Worker[] = [];
  const onWorker = (message: unknown) => started.push((message as { worker: Worker }).worker);
  subscribe('worker_threads', onWorker);
  try {
    const db = await openPglite(dataDir);
    expect(started).toHaveLength(1);
    return { db, thread: started[0]!, dataDir };
  } finally {
    unsubscribe('worker_threads', onWorker);
  }
}

const rejection = (pending: Promise<unknown>) =>
  pending.then(
    () => new Error('succeeded'),
    (error: unknown) => error as Error,
  );

describe('PGlite on its own thread', () => {
  const opened: SqlClient[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((db) => db.close()));
  });
  // One database for the tests that leave it whole (a new one costs an initdb), a table each.
  let db: SqlClient;
  beforeAll(async () => {
    db = await openPglite(join(tempDir('harness-pglite-thread-'), 'db'));
  }, 120_000);
  afterAll(() => db.close());

  it('a thread that dies mid-transaction fails that call and every later one, clearly, and the data directory recovers', async () => {
    const { db: crashing, thread, dataDir } = await openWithThread();
    opened.push(crashing);
    await crashing.exec('CREATE TABLE t (k int PRIMARY KEY)');
    await crashing.query('INSERT INTO t VALUES (1)');
    const outside: Promise<Error>[] = [];
    const work = crashing.transaction(async (tx) => {
      await tx.query('INSERT INTO t VALUES (2)');
      // Asked while the transaction holds the connection: waits for it, then finds the thread gone.
      outside.push(rejection(crashing.query('SELECT count(*) FROM t')));
      const running = tx.query('SELECT count(*) FROM generate_series(1, 100000000)');
      void thread.terminate();
      return running;
    });
    const error = await rejection(work);
    expect(error.message).toMatch(/^pglite:.*: the thread running PGlite stopped \(exited with code 1\); its open transaction is lost/);
    // Not the server's answer nor a lost connection: passed on as it is, never waited out as an outage.
    expect(classifySqlError(error)).toBe('unexpected');
    expect((await outside[0]!).message).toBe(error.message);
    expect((await rejection(crashing.query('SELECT 1'))).message).toBe(error.message);
    expect((await rejection(crashing.copyOut({ select: 'k', from: 't' }, () => {}))).message).toBe(error.message);
    await crashing.close();
    await crashing.close();

    const again = await openPglite(dataDir);
    opened.push(again);
    expect((await again.query<{ k: number }>('SELECT k FROM t ORDER BY k')).rows).toEqual([{ k: 1 }]);
  });

  it("keeps the database's SQLSTATE, severity and message across the thread: a 22xxx in a transaction's COPY is rejected", async () => {
    await db.exec('CREATE TABLE copied (k int PRIMARY KEY, v text)');
    const error = await rejection(db.transaction((tx) => tx.copyIn('copied', ['k', 'v'], '1\tone\nx\ttwo\n')));
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ code: '22P02', severity: 'ERROR', message: 'invalid input syntax for type integer: "x"' });
    expect((error as { where?: string }).where).toMatch(/^COPY copied, line 2, column k/);
    expect(classifySqlError(error)).toBe('rejected');
    // Rolled back: the first line is not there, and the connection is free again.
    expect((await db.query('SELECT count(*)::int AS n FROM copied')).rows).toEqual([{ n: 0 }]);
  });

  it('a transaction holds other queries off until it commits; one that fails rolls back and rethrows its own error', async () => {
    await db.exec('CREATE TABLE held (k int PRIMARY KEY)');
    const order: string[] = [];
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const writing = db.transaction(async (tx) => {
      await tx.query('INSERT INTO held VALUES (1)');
      await held;
      await tx.query('INSERT INTO held VALUES (2)');
      order.push('committing');
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const reading = db.query<{ n: number }>('SELECT count(*)::int AS n FROM held').then((result) => {
      order.push('read');
      return result.rows[0]?.n;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(order).toEqual([]);
    release();
    await writing;
    expect(await reading).toBe(2);
    expect(order).toEqual(['committing', 'read']);

    const mistake = new Error('the work failed');
    const failed = db.transaction(async (tx) => {
      await tx.query('INSERT INTO held VALUES (3)');
      throw mistake;
    });
    expect(await rejection(failed)).toBe(mistake);
    expect((await db.query('SELECT count(*)::int AS n FROM held')).rows).toEqual([{ n: 2 }]);
  });

  it('a copyOut whose reader throws stops the copy, rejects with that error and frees the connection', async () => {
    await db.exec('CREATE TABLE wide (k int, pad text)');
    // Wide rows over many block ranges: far more pages than the thread may send ahead.
    await db.query("INSERT INTO wide SELECT g, repeat('x', 500) FROM generate_series(1, 20000) g");
    const stop = new Error('enough');
    let seen = 0;
    const error = await rejection(
      db.copyOut({ select: 'k', from: 'wide' }, () => {
        if (++seen === 10) throw stop;
      }),
    );
    expect(error).toBe(stop);
    expect(seen).toBe(10);
    let all = 0;
    await db.copyOut({ select: 'k', from: 'wide' }, () => all++);
    expect(all).toBe(20000);
  });

  it('close is idempotent, ends the thread, and later calls say the database is closed', async () => {
    const { db: closing, thread } = await openWithThread();
    const exited = new Promise<number>((resolve) => thread.once('exit', resolve));
    await Promise.all([closing.close(), closing.close()]);
    await exited;
    await closing.close();
    expect((await rejection(closing.query('SELECT 1'))).message).toMatch(/^pglite:.* is closed$/);
  });

  it('one data directory opened twice in a process is one database on one thread; each handle closes its own, the last ends the thread', async () => {
    const { db: first, thread, dataDir } = await openWithThread();
    const started: unknown[] = [];
    const onWorker = (message: unknown) => started.push(message);
    subscribe('worker_threads', onWorker);
    let second: SqlClient;
    try {
      second = await openPglite(join(dataDir, '.'));
    } finally {
      unsubscribe('worker_threads', onWorker);
    }
    expect(started).toEqual([]);
    const exited = new Promise<number>((resolve) => thread.once('exit', resolve));
    let ended = false;
    void exited.then(() => (ended = true));
    await first.exec('CREATE TABLE shared_t (k int PRIMARY KEY)');
    // A transaction on one handle holds the connection: the other's query waits for its commit.
    const inserting = first.transaction(async (tx) => {
      await tx.query('INSERT INTO shared_t VALUES (1)');
      await tx.query('INSERT INTO shared_t VALUES (2)');
    });
    expect((await second.query<{ n: number }>('SELECT count(*)::int AS n FROM shared_t')).rows).toEqual([{ n: 2 }]);
    await inserting;
    await first.close();
    expect((await rejection(first.query('SELECT 1'))).message).toMatch(/^pglite:.* is closed$/);
    expect((await second.query<{ n: number }>('SELECT count(*)::int AS n FROM shared_t')).rows).toEqual([{ n: 2 }]);
    expect(ended).toBe(false);
    await second.close();
    await exited;
  });

  it('an idle open database does not keep the process alive, and a closed one lets it exit at once', async () => {
    const tsx = join(import.meta.dirname, '../../node_modules/tsx/dist/esm/index.mjs');
    const module = join(import.meta.dirname, '../../connectors/sinks/sql/pglite.ts');
    const exitsAlone = async (close: boolean) => {
      const dir = tempDir('harness-pglite-exit-');
      const script = join(dir, 'open.mjs');
      writeFileSync(
        script,
        `const { openPglite } = await import(${JSON.stringify(module)});
         const db = await openPglite(${JSON.stringify(join(dir, 'db'))});
         await db.query('SELECT 1');
         ${close ? 'await db.close();' : ''}
         console.log('done');`,
      );
      const child = spawn(process.execPath, ['--import', tsx, script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      clearTimeout(timer);
      return { code, stdout };
    };
    const [open, closed] = await Promise.all([exitsAlone(false), exitsAlone(true)]);
    expect(open).toEqual({ code: 0, stdout: 'done\n' });
    expect(closed).toEqual({ code: 0, stdout: 'done\n' });
  });
});
