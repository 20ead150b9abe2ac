import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { copyInSql, scanWithCursor, type SqlClient, type SqlTransaction } from './client.ts';
import { CopyTextParser } from './copy-text.ts';
import { PgliteChannel, type OnPage, type RequestOptions } from './pglite-channel.ts';

/**
 * Runs pieces of work one after another, in the order they were asked for: PGlite is a single
 * connection, so a transaction must have it to itself from BEGIN to COMMIT.
 */
class Turns {
  private last: Promise<unknown> = Promise.resolve();

  take<T>(work: () => Promise<T>): Promise<T> {
    const turn = this.last.then(work);
    this.last = turn.catch(() => {});
    return turn;
  }
}

const encoder = new TextEncoder();

/** The database open in this process per data directory, and how many callers hold it. */
const open = new Map<string, { client: Promise<SqlClient>; holders: number }>();
/** A database being closed by its last holder: opening it again waits for that. */
const closing = new Map<string, Promise<void>>();

/**
 * Real Postgres compiled to WASM, persisted under `dataDir`, on a thread of its own: the pipeline
 * parses and validates the next batch while PGlite writes the last, as it does beside a server (on
 * one thread PGlite's ~18 us a row and the pipeline's ~13 took turns). Every caller in this process
 * shares the one connection; a transaction holds it from BEGIN to COMMIT while other callers wait.
 *
 * A data directory opened twice in one process (the pipeline's writer and a progress probe, say)
 * is one database, shared: two PGlite instances on one directory would each think they own it and
 * corrupt it. Each caller closes its own handle; the thread ends when the last one does.
 */
export async function openPglite(dataDir: string): Promise<SqlClient> {
  const key = resolve(dataDir);
  let entry = open.get(key);
  if (!entry) {
    const opened = { client: (closing.get(key) ?? Promise.resolve()).then(() => startPglite(dataDir)), holders: 0 };
    open.set(key, opened);
    opened.client.catch(() => {
      if (open.get(key) === opened) open.delete(key);
    });
    entry = opened;
  }
  const held = entry;
  held.holders++;
  let client: SqlClient;
  try {
    client = await held.client;
  } catch (error) {
    held.holders--;
    throw error;
  }
  return handle(client, () => {
    if (--held.holders > 0) return Promise.resolve();
    open.delete(key);
    const closed = client.close().finally(() => {
      if (closing.get(key) === closed) closing.delete(key);
    });
    closing.set(key, closed);
    return closed;
  });
}

/** One caller's handle on a shared database: closing it lets go of the database, and its later calls fail saying so. */
function handle(client: SqlClient, release: () => Promise<void>): SqlClient {
  let released: Promise<void> | null = null;
  const live = <T>(work: () => Promise<T>): Promise<T> => (released ? Promise.reject(new Error(`${client.description} is closed`)) : work());
  return {
    kind: client.kind,
    description: client.description,
    query: (sql, params) => live(() => client.query(sql, params)),
    exec: (sql) => live(() => client.exec(sql)),
    transaction: (work) => live(() => client.transaction(work)),
    scan: (sql, params, pageSize, onPage) => live(() => client.scan(sql, params, pageSize, onPage)),
    copyOut: (query, onRow) => live(() => client.copyOut(query, onRow)),
    close: () => (released ??= release()),
  };
}

async function startPglite(dataDir: string): Promise<SqlClient> {
  mkdirSync(dataDir, { recursive: true });
  const description = `pglite:${dataDir}`;
  const channel = await PgliteChannel.open(dataDir, description);
  const turns = new Turns();
  const query = async <R extends Record<string, unknown>>(sql: string, params: unknown[] | undefined, options?: RequestOptions) => {
    const { rows, affected } = await channel.request({ op: 'query', sql, params: params ?? [] }, options);
    // The rows are what PGlite parsed for this statement, as its own query<R> returns them.
    return { rows: rows as R[], affected };
  };

  /**
   * A transaction's requests go straight to the thread: it holds the turn already. The first one
   * carries BEGIN; `begun` says whether there is a transaction to end.
   */
  const transactional = () => {
    let open = true;
    let begun = false;
    const next = <T>(send: (options: RequestOptions) => Promise<T>) => {
      // As PGlite's own transaction object: work that outlives its transaction must not run outside it.
      if (!open) return Promise.reject(new Error(`${description}: the transaction is over`));
      const begin = !begun;
      begun = true;
      return send({ begin });
    };
    const tx: SqlTransaction = {
      query: (sql, params) => next((options) => query(sql, params, options)),
      copyIn: (table, columns, rows) =>
        next(async (options) => {
          // Text encoded here is this request's own, and moves to the thread; bytes given are copied.
          const own = typeof rows === 'string';
          const text = own ? encoder.encode(rows) : rows;
          await channel.request(
            { op: 'copyIn', sql: copyInSql(table, columns, `'/dev/blob'`), text },
            { ...options, ...(own ? { transfer: [text.buffer as ArrayBuffer] } : {}) },
          );
        }),
    };
    return {
      tx,
      /** Closes `tx` to further work; true when a transaction was begun and must be ended. */
      end: () => {
        open = false;
        return begun;
      },
    };
  };

  let closing: Promise<void> | null = null;
  const client: SqlClient = {
    kind: 'pglite',
    description,
    query: (sql, params) => turns.take(() => query(sql, params)),
    async exec(sql) {
      await turns.take(() => channel.request({ op: 'exec', sql }));
    },
    transaction: (work) =>
      turns.take(async () => {
        const { tx, end } = transactional();
        let result;
        try {
          result = await work(tx);
        } catch (error) {
          // A thread that died took the transaction with it: the work's error says more than this one.
          if (end()) await channel.request({ op: 'exec', sql: 'ROLLBACK' }).catch(() => {});
          throw error;
        }
        if (end()) await channel.request({ op: 'commit' });
        return result;
      }),
    scan: (sql, params, pageSize, onPage) => scanWithCursor(client, sql, params, pageSize, onPage),
    copyOut: (copy, onRow) =>
      turns.take(async () => {
        const parser = new CopyTextParser(onRow);
        // What `onRow` (or the parser) threw: the thread is told to stop, and the copy rejects with it.
        const stopped: { error?: unknown } = {};
        const onPage: OnPage = (page, acknowledge) => {
          if (!('error' in stopped)) {
            try {
              parser.push(Buffer.from(page));
            } catch (error) {
              stopped.error = error;
            }
          }
          acknowledge('error' in stopped);
        };
        await channel.request({ op: 'copyOut', query: copy }, { onPage });
        if ('error' in stopped) throw stopped.error;
        parser.end();
      }),
    close() {
      closing ??= turns.take(() => channel.close());
      return closing;
    },
  };
  return client;
}
