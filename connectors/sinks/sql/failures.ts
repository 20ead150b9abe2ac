import { HarnessError, messageOf } from '../../../core/errors.ts';
import type { SinkFailure } from '../../../pipeline/sink.ts';

/**
 * How the SQL sink judges a failure (see SinkFailure). Two kinds of error reach us: the server's own
 * (a SQLSTATE code and a severity, from pg and PGlite alike) and the connection's (a socket error
 * from Node, or pg's words for a connection that went away).
 *
 * - rejected: SQLSTATE 22 (data exception) and 23 (integrity constraint): the batch's content.
 * - fatal: 28 (invalid authorization) and a password the client could not give; any other SQLSTATE
 *   (a missing table, a syntax error: the server answered, waiting will not change its answer); a
 *   HarnessError (already a verdict); anything unknown (a bug is not an outage).
 * - unavailable: 08 (connection exception), 57P01/57P02/57P03 (administrator or crash shutdown,
 *   starting up or shutting down), 53 (too many connections, out of memory or disk), 40001/40P01
 *   (serialization failure, deadlock: the transaction is whole again next time), 25P03 (idle
 *   transaction timeout, which closes the session), 55P03/55006 (lock or object in use); every
 *   socket error (refused, reset, timed out, host not found); pg's "Connection terminated", "encountered
 *   a connection error" and its timeouts.
 */
export function classifySqlError(error: unknown): SinkFailure {
  if (error instanceof HarnessError) return 'fatal';
  if (isAuthFailure(error)) return 'fatal';
  const state = sqlState(error);
  if (state !== null) {
    if (state.startsWith('22') || state.startsWith('23')) return 'rejected';
    return transientStates.some((s) => state.startsWith(s)) ? 'unavailable' : 'fatal';
  }
  return isConnectionFailure(error) ? 'unavailable' : 'fatal';
}

/** SQLSTATE prefixes (classes or exact codes) a wait can mend. */
const transientStates = ['08', '57P01', '57P02', '57P03', '53', '40001', '40P01', '25P03', '55P03', '55006'];

/** Authentication refused (SQLSTATE 28P01, 28000) or impossible (the server wants a password the URL lacks). */
export function isAuthFailure(error: unknown): boolean {
  const state = sqlState(error);
  if (state !== null) return state.startsWith('28');
  return /^SASL: |password must be a|password authentication failed/i.test(messageOf(error));
}

/** The server's SQLSTATE, when the error is the server's (pg and PGlite both carry a severity with it). */
export function sqlState(error: unknown): string | null {
  if (typeof error !== 'object' || error === null) return null;
  const { code, severity } = error as { code?: unknown; severity?: unknown };
  return typeof code === 'string' && typeof severity === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : null;
}

/** A socket error from Node (it names the system call), or pg's words for a connection that is gone. */
function isConnectionFailure(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, syscall } = error as { code?: unknown; syscall?: unknown };
  if (typeof syscall === 'string') return true;
  if (typeof code === 'string' && /^E[A-Z_]+$/.test(code) && !code.startsWith('ERR_')) return true;
  if (error instanceof AggregateError) return error.errors.length > 0 && error.errors.every(isConnectionFailure);
  return /^(Connection terminated|Client has encountered a connection error|timeout expired|timeout exceeded when trying to connect|Query read timeout)/.test(messageOf(error));
}

/**
 * Auth failures become the verdict at once, naming the sink: never retried, and never mistaken for a
 * server that could not be reached. Other errors pass through for classifySqlError to judge.
 */
export function explainAuthFailure(error: unknown, description: string): unknown {
  if (!isAuthFailure(error)) return error;
  return new HarnessError(
    'unreachable',
    `PostgreSQL at ${description}: authentication failed (${messageOf(error)}); check the user and password in PG_URL (or DATABASE_URL) and the server's pg_hba.conf`,
    { cause: error },
  );
}
