import { ExitCode } from './exit-codes.ts';

/** Every error a user can act on carries one of these codes; the code decides the exit code. */
export const errorCodes = {
  usage: ExitCode.usage,
  scenario: ExitCode.usage,
  config: ExitCode.usage,
  runNotFound: ExitCode.usage,
  /** A report.json that cannot be read, or reports that cannot be compared (harness compare, --baseline). */
  report: ExitCode.usage,
  /** A run file (manifest, report, checkpoint) that is truncated, empty or unparseable. */
  corrupt: ExitCode.usage,
  unreachable: ExitCode.unreachable,
  /** No space left on the device (ENOSPC) or the quota is used up (EDQUOT). */
  disk: ExitCode.unreachable,
} as const;

export type ErrorCode = keyof typeof errorCodes;

export class HarnessError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HarnessError';
    this.code = code;
  }

  get exitCode(): ExitCode {
    return errorCodes[this.code];
  }
}

/** A thrown value as an Error (a library may throw a string or a plain object). */
export function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(messageOf(value));
}

/** The message of an unknown thrown value, for wrapping errors with context. */
export function messageOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return error.errors.map(messageOf).join('; ');
  }
  return error instanceof Error ? error.message : String(error);
}

/** The errno code of a Node system error (`ENOSPC`, `ECONNREFUSED`...), if it is one. */
export function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? code : undefined;
}

/** Errno codes of a connection that was refused, cut or timed out: the server is unreachable, not harness broken. */
const CONNECTION_LOST = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

export function isConnectionLost(error: unknown): boolean {
  return CONNECTION_LOST.has(errnoCode(error) ?? '');
}

/** Whether writing failed because the device or the quota is full. */
export function isDiskFull(error: unknown): boolean {
  const code = errnoCode(error);
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** An error as it crosses a worker thread's boundary: enough to rebuild its class and code on the other side. */
export interface SerializedError {
  message: string;
  stack?: string;
  /** The HarnessError code, when it was one. */
  harness?: ErrorCode;
  /** The errno code of a system error, and the file it named. */
  errno?: string;
  path?: string;
}

export function serializeError(error: unknown): SerializedError {
  const path = (error as { path?: unknown } | null)?.path;
  return {
    message: messageOf(error),
    ...(error instanceof Error && error.stack ? { stack: error.stack } : {}),
    ...(error instanceof HarnessError ? { harness: error.code } : {}),
    ...(errnoCode(error) ? { errno: errnoCode(error) } : {}),
    ...(typeof path === 'string' ? { path } : {}),
  };
}

/** The error a worker thread posted, with its HarnessError code or errno code kept, so the exit code is the same as in one thread. */
export function deserializeError(serialized: SerializedError): Error {
  const error = serialized.harness
    ? new HarnessError(serialized.harness, serialized.message)
    : Object.assign(new Error(serialized.message), { code: serialized.errno, path: serialized.path });
  if (serialized.stack) error.stack = serialized.stack;
  return error;
}
