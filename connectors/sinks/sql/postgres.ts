import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { CopyTextParser } from './copy-text.ts';
import { copyInSql, copyQuerySql, scanWithCursor, type SqlClient, type SqlQueryable, type SqlTransaction } from './client.ts';
import { explainAuthFailure } from './failures.ts';
import { redactUrl } from '../../redact.ts';

function queryable(client: pg.Pool | pg.PoolClient, explain: (error: unknown) => unknown): SqlQueryable {
  return {
    async query<R extends Record<string, unknown>>(sql: string, params?: unknown[]) {
      const result = await client.query<R>(sql, params).catch((error: unknown) => {
        throw explain(error);
      });
      return { rows: result.rows, affected: result.rowCount ?? 0 };
    },
  };
}

/**
 * A transaction's statements, handed to the session one at a time. The sink sends a batch's
 * statements without awaiting each (PGlite's thread runs them back to back); pg would queue them
 * itself, but calling query() on a busy client is deprecated and refused from pg 9. pg runs a
 * session's statements one after another either way, so taking turns here costs nothing.
 */
function transactional(session: pg.PoolClient, explain: (error: unknown) => unknown): SqlTransaction {
  // After a failure the rest never reach the server: the caller's ROLLBACK may already be on its
  // way, and a statement sent after it would run outside the transaction.
  let failed: { error: unknown } | null = null;
  let turn: Promise<unknown> = Promise.resolve();
  const inTurn = <T>(work: () => Promise<T>): Promise<T> => {
    const next = turn.then(async () => {
      if (failed) throw failed.error;
      try {
        return await work();
      } catch (error) {
        failed = { error };
        throw error;
      }
    });
    turn = next.catch(() => {});
    return next;
  };
  const direct = queryable(session, explain);
  return {
    query: (sql, params) => inTurn(() => direct.query(sql, params)),
    copyIn: (table, columns, rows) =>
      inTurn(async () => {
        const stream = session.query(copyFrom(copyInSql(table, columns, 'STDIN')));
        await new Promise<void>((resolve, reject) => {
          stream.on('error', reject);
          stream.on('finish', resolve);
          stream.end(rows);
        }).catch((error: unknown) => {
          throw explain(error);
        });
      }),
  };
}

/**
 * A PostgreSQL server through `pg`; a small pool so the pipeline and readers never share a session.
 *
 * A server that goes away (a restart, a stop, a cut network) must never crash the process: pg emits
 * 'error' on a client whose connection dies, and an 'error' event nobody listens to kills Node. The
 * pool listens on idle clients; a client checked out for a transaction is ours to listen on for as
 * long as we hold it, and a client that saw its connection fail goes back with `release(error)` so
 * the pool discards it instead of lending it again. The failure itself reaches the caller as a
 * rejected query, for the sink to classify (see failures.ts) and the pipeline to wait out.
 */
export async function openPostgres(url: string): Promise<SqlClient> {
  const description = redactUrl(url);
  const explain = (error: unknown) => explainAuthFailure(error, description);
  const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 5000, keepAlive: true });
  // An idle client losing its server: the pool drops it, the next query connects afresh.
  pool.on('error', () => {});
  // Fail fast here, so an unreachable server is reported before any work starts.
  try {
    const probe = await pool.connect();
    probe.release();
  } catch (error) {
    await pool.end().catch(() => {});
    throw explain(error);
  }
  let closed = false;
  /**
   * A pooled session for one piece of work. A session whose connection failed (an 'error' event, or
   * work that marks it) goes back broken, so the pool discards it instead of lending it again.
   */
  const withSession = async <T>(work: (session: pg.PoolClient, markBroken: (error: unknown) => void) => Promise<T>): Promise<T> => {
    const session = await pool.connect().catch((error: unknown) => {
      throw explain(error);
    });
    let broken: Error | undefined;
    const markBroken = (error: unknown) => {
      broken ??= error instanceof Error ? error : new Error(String(error));
    };
    session.on('error', markBroken);
    try {
      return await work(session, markBroken);
    } finally {
      session.removeListener('error', markBroken);
      session.release(broken);
    }
  };
  const client: SqlClient = {
    kind: 'postgres',
    description,
    ...queryable(pool, explain),
    async exec(sql) {
      await pool.query(sql).catch((error: unknown) => {
        throw explain(error);
      });
    },
    transaction: (work) =>
      withSession(async (session, markBroken) => {
        try {
          await session.query('BEGIN');
          const result = await work(transactional(session, explain));
          await session.query('COMMIT');
          return result;
        } catch (error) {
          // A dead connection rolls back by itself on the server; ROLLBACK failing here must not hide why.
          await session.query('ROLLBACK').catch(markBroken);
          throw explain(error);
        }
      }),
    scan: (sql, params, pageSize, onPage) => scanWithCursor(client, sql, params, pageSize, onPage),
    copyOut: (query, onRow) =>
      withSession(async (session, markBroken) => {
        try {
          const parser = new CopyTextParser(onRow);
          const stream = session.query(copyTo(`COPY (${copyQuerySql(query)}) TO STDOUT (FORMAT text, ENCODING 'UTF8')`));
          for await (const chunk of stream) parser.push(chunk as Buffer);
          parser.end();
        } catch (error) {
          // Whatever failed, the session may be mid-COPY: the pool must not lend it again.
          markBroken(error);
          throw explain(error);
        }
      }),
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
  return client;
}
