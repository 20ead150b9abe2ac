import pg from 'pg';
import { scanWithCursor, type SqlClient, type SqlQueryable } from './client.ts';
import { redactUrl } from '../../redact.ts';

function queryable(client: pg.Pool | pg.PoolClient): SqlQueryable {
  return {
    async query<R extends Record<string, unknown>>(sql: string, params?: unknown[]) {
      const result = await client.query<R>(sql, params);
      return { rows: result.rows, affected: result.rowCount ?? 0 };
    },
  };
}

/** A PostgreSQL server through `pg`; a small pool so the pipeline and readers never share a session. */
export async function openPostgres(url: string): Promise<SqlClient> {
  const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 5000 });
  // An idle client losing its server must not crash the process: the next query reconnects.
  pool.on('error', () => {});
  // Fail fast here, so an unreachable server is reported before any work starts.
  const probe = await pool.connect();
  probe.release();
  let closed = false;
  const client: SqlClient = {
    kind: 'postgres',
    description: redactUrl(url),
    ...queryable(pool),
    async exec(sql) {
      await pool.query(sql);
    },
    async transaction(work) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work(queryable(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    scan: (sql, params, pageSize, onPage) => scanWithCursor(client, sql, params, pageSize, onPage),
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
  return client;
}
