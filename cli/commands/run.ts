import type { Command } from 'commander';
import { parseShard } from '../../connectors/transports/chunks.ts';
import { ExitCode } from '../../core/exit-codes.ts';
import { runScenario } from '../../runner/run-scenario.ts';
import { parseWorkers, untilStopped, verifyAndReport, type CommandContext } from '../context.ts';

export function registerRun(program: Command, context: CommandContext): void {
  program
    .command('run')
    .description('generate the scenario\'s datasets, run the pipeline, then verify (exit 0 when every SLO is met)')
    .argument('<scenario>', 'scenario file, e.g. scenarios/high-volume.yaml')
    .option('--base-time <iso>', 'event time of record 0, for byte-identical data (default: now)')
    .option('--no-verify', 'stop after the pipeline; verify later with `harness verify`')
    .option('--quiet', 'no per-batch progress lines')
    .option('--workers <n>', 'worker threads generating each dataset', '1')
    .option('--faults <spec>', 'replace the fault rates: "none", or e.g. duplicate=0.01,malformed=0.02,click_event=0.01')
    .option('--shard <k/n>', 'produce only shard k of n (several machines into one Kafka cluster); run the pipeline with `harness pipeline`')
    .action(async (scenarioPath: string, options: { baseTime?: string; verify: boolean; quiet?: boolean; workers: string; faults?: string; shard?: string }) => {
      const { io } = context;
      const log = options.quiet ? () => {} : (line: string) => io.stderr(`${line}\n`);
      const started = Date.now();
      const { runDir, manifest } = await untilStopped((signal) =>
        runScenario({
          scenarioPath,
          home: context.home(),
          env: io.env,
          ...(options.baseTime ? { baseTime: options.baseTime } : {}),
          ...(options.faults ? { faults: options.faults } : {}),
          workers: parseWorkers(options.workers),
          ...(options.shard ? { shard: parseShard(options.shard) } : {}),
          log,
          signal,
        }),
      );
      const seconds = (Date.now() - started) / 1000;
      if (manifest.status === 'interrupted') {
        io.stderr(`run ${manifest.runId} interrupted after ${seconds.toFixed(1)} s; finish it with: harness resume --run ${runDir}\n`);
        context.exit(ExitCode.interrupted);
        return;
      }
      io.stderr(`run ${manifest.runId} finished in ${seconds.toFixed(1)} s, peak RSS ${Math.round((manifest.peakRssBytes ?? 0) / 2 ** 20)} MiB: ${runDir}\n`);
      if (!options.verify || options.shard) return;
      await verifyAndReport(context, runDir, log);
    });
}
