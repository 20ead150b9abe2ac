import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { CopyTextParser } from './copy-text.ts';
import { scanWithCursor, type SqlClient, type SqlQueryable } from './client.ts';
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
  const client: SqlClient = {
    kind: 'postgres',
    description,
    ...queryable(pool, explain),
    async exec(sql) {
      await pool.query(sql).catch((error: unknown) => {
        throw explain(error);
      });
    },
    async transaction(work) {
      const session = await pool.connect().catch((error: unknown) => {
        throw explain(error);
      });
      // Set when the connection failed: the session is then released broken, for the pool to discard.
      let broken: Error | undefined;
      const onError = (error: Error) => {
        broken ??= error;
      };
      session.on('error', onError);
      try {
        await session.query('BEGIN');
        const result = await work(queryable(session, explain));
        await session.query('COMMIT');
        return result;
      } catch (error) {
        // A dead connection rolls back by itself on the server; ROLLBACK failing here must not hide why.
        await session.query('ROLLBACK').catch((rollbackError: unknown) => {
          broken ??= rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        });
        throw explain(error);
      } finally {
        session.removeListener('error', onError);
        session.release(broken);
      }
    },
    scan: (sql, params, pageSize, onPage) => scanWithCursor(client, sql, params, pageSize, onPage),
    async copyOut(sql, onRow) {
      const session = await pool.connect().catch((error: unknown) => {
        throw explain(error);
      });
      let broken: Error | undefined;
      const onError = (error: Error) => {
        broken ??= error;
      };
      session.on('error', onError);
      try {
        const parser = new CopyTextParser(onRow);
        const stream = session.query(copyTo(`COPY (${sql}) TO STDOUT (FORMAT text, ENCODING 'UTF8')`));
        for await (const chunk of stream) parser.push(chunk as Buffer);
        parser.end();
      } catch (error) {
        // Whatever failed, the session may be mid-COPY: the pool must not lend it again.
        broken ??= error instanceof Error ? error : new Error(String(error));
        throw explain(error);
      } finally {
        session.removeListener('error', onError);
        session.release(broken);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
  return client;
}
