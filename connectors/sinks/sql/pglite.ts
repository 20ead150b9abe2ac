import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { scanWithCursor, type SqlClient, type SqlQueryable } from './client.ts';

interface PgliteLike {
  query<R>(sql: string, params?: unknown[]): Promise<{ rows: R[]; affectedRows?: number }>;
}

function queryable(db: PgliteLike): SqlQueryable {
  return {
    async query<R extends Record<string, unknown>>(sql: string, params?: unknown[]) {
      const result = await db.query<R>(sql, params);
      return { rows: result.rows, affected: result.affectedRows ?? 0 };
    },
  };
}

/** Real Postgres compiled to WASM, in this process, persisted under `dataDir`. */
export async function openPglite(dataDir: string): Promise<SqlClient> {
  mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir);
  let closed = false;
  const client: SqlClient = {
    kind: 'pglite',
    description: `pglite:${dataDir}`,
    ...queryable(db),
    async exec(sql) {
      await db.exec(sql);
    },
    transaction: (work) => db.transaction((tx) => work(queryable(tx))),
    scan: (sql, params, pageSize, onPage) => scanWithCursor(client, sql, params, pageSize, onPage),
    async close() {
      if (closed) return;
      closed = true;
      await db.close();
    },
  };
  return client;
}
