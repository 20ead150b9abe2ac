import type { CopyQuery } from './client.ts';

/**
 * The messages between a PGlite client (pglite.ts, main thread) and the thread that runs PGlite
 * (pglite-thread.ts). Every request carries an id its answer repeats; the client sends one request
 * at a time except a page's acknowledgement, which travels beside a running `copyOut`.
 */
export interface PgliteWorkerData {
  dataDir: string;
}

export type PgliteRequest =
  | { op: 'query'; sql: string; params: unknown[] }
  /** Statements without parameters: DDL, ROLLBACK. */
  | { op: 'exec'; sql: string }
  /** COMMIT that fails when PostgreSQL rolled the transaction back instead (an earlier error in it). */
  | { op: 'commit' }
  /** A COPY .. FROM '/dev/blob' statement and its text, UTF-8 in a buffer the client transfers. */
  | { op: 'copyIn'; sql: string; text: Uint8Array }
  /** Answered by pages (`PgliteReply` with `page`), each acknowledged, then by the end. */
  | { op: 'copyOut'; query: CopyQuery }
  | { op: 'close' };

export type PgliteMessage =
  /**
   * With `begin`, BEGIN runs first and the request fails if it does: a transaction's BEGIN travels
   * with its first statement, one round trip fewer (each waits for the client's thread to be free).
   */
  | { id: number; request: PgliteRequest; begin: boolean }
  /** The client parsed a page of `copyOut` `ack`: the thread may send another, or with `stop`, end it. */
  | { ack: number; stop: boolean };

/** Request id 0 is the thread opening PGlite: its answer says the database is ready, or why not. */
export const OPENING_ID = 0;

export type PgliteReply =
  { id: number; rows: Record<string, unknown>[]; affected: number } | { id: number; page: ArrayBuffer } | { id: number; error: ErrorFields };

/** The fields PGlite's DatabaseError carries from the server: SQLSTATE and severity classify a failure (failures.ts). */
const serverFields = [
  'severity',
  'code',
  'detail',
  'hint',
  'position',
  'internalPosition',
  'internalQuery',
  'where',
  'schema',
  'table',
  'column',
  'dataType',
  'constraint',
  'file',
  'line',
  'routine',
] as const;

type ServerField = (typeof serverFields)[number];

/** An error as it crosses threads: structured cloning keeps an Error's message but drops its own fields. */
export interface ErrorFields {
  name: string;
  message: string;
  stack: string | undefined;
  server: Partial<Record<ServerField, string>>;
}

export function errorFields(error: unknown): ErrorFields {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error), stack: undefined, server: {} };
  const server: Partial<Record<ServerField, string>> = {};
  for (const field of serverFields) {
    const value: unknown = (error as unknown as Record<string, unknown>)[field];
    if (typeof value === 'string') server[field] = value;
  }
  return { name: error.name, message: error.message, stack: error.stack, server };
}

/**
 * The error again, on the client's side, with the server's fields as PGlite's own error has them.
 * Its stack is the thread's: the one this side could give points only at the message handler.
 */
export function rebuildError({ name, message, stack, server }: ErrorFields): Error {
  const error = Object.assign(new Error(message), server);
  error.name = name;
  if (stack !== undefined) error.stack = stack;
  return error;
}
