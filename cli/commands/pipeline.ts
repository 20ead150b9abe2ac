import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ExitCode } from '../../core/exit-codes.ts';
import { untilStopped, type CommandContext } from '../context.ts';
import { withProgressOptions, type ProgressFlags } from '../progress-options.ts';

export function registerPipeline(program: Command, context: CommandContext): void {
  const command = program
    .command('pipeline')
    .description("run the reference pipeline alone over a run's data into its sink; resumes from the sink's checkpoints")
    .option('--run <dir>', 'run directory (default: the latest under <home>/runs)')
    .option('--follow', 'wait for a generation that is not finished, even one whose run stopped (default: only while that run is alive)')
    .option('--recompute-statistics', "rebuild the statistics the sink keeps beside the run's rows from those rows, then exit (reads no source)");
  withProgressOptions(command).action(async (options: ProgressFlags & { run?: string; follow?: boolean; recomputeStatistics?: boolean }) => {
    const { io } = context;
    if (options.recomputeStatistics) {
      const [{ latestRunDir }, { recomputeStatisticsForRun }] = await Promise.all([
        import('../../runs/manifest.ts'),
        import('../../runner/recompute-statistics.ts'),
      ]);
      const runDir = options.run ? resolve(io.cwd, options.run) : latestRunDir(context.home());
      const rebuilt = await recomputeStatisticsForRun(runDir, io.env, (line) => io.stderr(`${line}\n`));
      io.stdout(rebuilt.length > 0 ? `${rebuilt.join('\n')}\n` : `the sink keeps no statistics for run ${runDir}\n`);
      context.exit(ExitCode.ok);
      return;
    }
    const [{ latestRunDir }, { runPipelineForRun }, { progressFor }] = await Promise.all([
      import('../../runs/manifest.ts'),
      import('../../runner/pipeline-run.ts'),
      import('../progress.ts'),
    ]);
    const progress = progressFor(io, options);
    const runDir = options.run ? resolve(io.cwd, options.run) : latestRunDir(context.home());
    // SIGINT/SIGTERM stop between batches: what is committed stays, the rest resumes next time.
    const result = await untilStopped((signal) => runPipelineForRun(runDir, io.env, progress.log, signal, { follow: Boolean(options.follow), progress }));
    io.stderr(`pipeline ${result.completed ? 'finished' : 'stopped'}: ${runDir}\n`);
    context.exit(result.completed ? ExitCode.ok : ExitCode.interrupted);
  });
}
