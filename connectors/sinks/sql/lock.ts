import pg from 'pg';
import { HarnessError } from '../../../core/errors.ts';
import { waitOutOutage } from '../../../pipeline/outage.ts';
import { sqlJudge } from './failures.ts';
import { redactUrl } from '../../redact.ts';
import type { LockHolder, SinkLock } from '../sink.ts';
import { postgresUrl } from './open.ts';
import type { SqlLocation, SqlSinkSpec } from './spec.ts';

/** The advisory lock's first key: ours, so other applications' advisory locks never collide with it. */
const HARNESS_LOCK_CLASS = 0x4841524e; // "HARN"
/** The key that makes looking at the holders and taking the lock one step (held to the end of that transaction). */
const HARNESS_GATE_CLASS = 0x48474154; // "HGAT"

/**
 * A run holds its schema with a session advisory lock on a connection of its own, named after the
 * run (application_name), so a second run on the same schema is refused at once with the holder's
 * name instead of dropping the first run's tables under it. The lock is shared: every process of
 * the run (its `harness run`, one or more `harness pipeline`, on any machine) holds it, so the
 * schema stays held while any of them lives, whichever dies first (a consumer group losing a
 * member to kill -9). A process takes it only when every holder is of its own run; a second
 * advisory lock, per transaction, makes that look and the take one step, so two runs starting at
 * once cannot both see the schema free. PGlite lives in its run's directory: nothing else can
 * write to it, so it needs no lock.
 *
 * A session lock ends with its session: a server that restarts, or a network that cuts the
 * connection, frees the schema while the run waits the outage out. So the lock watches its
 * connection, and `hold()`, which the pipeline calls before each write, takes it again on a new
 * one first; if another run took the schema meanwhile, the run stops (exit 3) rather than write
 * beside it.
 */
export async function lockSchema(
  location: SqlLocation,
  spec: SqlSinkSpec,
  env: NodeJS.ProcessEnv,
  { holder, runId, log = () => {} }: LockHolder,
): Promise<SinkLock> {
  const url = postgresUrl(env);
  if (location.kind === 'pglite' || !url) return { hold: async () => {}, release: async () => {} };
  const where = `schema ${spec.schema} on ${redactUrl(url)}`;
  const key: [number, string] = [HARNESS_LOCK_CLASS, spec.schema];
  /** One connection for the lock, named after the run; a failure to reach the server is thrown as it is. */
  const open = async (): Promise<pg.Client> => {
    const attempt = new pg.Client({ connectionString: url, application_name: holder.slice(0, 63), connectionTimeoutMillis: 10_000, keepAlive: true });
    // The server going away ends the session and with it the lock (see `lost` below); the run's own writes wait the outage out.
    attempt.on('error', () => {});
    try {
      await attempt.connect();
      return attempt;
    } catch (error) {
      await attempt.end().catch(() => {});
      throw error;
    }
  };
  // A server that is restarting is waited for, as every connection to the sink is; a refused login is not.
  let session = await waitOutOutage(
    sqlJudge(`PostgreSQL at ${redactUrl(url)}`),
    `connecting to lock schema ${spec.schema}`,
    open,
    { limitMs: spec.outageLimit },
    log,
  );
  const other = await take(session, key, runId);
  if (other) {
    await session.end().catch(() => {});
    throw new HarnessError('config', `${where} is in use by ${other}: wait for it to finish, or give this run another sink.schema`);
  }
  let lost = false;
  let released = false;
  const watch = (client: pg.Client) =>
    client.once('end', () => {
      if (client === session && !released) lost = true;
    });
  watch(session);
  let retaking: Promise<void> | null = null;
  const retake = async () => {
    const next = await open();
    const other = await take(next, key, runId);
    if (other) {
      await next.end().catch(() => {});
      throw new HarnessError(
        'unreachable',
        `${where}: the lock ended with its connection during a database outage, and ${other} took the schema meanwhile; this run stops rather than write beside it (run it again once the other has finished)`,
      );
    }
    session = next;
    lost = false;
    watch(next);
    log(`${where}: schema lock taken again after losing its connection`);
  };
  return {
    async hold() {
      if (!lost || released) return;
      retaking ??= retake().finally(() => (retaking = null));
      await retaking;
    },
    async release() {
      released = true;
      await retaking?.catch(() => {});
      await session.query('SELECT pg_advisory_unlock_shared($1::int, hashtext($2))', key).catch(() => {});
      await session.end().catch(() => {});
    },
  };
}

/**
 * Takes the shared lock on `client` when every holder is of run `runId`; otherwise leaves it and
 * names the first other holder ("harness run <id> (server pid 123)"). A failure ends the client.
 */
async function take(client: pg.Client, key: [number, string], runId: string): Promise<string | null> {
  let others: { name: string; pid: number }[];
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1::int, hashtext($2))', [HARNESS_GATE_CLASS, key[1]]);
    const { rows: holders } = await client.query<{ name: string; pid: number }>(
      `SELECT a.application_name AS name, a.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::int::oid AND l.objid = hashtext($2)::oid`,
      key,
    );
    // Every process of this very run may write (harness pipeline beside its harness run, or several).
    others = holders.filter((h) => !h.name.endsWith(` ${runId}`));
    if (others.length === 0) await client.query('SELECT pg_advisory_lock_shared($1::int, hashtext($2))', key);
    await client.query('COMMIT');
  } catch (error) {
    await client.end().catch(() => {});
    throw error;
  }
  const first = others[0];
  return first ? `${first.name || 'another session'} (server pid ${first.pid})` : null;
}
