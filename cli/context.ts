import { HarnessError } from '../core/errors.ts';
import { ExitCode } from '../core/exit-codes.ts';
import type { Baseline } from '../reports/compare/baseline.ts';
import type { CliIo } from './io.ts';

/**
 * Context every command gets: its io, where runs live, and a way to set the exit code.
 *
 * Commands load what they run on (runner, sinks, transports, reports) with `import()` inside their
 * action: `--help`, `validate` and every other command start without the modules they do not use
 * (see the `startup` bench). What a command module imports at its top is only what declares it.
 */
export interface CommandContext {
  io: CliIo;
  home: () => string;
  exit: (code: number) => void;
}

export function parseWorkers(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new HarnessError('usage', `--workers takes a whole number from 1 to 64, got "${text}"`);
  return n;
}

/**
 * Runs `work` with SIGINT and SIGTERM turned into an abort: producers and the pipeline stop between
 * chunks and batches, what is committed stays, and the caller says how to resume.
 */
export async function untilStopped<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await work(stop.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Verifies a run, prints the terminal table and sets the exit code from the verdict. */
export async function verifyAndReport(context: CommandContext, runDir: string, log: (line: string) => void, baseline?: Baseline): Promise<void> {
  const [{ renderTerminal }, { verifyRunDir }, { inGithubGroup, publishToGithubActions }] = await Promise.all([
    import('../reports/index.ts'),
    import('../runner/verify-run.ts'),
    import('./github-actions.ts'),
  ]);
  const report = await inGithubGroup(context.io, `harness verify ${runDir}`, () => verifyRunDir(runDir, context.io.env, log, baseline));
  context.io.stdout(renderTerminal(report));
  publishToGithubActions(context.io, runDir, report);
  context.exit(report.verdict === 'pass' ? ExitCode.ok : ExitCode.sloMissed);
}
