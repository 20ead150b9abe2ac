import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, TransactionAbortedError } from '@electric-sql/pglite';
import { copyQuerySql, literal, type CopyQuery } from './client.ts';
import { createPglite } from './pglite-template.ts';
import { errorFields, OPENING_ID, type PgliteMessage, type PgliteReply, type PgliteRequest, type PgliteWorkerData } from './pglite-protocol.ts';

/**
 * Worker thread entry that owns one PGlite database (see pglite.ts for why it has a thread). It does
 * what each request says, in the order they come; the client sees to it that a transaction's
 * requests are never interleaved with anyone else's.
 */
const port = parentPort;
if (!port) throw new Error('pglite-thread.ts runs as a worker thread (see pglite.ts)');
const { dataDir } = workerData as PgliteWorkerData;
const post = (reply: PgliteReply, transfer: ArrayBuffer[] = []) => port.postMessage(reply, transfer);

/**
 * Table blocks (8 KiB each) per COPY of `copyOut`: about 6,000 narrow rows, a MiB of text at a time
 * (1,024 blocks gave no faster a verify and a larger peak).
 */
const COPY_BLOCKS = 128;

/**
 * Pages of a `copyOut` sent and not yet acknowledged: with two, the next page is copied while the
 * client parses one, and no more than about three are held at once however large the table.
 */
const PAGES_AHEAD = 2;

/** The pages one `copyOut` may still send, given back as the client acknowledges them. */
class PageCredit {
  private unacknowledged = 0;
  private stopped = false;
  private wake: (() => void) | null = null;

  /** Waits for room for one more page; false when the client asked to stop. */
  async take(): Promise<boolean> {
    while (this.unacknowledged >= PAGES_AHEAD && !this.stopped) await new Promise<void>((resolve) => (this.wake = resolve));
    if (this.stopped) return false;
    this.unacknowledged++;
    return true;
  }

  acknowledge(stop: boolean): void {
    this.unacknowledged--;
    this.stopped ||= stop;
    this.wake?.();
    this.wake = null;
  }
}

const credits = new Map<number, PageCredit>();

/**
 * COPY ... TO '/dev/blob' over ranges of the table's blocks (a TID range scan each, whatever indexes
 * the table has), in one repeatable-read snapshot so the ranges add up to one consistent table: PGlite
 * writes COPY output to a blob rather than a stream. Reading through a cursor instead went through
 * PGlite's row parser: 20 s for 1M rows where this takes 5 (measured).
 */
async function copyPages(db: PGlite, id: number, query: CopyQuery): Promise<void> {
  const credit = new PageCredit();
  credits.set(id, credit);
  try {
    await db.transaction(async (tx) => {
      await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      const { rows } = await tx.query<{ blocks: number }>(
        `SELECT (pg_relation_size(${literal(query.from)}::regclass) / current_setting('block_size')::int)::float8 AS blocks`,
      );
      const blocks = rows[0]?.blocks ?? 0;
      for (let first = 0; first < blocks; first += COPY_BLOCKS) {
        const range = `ctid >= '(${first},0)'::tid AND ctid < '(${first + COPY_BLOCKS},0)'::tid`;
        const page = { ...query, where: query.where ? `(${query.where}) AND ${range}` : range };
        const { blob } = await tx.query(`COPY (${copyQuerySql(page)}) TO '/dev/blob' (FORMAT text, ENCODING 'UTF8')`);
        if (!blob || blob.size === 0) continue;
        const bytes = await blob.arrayBuffer();
        if (!(await credit.take())) return;
        post({ id, page: bytes }, [bytes]);
      }
    });
  } finally {
    credits.delete(id);
  }
}

const NOTHING = { rows: [], affected: 0 };

async function perform(db: PGlite, id: number, request: PgliteRequest): Promise<{ rows: Record<string, unknown>[]; affected: number }> {
  switch (request.op) {
    case 'query': {
      const result = await db.query<Record<string, unknown>>(request.sql, request.params);
      return { rows: result.rows, affected: result.affectedRows ?? 0 };
    }
    case 'exec':
      await db.exec(request.sql);
      return NOTHING;
    case 'commit': {
      // What PGlite's own transaction() checks: COMMIT of a failed transaction answers ROLLBACK, not an error.
      const [result] = await db.exec('COMMIT');
      if (result?.command === 'ROLLBACK') throw new TransactionAbortedError();
      return NOTHING;
    }
    case 'copyIn':
      await db.query(request.sql, [], { blob: new Blob([request.text]) });
      return NOTHING;
    case 'copyOut':
      await copyPages(db, id, request.query);
      return NOTHING;
    case 'close':
      await db.close();
      return NOTHING;
  }
}

const opening = createPglite(dataDir);
opening.then(
  () => post({ id: OPENING_ID, ...NOTHING }),
  (error: unknown) => post({ id: OPENING_ID, error: errorFields(error) }),
);

async function answer(id: number, request: PgliteRequest, begin: boolean): Promise<void> {
  try {
    const db = await opening;
    if (begin) await db.exec('BEGIN');
    post({ id, ...(await perform(db, id, request)) });
  } catch (error) {
    // Also a result that would not clone: the client hears of every request it made.
    post({ id, error: errorFields(error) });
  }
}

/** Requests run one after another in the order they came, BEGIN first where one carries it; acknowledgements at once. */
let turn = Promise.resolve();
port.on('message', (message: PgliteMessage) => {
  if ('ack' in message) credits.get(message.ack)?.acknowledge(message.stop);
  else turn = turn.then(() => answer(message.id, message.request, message.begin));
});
