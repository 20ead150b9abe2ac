import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ExitCode } from '../../core/exit-codes.ts';
import { latestRunDir } from '../../runs/manifest.ts';
import { resumeRun } from '../../runner/resume.ts';
import { parseWorkers, untilStopped, verifyAndReport, type CommandContext } from '../context.ts';

export function registerResume(program: Command, context: CommandContext): void {
  program
    .command('resume')
    .description('finish a run that was killed, crashed or interrupted: produce what is missing, finish the pipeline from its checkpoints, verify')
    .option('--run <dir>', 'run directory (default: the latest under <home>/runs)')
    .option('--no-verify', 'stop after the pipeline')
    .option('--quiet', 'no per-batch progress lines')
    .option('--workers <n>', 'worker threads generating each dataset', '1')
    .action(async (options: { run?: string; verify: boolean; quiet?: boolean; workers: string }) => {
      const { io } = context;
      const log = options.quiet ? () => {} : (line: string) => io.stderr(`${line}\n`);
      const runDir = options.run ? resolve(io.cwd, options.run) : latestRunDir(context.home());
      const { manifest } = await untilStopped((signal) => resumeRun(runDir, { env: io.env, log, signal, workers: parseWorkers(options.workers) }));
      if (manifest.status === 'interrupted') {
        io.stderr(`run ${manifest.runId} interrupted again; finish it with: harness resume --run ${runDir}\n`);
        context.exit(ExitCode.interrupted);
        return;
      }
      if (options.verify) await verifyAndReport(context, runDir, log);
    });
}
