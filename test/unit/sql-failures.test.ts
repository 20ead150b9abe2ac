import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifySqlError, explainSqlRefusal, isAuthFailure } from '../../connectors/sinks/sql/failures.ts';
import { openPglite } from '../../connectors/sinks/sql/pglite.ts';
import type { SqlClient } from '../../connectors/sinks/sql/client.ts';
import { HarnessError } from '../../core/errors.ts';
import { tempDir } from '../helpers/scenario.ts';

/**
 * The SQL sink's judgement of a failure, on real error objects wherever one can be had without a
 * server: the socket's own errors from servers that refuse, hang up or never answer, and PGlite's
 * SQLSTATEs. What only a server says (shutdown, authentication) is built as pg builds it here, and
 * met for real in test/integration/sink-outage.test.ts.
 */

async function listen(onSocket: (socket: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(onSocket);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

async function connectError(port: number, options: Partial<pg.ClientConfig> = {}): Promise<unknown> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'x', database: 'x', ...options });
  client.on('error', () => {});
  return client.connect().then(
    () => new Error('connected'),
    (error: unknown) => error,
  );
}

/** pg's own error for a message the server sent (pg-protocol's DatabaseError), as the server would send it. */
function serverError(code: string, message: string, severity = 'FATAL'): Error {
  const error = new pg.DatabaseError(message, message.length, 'error');
  Object.assign(error, { code, severity });
  return error;
}

describe('classifySqlError on the connection failing', () => {
  const servers: Server[] = [];
  afterAll(() => servers.forEach((s) => s.close()));

  it('a refused connection (a closed port) is unavailable', async () => {
    const { server, port } = await listen(() => {});
    await new Promise((resolve) => server.close(resolve));
    const error = await connectError(port);
    expect((error as { code?: string }).code).toBe('ECONNREFUSED');
    expect(classifySqlError(error)).toBe('unavailable');
  });

  it('a server that hangs up ("Connection terminated unexpectedly") is unavailable', async () => {
    const { server, port } = await listen((socket) => socket.destroy());
    servers.push(server);
    const error = await connectError(port);
    expect(String(error)).toContain('Connection terminated unexpectedly');
    expect(classifySqlError(error)).toBe('unavailable');
  });

  it('a reset connection (RST) is unavailable', async () => {
    const { server, port } = await listen((socket) => socket.once('data', () => socket.resetAndDestroy()));
    servers.push(server);
    const error = await connectError(port);
    expect(classifySqlError(error)).toBe('unavailable');
  });

  it('a server that never answers (connect timeout, pool and client) is unavailable', async () => {
    const { server, port } = await listen(() => {});
    servers.push(server);
    const clientError = await connectError(port, { connectionTimeoutMillis: 200 });
    expect(classifySqlError(clientError)).toBe('unavailable');
    const pool = new pg.Pool({ host: '127.0.0.1', port, user: 'x', database: 'x', connectionTimeoutMillis: 200 });
    pool.on('error', () => {});
    const poolError = await pool.connect().then(
      () => new Error('connected'),
      (error: unknown) => error,
    );
    await pool.end();
    expect(String(poolError)).toMatch(/timeout/);
    expect(classifySqlError(poolError)).toBe('unavailable');
  });

  it('a server shutting down, crashed, starting up, full, or a broken connection is unavailable', () => {
    for (const [code, message] of [
      ['57P01', 'terminating connection due to administrator command'],
      ['57P02', 'terminating connection because of crash of another server process'],
      ['57P03', 'the database system is starting up'],
      ['53300', 'sorry, too many clients already'],
      ['08006', 'connection failure'],
      ['40001', 'could not serialize access due to concurrent update'],
    ]) {
      expect([code, classifySqlError(serverError(code as string, message as string))]).toEqual([code, 'unavailable']);
    }
    expect(classifySqlError(new Error('Client has encountered a connection error and is not queryable'))).toBe('unavailable');
  });

  it('authentication refused is fatal, never waited out', () => {
    const refused = serverError('28P01', 'password authentication failed for user "postgres"');
    const noEntry = serverError('28000', 'no pg_hba.conf entry for host "10.0.0.1", user "x", database "x", no encryption');
    const noPassword = new Error('SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string');
    for (const error of [refused, noEntry, noPassword]) {
      expect(isAuthFailure(error)).toBe(true);
      expect(classifySqlError(error)).toBe('fatal');
    }
    expect(isAuthFailure(serverError('57P03', 'the database system is starting up'))).toBe(false);
  });

  it('a verdict already given, or the server failing on its own (XX, 58), is fatal', () => {
    expect(classifySqlError(new HarnessError('unreachable', 'authentication failed'))).toBe('fatal');
    expect(classifySqlError(serverError('XX000', 'could not read block 0 in file "base/1/2"', 'ERROR'))).toBe('fatal');
    expect(classifySqlError(serverError('58P01', 'could not access file "x": No such file or directory', 'ERROR'))).toBe('fatal');
  });

  it('TLS the URL and the server disagree on is refused: the configuration, with what to check', () => {
    const mismatch = new Error('The server does not support SSL connections');
    const wrongVersion = Object.assign(new Error('wrong version number'), { code: 'ERR_SSL_WRONG_VERSION_NUMBER' });
    for (const error of [mismatch, wrongVersion]) expect(classifySqlError(error)).toBe('refused');
    expect(explainSqlRefusal(mismatch)).toBe(
      'The server does not support SSL connections; check sslmode in PG_URL (or DATABASE_URL) against what the server offers',
    );
  });

  it("a bug is neither an outage nor the server's refusal: unexpected", () => {
    expect(classifySqlError(new TypeError("Cannot read properties of undefined (reading 'x')"))).toBe('unexpected');
    expect(classifySqlError(new RangeError('Invalid array length'))).toBe('unexpected');
    // A code that looks like a SQLSTATE but comes without the server's severity is not the server's.
    expect(classifySqlError(Object.assign(new Error('x'), { code: '42P01' }))).toBe('unexpected');
  });
});

