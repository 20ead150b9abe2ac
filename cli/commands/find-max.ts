import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { HarnessError } from '../../core/errors.ts';
import { ExitCode } from '../../core/exit-codes.ts';
import { parseDuration } from '../../core/duration.ts';
import { datasetNames, type DatasetName } from '../../generators/dataset-names.ts';
import { parseWorkers, untilStopped, type CommandContext } from '../context.ts';

function positiveRate(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new HarnessError('usage', `${flag} takes records per second above 0, got "${text}"`);
  return n;
}

function durationOption(text: string, flag: string): number {
  const ms = parseDuration(text);
  if (ms === null || ms <= 0) throw new HarnessError('usage', `${flag} takes a duration like 30s or 5m, got "${text}"`);
  return ms;
}

export function registerFindMax(program: Command, context: CommandContext): void {
  program
    .command('find-max')
    .description(
      'search the highest rate the pipeline sustains: backlog flat, latency SLOs met, rows right (exit 0 found; 1 none: even --from failed, or the budget ran out first)',
    )
    .argument('<scenario>', 'scenario file; its sink, pipeline, faults and latency SLOs are used, its load is replaced by the steps')
    .option('--dataset <name>', `the dataset to load (${datasetNames.join(' or ')}; default: the scenario's first); the others are left out`)
    .option('--from <rate>', 'lowest rate tried, records/s: the probe doubles the rate from here to find where the steps start', '1000')
    .option('--to <rate>', 'highest rate tried, records/s', '1000000')
    .option('--budget <duration>', 'wall time for the whole search; a step that would not fit is not started', '3m')
    .option('--step <duration>', 'steady load per step (the first seconds of each are warm-up)', '10s')
    .option('--faults <spec>', 'replace the fault rates, as for harness run')
    .option(
      '--workers <n>',
      "worker threads generating each step's records; the default keeps generation off the thread of the reference pipeline, whose capacity is searched",
      '2',
    )
    .option(
      '--exec <command>',
      'pipeline: external: the shell command that runs your pipeline over one step (HARNESS_RUN_DIR, HARNESS_RUN_ID set), started and stopped with each step',
    )
    .option('--keep-data', "keep each step's data files and embedded database (default: only manifests and reports)")
    .action(
      async (
        scenarioPath: string,
        options: {
          dataset?: string;
          from: string;
          to: string;
          budget: string;
          step: string;
          faults?: string;
          workers: string;
          keepData?: boolean;
          exec?: string;
        },
      ) => {
        const { io } = context;
        if (options.dataset !== undefined && !(datasetNames as readonly string[]).includes(options.dataset)) {
          throw new HarnessError('usage', `--dataset takes ${datasetNames.join(' or ')}, got "${options.dataset}"`);
        }
        const [{ renderFindMaxMarkdown, renderFindMaxTerminal }, { renderFindMaxHtml }, { findMax }] = await Promise.all([
          import('../../reports/writers/find-max.ts'),
          import('../../reports/writers/find-max-html.ts'),
          import('../../runner/find-max/find-max.ts'),
        ]);
        const log = (line: string) => io.stderr(`${line}\n`);
        const result = await untilStopped((signal) =>
          findMax({
            scenarioPath,
            home: context.home(),
            env: io.env,
            ...(options.dataset ? { dataset: options.dataset as DatasetName } : {}),
            fromPerSec: positiveRate(options.from, '--from'),
            toPerSec: positiveRate(options.to, '--to'),
            budgetMs: durationOption(options.budget, '--budget'),
            stepMs: durationOption(options.step, '--step'),
            ...(options.faults ? { faults: options.faults } : {}),
            workers: parseWorkers(options.workers),
            ...(options.keepData ? { keepData: true } : {}),
            ...(options.exec ? { exec: options.exec } : {}),
            log,
            onStep: (step) =>
              log(
                `  ${Math.round(step.targetPerSec)} rec/s: ${step.pass ? 'pass' : 'FAIL'}, achieved ${Math.round(step.achievedPerSec)} rec/s, backlog ${Math.round(step.backlogSlopePerSec)}/s, p99 ${step.p99Ms ?? '-'} ms${step.pass ? '' : ` (${step.reasons.join('; ')})`}`,
              ),
            signal,
          }),
        );
        writeFileSync(join(result.dir, 'report.md'), renderFindMaxMarkdown(result));
        writeFileSync(join(result.dir, 'report.html'), renderFindMaxHtml(result));
        io.stdout(renderFindMaxTerminal(result));
        io.stderr(`find-max report: ${join(result.dir, 'report.json')}\n`);
        if (result.ended === 'interrupted') context.exit(ExitCode.interrupted);
        else context.exit(result.answerPerSec === null ? ExitCode.sloMissed : ExitCode.ok);
      },
    );
}
