import { join } from 'node:path';
import type { Command } from 'commander';
import { HarnessError } from '../../core/errors.ts';
import { ExitCode } from '../../core/exit-codes.ts';
import { withBaselineOptions, type BaselineFlags } from '../baseline.ts';
import { parseWorkers, untilStopped, verifyAndReport, type CommandContext } from '../context.ts';
import { openOption, openReport } from '../open.ts';
import { withProgressOptions, type ProgressFlags } from '../progress-options.ts';

export function registerRun(program: Command, context: CommandContext): void {
  const command = program
    .command('run')
    .description("generate the scenario's datasets, run the pipeline, then verify (exit 0 when every SLO is met)")
    .argument('<scenario>', 'scenario file, e.g. scenarios/high-volume.yaml')
    .option('--base-time <iso>', 'event time of record 0, for byte-identical data (default: now)')
    .option('--no-verify', 'stop after the pipeline; verify later with `harness verify`')
    .option('--workers <n>', 'worker threads generating each dataset', '1')
    .option('--faults <spec>', 'replace the fault rates: "none", or e.g. duplicate=0.01,malformed=0.02,click_event=0.01')
    .option('--shard <k/n>', 'produce only shard k of n (several machines into one Kafka cluster); run the pipeline with `harness pipeline`')
    .option(...openOption);
  withProgressOptions(withBaselineOptions(command)).action(
    async (
      scenarioPath: string,
      options: ProgressFlags & BaselineFlags & { baseTime?: string; verify: boolean; workers: string; faults?: string; shard?: string; open?: boolean },
    ) => {
      const { io } = context;
      const [{ parseShard }, { runScenario }, { describeAbort }, { loadBaseline }, { inGithubGroup }, { progressFor }] = await Promise.all([
        import('../../connectors/transports/chunks.ts'),
        import('../../runner/run-scenario.ts'),
        import('../../runs/manifest.ts'),
        import('../../reports/compare/baseline.ts'),
        import('../github-actions.ts'),
        import('../progress.ts'),
      ]);
      const baseline = loadBaseline(options.baseline, options.failOn, io.cwd);
      if (baseline && (!options.verify || options.shard))
        throw new HarnessError('usage', '--baseline judges the verified run: drop --no-verify and --shard, or compare later with `harness compare`');
      const progress = progressFor(io, options);
      const { log } = progress;
      const started = Date.now();
      const { runDir, manifest } = await inGithubGroup(io, `harness run ${scenarioPath}`, () =>
        untilStopped((signal) =>
          runScenario({
            scenarioPath,
            home: context.home(),
            env: io.env,
            ...(options.baseTime ? { baseTime: options.baseTime } : {}),
            ...(options.faults ? { faults: options.faults } : {}),
            workers: parseWorkers(options.workers),
            ...(options.shard ? { shard: parseShard(options.shard) } : {}),
            log,
            progress,
            signal,
          }),
        ),
      );
      const seconds = (Date.now() - started) / 1000;
      if (manifest.status === 'interrupted') {
        io.stderr(`run ${manifest.runId} interrupted after ${seconds.toFixed(1)} s; finish it with: harness resume --run ${runDir}\n`);
        context.exit(ExitCode.interrupted);
        return;
      }
      const ended = manifest.aborted ? describeAbort(manifest.aborted) : 'finished';
      io.stderr(`run ${manifest.runId} ${ended} (${seconds.toFixed(1)} s, peak RSS ${Math.round((manifest.peakRssBytes ?? 0) / 2 ** 20)} MiB): ${runDir}\n`);
      // An aborted run has lost an SLO whatever verify finds in what landed.
      if (manifest.aborted) context.exit(ExitCode.sloMissed);
      if (!options.verify || options.shard) return;
      await verifyAndReport(context, runDir, log, baseline);
      if (options.open) openReport(join(runDir, 'report.html'), io);
    },
  );
}
