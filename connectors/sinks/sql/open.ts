import { join } from 'node:path';
import { HarnessError } from '../../../core/errors.ts';
import { DEFAULT_OUTAGE_LIMIT_MS, waitOutOutage } from '../../../pipeline/outage.ts';
import { sqlJudge } from './failures.ts';
import type { SqlLocation } from './spec.ts';
import { redactUrl } from '../../redact.ts';
import type { SqlClient } from './client.ts';

/** PG_URL, else DATABASE_URL: the PostgreSQL server to use instead of embedded PGlite. */
export function postgresUrl(env: NodeJS.ProcessEnv): string | undefined {
  return env.PG_URL || env.DATABASE_URL || undefined;
}

/** Where a new run's SQL sink lives: the server named by the environment, or PGlite in the run directory. */
export function sinkLocationFor(env: NodeJS.ProcessEnv, runDir: string): SqlLocation {
  const url = postgresUrl(env);
  return url ? { kind: 'postgres', url: redactUrl(url) } : { kind: 'pglite', dataDir: join(runDir, 'pglite') };
}

export interface OpenOptions {
  /** How long a server that cannot be reached is waited for (the sink's `outageLimit`); default 5 minutes. */
  outageLimitMs?: number;
  log?: (line: string) => void;
}

/**
 * Opens the SQL client for a sink location. A server that is down or restarting is waited for with
 * backoff up to the outage limit, then it is exit code 3; a refused login is exit 3 at once
 * ("authentication failed"), never retried.
 */
export async function openSql(location: SqlLocation, env: NodeJS.ProcessEnv, options: OpenOptions = {}): Promise<SqlClient> {
  // Each client loads when a run uses it: an embedded run never loads pg, a server's never PGlite.
  if (location.kind === 'pglite') return (await import('./pglite.ts')).openPglite(location.dataDir);
  const url = postgresUrl(env);
  if (!url) {
    throw new HarnessError('config', `this run's sink is PostgreSQL at ${location.url}; set PG_URL (or DATABASE_URL) to reach it`);
  }
  const server = sqlJudge(`PostgreSQL at ${redactUrl(url)}`);
  const { openPostgres } = await import('./postgres.ts');
  return waitOutOutage(server, 'connecting', () => openPostgres(url), { limitMs: options.outageLimitMs ?? DEFAULT_OUTAGE_LIMIT_MS }, options.log ?? (() => {}));
}
