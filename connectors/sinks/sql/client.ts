/**
 * The one SQL seam: the reference pipeline's sink and the verifier's reader both talk to it, and
 * it has two implementations of the connection: embedded PGlite and a PostgreSQL server via pg.
 */
export interface SqlQueryable {
  /** Runs one statement with $1.. parameters; returns the rows and how many rows it changed. */
  query<R extends Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: R[]; affected: number }>;
}

/** What a transaction's work can do: queries, and COPY of rows it has encoded itself. */
export interface SqlTransaction extends SqlQueryable {
  /**
   * `COPY table (columns) FROM STDIN` with `rows`, already in COPY text format (see copy-text.ts),
   * as text or its UTF-8 bytes: the cheapest way into PostgreSQL for a batch, with no parameter per
   * value to bind. The bytes are not modified (a retried write sends them again).
   */
  copyIn(table: string, columns: readonly string[], rows: string | Uint8Array): Promise<void>;
}

export interface SqlClient extends SqlQueryable {
  readonly kind: 'pglite' | 'postgres';
  /** Where it points, with any password removed: safe for logs and reports. */
  readonly description: string;
  /** Runs several statements separated by semicolons, without parameters (DDL). */
  exec(sql: string): Promise<void>;
  /** Runs `work` in one transaction: all of it commits, or none of it. */
  transaction<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T>;
  /**
   * Streams a query's rows in pages of `pageSize` through a server-side cursor, so a reader of a
   * table of any size holds one page at a time. A connection lost mid-scan rejects and is not
   * retried: pages already handed to `onPage` cannot be taken back (the verifier then fails with
   * exit 3 naming the sink; `harness verify` again reads from the start).
   */
  scan<R extends Record<string, unknown>>(sql: string, params: unknown[], pageSize: number, onPage: (rows: R[]) => void): Promise<void>;
  /**
   * Streams `SELECT select FROM from [WHERE where]` through COPY in text format, every value as its
   * text (null for NULL), without a row parser: several times cheaper than `scan` for a large table.
   * `onRow` gets one reused array per row and must not keep it. The query takes no parameters.
   * Failures reject as `scan`'s do.
   */
  copyOut(query: CopyQuery, onRow: (fields: readonly (string | null)[]) => void): Promise<void>;
  /** Safe to call more than once. */
  close(): Promise<void>;
}

/** A query for `copyOut`, in parts: PGlite reads a table in ranges of its blocks, which it adds to `where`. */
export interface CopyQuery {
  select: string;
  /** One table (qualified), not a join or subquery. */
  from: string;
  where?: string;
}

export function copyQuerySql({ select, from, where }: CopyQuery): string {
  return `SELECT ${select} FROM ${from}${where ? ` WHERE ${where}` : ''}`;
}

export function copyInSql(table: string, columns: readonly string[], from: string): string {
  return `COPY ${table} (${columns.map(ident).join(', ')}) FROM ${from} (FORMAT text, ENCODING 'UTF8')`;
}

/** Quotes an identifier; scenario names are validated, this keeps SQL safe regardless. */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Quotes a string literal, as an E'' string so it means the same whatever standard_conforming_strings says. */
export function literal(value: string): string {
  return `E'${value.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
}

/** `scan` for any client: a cursor declared and fetched from inside one read-only transaction. */
export async function scanWithCursor<R extends Record<string, unknown>>(
  client: Pick<SqlClient, 'transaction'>,
  sql: string,
  params: unknown[],
  pageSize: number,
  onPage: (rows: R[]) => void,
): Promise<void> {
  await client.transaction(async (tx) => {
    await tx.query(`DECLARE harness_scan NO SCROLL CURSOR FOR ${sql}`, params);
    for (;;) {
      const { rows } = await tx.query<R>(`FETCH FORWARD ${Math.max(1, Math.floor(pageSize))} FROM harness_scan`);
      if (rows.length > 0) onPage(rows);
      if (rows.length < pageSize) break;
    }
    await tx.query('CLOSE harness_scan');
  });
}
