import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ExitCode } from '../../core/exit-codes.ts';
import { withBaselineOptions, type BaselineFlags } from '../baseline.ts';
import type { CommandContext } from '../context.ts';
import { openOption, openReport } from '../open.ts';

export function registerVerify(program: Command, context: CommandContext): void {
  withBaselineOptions(program.command('verify'))
    .description(
      "check a run's sinks and dead letters against the ground truth and its SLOs (exit 0 pass, 1 SLO missed or a figure regressed against --baseline)",
    )
    .option('--run <dir>', 'run directory (default: the latest under <home>/runs)')
    .option('--json', 'print the report JSON on stdout instead of the table')
    .option(...openOption)
    .action(async (options: BaselineFlags & { run?: string; json?: boolean; open?: boolean }) => {
      const { io } = context;
      const [{ latestRunDir }, { renderTerminal }, { jsonReport }, { verifyRunDir }, { loadBaseline }, { inGithubGroup, publishToGithubActions }] =
        await Promise.all([
          import('../../runs/manifest.ts'),
          import('../../reports/index.ts'),
          import('../../reports/writers/json.ts'),
          import('../../runner/verify-run.ts'),
          import('../../reports/compare/baseline.ts'),
          import('../github-actions.ts'),
        ]);
      const baseline = loadBaseline(options.baseline, options.failOn, io.cwd);
      const runDir = options.run ? resolve(io.cwd, options.run) : latestRunDir(context.home());
      const report = await inGithubGroup(io, `harness verify ${runDir}`, () => verifyRunDir(runDir, io.env, (line) => io.stderr(`${line}\n`), baseline));
      io.stdout(options.json ? jsonReport.render(report) : renderTerminal(report));
      publishToGithubActions(io, runDir, report, options.json ? io.stderr : io.stdout);
      if (options.open) openReport(join(runDir, 'report.html'), io);
      context.exit(report.verdict === 'pass' ? ExitCode.ok : ExitCode.sloMissed);
    });
}
