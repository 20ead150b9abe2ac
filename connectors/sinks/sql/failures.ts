import { HarnessError, messageOf } from '../../../core/errors.ts';
import type { OutageJudge } from '../../../pipeline/outage.ts';
import type { SinkFailure } from '../../../pipeline/sink.ts';

/**
 * How the SQL sink judges a failure (see SinkFailure). Two kinds of error reach us: the server's own
 * (a SQLSTATE code and a severity, from pg and PGlite alike) and the connection's (a socket error
 * from Node, or pg's words for a connection that went away).
 *
 * - rejected: SQLSTATE 22 (data exception) and 23 (integrity constraint): the batch's content.
 * - unavailable: 08 (connection exception), 57P01/57P02/57P03 (administrator or crash shutdown,
 *   starting up or shutting down), 53 (too many connections, out of memory or disk), 40001/40P01
 *   (serialization failure, deadlock: the transaction is whole again next time), 25P03 (idle
 *   transaction timeout, which closes the session), 55P03/55006 (lock or object in use); every
 *   socket error (refused, reset, timed out, host not found); pg's "Connection terminated", "encountered
 *   a connection error" and its timeouts.
 * - fatal: 28 (invalid authorization) and a password the client could not give; XX (internal error)
 *   and 58 (system error: the server's own disk or files), which are the server's to mend, not the
 *   scenario's; a HarnessError (already a verdict).
 * - refused: any other SQLSTATE (42P01 a missing table, 3F000 a missing schema, 3D000 a missing
 *   database, 42501 a missing privilege, 42703 a column the table lacks...): the server answered,
 *   waiting will not change its answer, and what it refuses is the configuration; likewise TLS that
 *   the URL asks for and the server does not speak (or the other way round).
 * - unexpected: anything else, a bug in harness: never an outage.
 */
export function classifySqlError(error: unknown): SinkFailure {
  if (error instanceof HarnessError) return 'fatal';
  if (isAuthFailure(error)) return 'fatal';
  const state = sqlState(error);
  if (state !== null) {
    if (state.startsWith('22') || state.startsWith('23')) return 'rejected';
    if (transientStates.some((s) => state.startsWith(s))) return 'unavailable';
    return state.startsWith('XX') || state.startsWith('58') ? 'fatal' : 'refused';
  }
  if (isConnectionFailure(error)) return 'unavailable';
  return isTlsMismatch(error) ? 'refused' : 'unexpected';
}

/** The SQL sink's judgement, for waiting out a server outside a writer (connecting, the schema lock). */
export function sqlJudge(description: string): OutageJudge {
  return { description, classify: classifySqlError, explainRefusal: explainSqlRefusal };
}

/** TLS the client and the server disagree on: pg's words when the server does not speak it, or OpenSSL's codes. */
function isTlsMismatch(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (typeof code === 'string' && code.startsWith('ERR_SSL_')) || /^The server does not support SSL connections/.test(messageOf(error));
}

/**
 * A refused error (see classifySqlError) on one line: the server's words, which name the table,
 * schema, column or database, with its SQLSTATE, and what to do about it.
 */
export function explainSqlRefusal(error: unknown): string {
  const state = sqlState(error);
  const what = `${messageOf(error)}${state ? ` (SQLSTATE ${state})` : ''}`;
  return `${what}; ${refusalHint(state)}`;
}

function refusalHint(state: string | null): string {
  if (state === null) return 'check sslmode in PG_URL (or DATABASE_URL) against what the server offers';
  switch (state) {
    case '42P01':
    case '3F000':
      return 'the run creates its tables when it starts, so something dropped them while it ran (another run on this sink.schema with sink.reset, or by hand): run it again (harness run; harness resume or harness pipeline create what is missing), or create them with `harness sink init <scenario>` for a pipeline of your own';
    case '3D000':
      return 'create the database (createdb) or name another one in PG_URL (or DATABASE_URL)';
    case '42501':
      return 'grant the user in PG_URL what the harness needs (CREATE on the database and the schema; SELECT, INSERT, UPDATE and DELETE on its tables) or use another user';
    case '42703':
    case '42804':
      return 'the table is not the one this harness writes (made by hand, or by another version): compare it with `harness sink ddl <scenario>`, then drop it or run with sink.reset: true';
    default:
      return "the server refuses the operation itself: check the sink's settings (PG_URL, sink.schema, sink.tables) against the server";
  }
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
  return /^(Connection terminated|Client has encountered a connection error|timeout expired|timeout exceeded when trying to connect|Query read timeout)/.test(
    messageOf(error),
  );
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
