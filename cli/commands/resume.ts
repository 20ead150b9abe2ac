import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ExitCode } from '../../core/exit-codes.ts';
import { parseWorkers, untilStopped, verifyAndReport, type CommandContext } from '../context.ts';
import { withProgressOptions, type ProgressFlags } from '../progress-options.ts';

export function registerResume(program: Command, context: CommandContext): void {
  const command = program
    .command('resume')
    .description('finish a run that was killed, crashed or interrupted: produce what is missing, finish the pipeline from its checkpoints, verify')
    .option('--run <dir>', 'run directory (default: the latest under <home>/runs)')
    .option('--no-verify', 'stop after the pipeline')
    .option('--workers <n>', 'worker threads generating each dataset', '1');
  withProgressOptions(command).action(async (options: ProgressFlags & { run?: string; verify: boolean; workers: string }) => {
    const { io } = context;
    const [{ latestRunDir }, { resumeRun }, { progressFor }] = await Promise.all([
      import('../../runs/manifest.ts'),
      import('../../runner/resume.ts'),
      import('../progress.ts'),
    ]);
    const progress = progressFor(io, options);
    const { log } = progress;
    const runDir = options.run ? resolve(io.cwd, options.run) : latestRunDir(context.home());
    const { manifest } = await untilStopped((signal) => resumeRun(runDir, { env: io.env, log, signal, workers: parseWorkers(options.workers), progress }));
    if (manifest.status === 'interrupted') {
      io.stderr(`run ${manifest.runId} interrupted again; finish it with: harness resume --run ${runDir}\n`);
      context.exit(ExitCode.interrupted);
      return;
    }
    if (manifest.aborted) context.exit(ExitCode.sloMissed);
    if (options.verify) await verifyAndReport(context, runDir, log);
  });
}