describe('classifySqlError on what the server answers (PGlite, real SQLSTATEs)', () => {
  let db: SqlClient;
  const failing = (sql: string) =>
    db.query(sql).then(
      () => new Error('succeeded'),
      (error: unknown) => error,
    );

  beforeAll(async () => {
    db = await openPglite(join(tempDir('harness-failures-'), 'db'));
    await db.exec('CREATE TABLE t (k int PRIMARY KEY, v int NOT NULL)');
    await db.query('INSERT INTO t VALUES (1, 1)');
  }, 120_000); // PGlite's first start can take a minute on a busy 2-core machine
  afterAll(() => db.close());

  it('data exceptions (22) and integrity violations (23) are the batch: rejected', async () => {
    expect(classifySqlError(await failing("SELECT 'abc'::int"))).toBe('rejected');
    expect(classifySqlError(await failing('INSERT INTO t VALUES (1, 2)'))).toBe('rejected');
    expect(classifySqlError(await failing('INSERT INTO t VALUES (2, NULL)'))).toBe('rejected');
  });

  it('a missing table, schema, column or privilege, or a syntax error, is refused: the server answered, waiting changes nothing', async () => {
    const missing = await failing('INSERT INTO public.nowhere VALUES (1)');
    expect(missing).toMatchObject({ code: '42P01' });
    expect(classifySqlError(missing)).toBe('refused');
    // The server's words name the table; the hint says what to do.
    expect(explainSqlRefusal(missing)).toMatch(
      /^relation "public\.nowhere" does not exist \(SQLSTATE 42P01\); the run creates its tables when it starts, so something dropped them .*`harness sink init <scenario>`/,
    );
    const schema = await failing('SELECT * FROM elsewhere.t');
    expect(schema).toMatchObject({ code: '42P01' });
    const column = await failing('INSERT INTO t (k, w) VALUES (3, 3)');
    expect(column).toMatchObject({ code: '42703' });
    expect(classifySqlError(column)).toBe('refused');
    expect(explainSqlRefusal(column)).toContain('column "w" of relation "t" does not exist (SQLSTATE 42703); the table is not the one this harness writes');
    await db.exec('SET ROLE pg_monitor');
    const privilege = await failing('INSERT INTO t VALUES (4, 4)');
    expect(privilege).toMatchObject({ code: '42501' });
    expect(classifySqlError(privilege)).toBe('refused');
    expect(explainSqlRefusal(privilege)).toMatch(/^permission denied for table t \(SQLSTATE 42501\); grant the user in PG_URL/);
    await db.exec('RESET ROLE');
    expect(classifySqlError(await failing('SELEC 1'))).toBe('refused');
  });
});
