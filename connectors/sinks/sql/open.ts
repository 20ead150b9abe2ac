import { join } from 'node:path';
import pRetry from 'p-retry';
import { HarnessError, messageOf } from '../../../core/errors.ts';
import type { SqlLocation } from './spec.ts';
import { redactUrl } from '../../redact.ts';
import type { SqlClient } from './client.ts';
import { openPglite } from './pglite.ts';
import { openPostgres } from './postgres.ts';

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
  /** Connection attempts after the first, with doubling backoff from 200 ms. */
  retries?: number;
  log?: (line: string) => void;
}

/** Opens the SQL client for a sink location; a server that stays unreachable is exit code 3. */
export async function openSql(location: SqlLocation, env: NodeJS.ProcessEnv, options: OpenOptions = {}): Promise<SqlClient> {
  if (location.kind === 'pglite') return openPglite(location.dataDir);
  const url = postgresUrl(env);
  if (!url) {
    throw new HarnessError('config', `this run's sink is PostgreSQL at ${location.url}; set PG_URL (or DATABASE_URL) to reach it`);
  }
  return pRetry(() => openPostgres(url), {
    retries: options.retries ?? 4,
    factor: 2,
    minTimeout: 200,
    maxTimeout: 5000,
    onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
      if (retriesLeft > 0) options.log?.(`PostgreSQL at ${redactUrl(url)} not reachable (attempt ${attemptNumber}): ${messageOf(error)}; retrying`);
    },
  }).catch((error: unknown) => {
    throw new HarnessError('unreachable', `PostgreSQL at ${redactUrl(url)} could not be reached: ${messageOf(error)}`, { cause: error });
  });
}
