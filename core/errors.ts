import { ExitCode } from './exit-codes.ts';

/** Every error a user can act on carries one of these codes; the code decides the exit code. */
export const errorCodes = {
  usage: ExitCode.usage,
  scenario: ExitCode.usage,
  config: ExitCode.usage,
  runNotFound: ExitCode.usage,
  /** A report.json that cannot be read, or reports that cannot be compared (harness compare, --baseline). */
  report: ExitCode.usage,
  unreachable: ExitCode.unreachable,
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

/** The message of an unknown thrown value, for wrapping errors with context. */
export function messageOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return error.errors.map(messageOf).join('; ');
  }
  return error instanceof Error ? error.message : String(error);
}
