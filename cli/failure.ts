import { dirname } from 'node:path';
import { errnoCode, HarnessError, isConnectionLost, isDiskFull, messageOf } from '../core/errors.ts';
import { ExitCode } from '../core/exit-codes.ts';

/** What the CLI prints for an error that reached it, and the exit code it ends with. */
export interface Failure {
  exitCode: ExitCode;
  /** One line (or a few): what failed and what to do. */
  message: string;
}

/**
 * The one place where an error becomes a message and an exit code. A HarnessError already says
 * what failed and what to do. A system error the commands did not wrap is still classified by its
 * errno: a full disk or a lost connection is exit 3, a missing or unreadable file exit 2. Anything
 * else is a bug in harness: it says so and how to report it, with an exit code of its own, so that
 * CI never reads it as a missed SLO (1) or bad usage (2).
 */
export function describeFailure(error: unknown): Failure {
  if (error instanceof HarnessError) return { exitCode: error.exitCode, message: error.message };
  const path = (error as { path?: unknown } | null)?.path;
  const where = typeof path === 'string' ? path : undefined;
  if (isDiskFull(error)) {
    const dir = where ? dirname(where) : 'the output directory';
    return {
      exitCode: ExitCode.unreachable,
      message: `no space left on the device${where ? ` writing ${where}` : ''}: free space in ${dir} (df -h ${dir}) and run the command again; \`harness resume\` finishes a run`,
    };
  }
  const errno = errnoCode(error);
  if (isConnectionLost(error)) return { exitCode: ExitCode.unreachable, message: `a connection failed (${errno}): ${messageOf(error)}` };
  if (errno === 'ENOENT' || errno === 'EACCES' || errno === 'EISDIR' || errno === 'ENOTDIR' || errno === 'EROFS') {
    return { exitCode: ExitCode.usage, message: `${messageOf(error)}: check the path and its permissions` };
  }
  return {
    exitCode: ExitCode.internal,
    message: `unexpected error: ${messageOf(error)}\nThis is a bug in harness. Please report it (README, "Reporting a bug") with the output of \`harness --version\` and of the same command run with --debug.`,
  };
}

/** Whether stack traces are wanted: `--debug` anywhere on the command line, or HARNESS_DEBUG=1. */
export function debugWanted(argv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  return argv.includes('--debug') || (env.HARNESS_DEBUG !== undefined && env.HARNESS_DEBUG !== '' && env.HARNESS_DEBUG !== '0');
}

/** The text printed for a failure: `error: <message>`, and the stack (with its causes) only when debugging. */
export function failureText(error: unknown, debug: boolean): { exitCode: ExitCode; text: string } {
  const { exitCode, message } = describeFailure(error);
  let text = `error: ${message}\n`;
  if (debug) {
    for (let e: unknown = error; e instanceof Error; e = e.cause) text += `${e === error ? '' : 'caused by: '}${e.stack ?? e.message}\n`;
  }
  return { exitCode, text };
}
