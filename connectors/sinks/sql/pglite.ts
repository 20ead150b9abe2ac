import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { copyInSql, copyQuerySql, literal, scanWithCursor, type CopyQuery, type SqlClient, type SqlQueryable, type SqlTransaction } from './client.ts';
import { CopyTextParser } from './copy-text.ts';

interface PgliteLike {
  query<R>(sql: string, params?: unknown[], options?: { blob?: Blob }): Promise<{ rows: R[]; affectedRows?: number; blob?: Blob }>;
}

/**
 * Table blocks (8 KiB each) per COPY: about 6,000 narrow rows, a MiB of text held at a time (1,024
 * blocks gave no faster a verify and a larger peak).
 * PGlite's COPY writes to a blob rather than a stream, so the table is read in ranges of its blocks.
 */
const COPY_BLOCKS = 128;

/**
 * `copyOut` for PGlite: COPY ... TO '/dev/blob' over ranges of the table's blocks (a TID range scan
 * each, whatever indexes the table has), in one repeatable-read snapshot so the ranges add up to one
 * consistent table. Reading through a cursor instead went through PGlite's row parser: 20 s for
 * 1M rows where this takes 5 (measured).
 */
async function copyPages(db: PGlite, query: CopyQuery, onRow: (fields: readonly (string | null)[]) => void): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    const { rows } = await tx.query<{ blocks: number }>(
      `SELECT (pg_relation_size(${literal(query.from)}::regclass) / current_setting('block_size')::int)::float8 AS blocks`,
    );
    const blocks = rows[0]?.blocks ?? 0;
    const parser = new CopyTextParser(onRow);
    for (let first = 0; first < blocks; first += COPY_BLOCKS) {
      const range = `ctid >= '(${first},0)'::tid AND ctid < '(${first + COPY_BLOCKS},0)'::tid`;
      const page = { ...query, where: query.where ? `(${query.where}) AND ${range}` : range };
      const result: { blob?: Blob } = await tx.query(`COPY (${copyQuerySql(page)}) TO '/dev/blob' (FORMAT text, ENCODING 'UTF8')`);
      if (result.blob) parser.push(Buffer.from(await result.blob.arrayBuffer()));
    }
    parser.end();
  });
}

function queryable(db: PgliteLike): SqlQueryable {
  return {
    async query<R extends Record<string, unknown>>(sql: string, params?: unknown[]) {
      const result = await db.query<R>(sql, params);
      return { rows: result.rows, affected: result.affectedRows ?? 0 };
    },
  };
}

/** PGlite's COPY reads from a blob where a server reads the wire. */
function transactional(tx: PgliteLike): SqlTransaction {
  return {
    ...queryable(tx),
    async copyIn(table, columns, rows) {
      await tx.query(copyInSql(table, columns, `'/dev/blob'`), [], { blob: new Blob([rows]) });
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
    transaction: (work) => db.transaction((tx) => work(transactional(tx))),
    scan: (sql, params, pageSize, onPage) => scanWithCursor(client, sql, params, pageSize, onPage),
    copyOut: (query, onRow) => copyPages(db, query, onRow),
    async close() {
      if (closed) return;
      closed = true;
      await db.close();
    },
  };
  return client;
}
