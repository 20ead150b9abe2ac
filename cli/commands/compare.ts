import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { HarnessError } from '../../core/errors.ts';
import { ExitCode } from '../../core/exit-codes.ts';
import { figureFamilies, isFindMax } from '../../reports/compare/figures.ts';
import { FAIL_ON_FLAG, FAIL_ON_HELP } from '../baseline.ts';
import type { CommandContext } from '../context.ts';

const help = `
Figures (per dataset unless noted): ${figureFamilies.map((f) => f.pattern.replace('#', '<stage>')).join(', ')}.
wallTime and peakRss are the run's; findMax is a find-max search's answer.

--fail-on: <figure>=<+|-><percent>%, comma-separated. A figure is a name above or a prefix of
its dot-separated parts (latency.p99 is both p99s, throughput every throughput figure); the
longest rule naming a figure wins. +10%: a rise beyond 10% of the baseline regresses; -5%: a fall.
With several baselines, a figure regresses only beyond its tolerance AND beyond their range.

Exit 0: nothing regressed; 1: a figure regressed; 2: a bad report file or rule, or reports that
are not comparable (another scenario, seed or record counts).`;

/** The newest find-max search's directory (ids sort by time). */
function latestFindMaxDir(home: string): string {
  const root = join(home, 'find-max');
  const searches = existsSync(root)
    ? readdirSync(root)
        .filter((name) => existsSync(join(root, name, 'report.json')))
        .sort()
    : [];
  const last = searches.at(-1);
  if (!last) throw new HarnessError('runNotFound', `no find-max search under ${root}: give the report to judge with --current`);
  return join(root, last);
}

export function registerCompare(program: Command, context: CommandContext): void {
  program
    .command('compare')
    .description('compare a report.json with baseline reports of the same scenario, figure by figure (exit 0 pass, 1 a figure regressed, 2 not comparable)')
    .argument('<baseline...>', 'baseline report.json files, or run / find-max directories; several: their spread is the noise')
    .option(
      '--current <report>',
      'the report to judge (default: the latest run under <home>/runs, or the latest find-max search when the baselines are find-max reports)',
    )
    .option(FAIL_ON_FLAG, FAIL_ON_HELP)
    .addHelpText('after', help)
    .action(async (baselinePaths: string[], options: { current?: string; failOn?: string }) => {
      const { io } = context;
      const [{ warnUnmatched }, { compareReports }, { parseFailOn }, { loadReport }, { renderComparisonMarkdown, renderComparisonTerminal }, { latestRunDir }] =
        await Promise.all([
          import('../../reports/compare/baseline.ts'),
          import('../../reports/compare/compare.ts'),
          import('../../reports/compare/fail-on.ts'),
          import('../../reports/compare/load.ts'),
          import('../../reports/compare/render.ts'),
          import('../../runs/manifest.ts'),
        ]);
      const rules = options.failOn === undefined ? [] : parseFailOn(options.failOn);
      const baselines = baselinePaths.map((p) => loadReport(resolve(io.cwd, p), 'baseline'));
      const currentPath = options.current
        ? resolve(io.cwd, options.current)
        : baselines.some((b) => isFindMax(b.report))
          ? latestFindMaxDir(context.home())
          : latestRunDir(context.home());
      const current = loadReport(currentPath, 'current');
      const comparison = compareReports(baselines, current, rules);
      warnUnmatched(rules, comparison.figures, (line) => io.stderr(`${line}\n`));
      const markdownPath = join(dirname(current.path), 'compare.md');
      writeFileSync(markdownPath, `## harness compare: ${current.report.scenario}\n\nCurrent: \`${current.path}\`.\n\n${renderComparisonMarkdown(comparison)}`);
      io.stdout(renderComparisonTerminal(comparison));
      io.stderr(`comparison written to ${markdownPath}\n`);
      context.exit(comparison.verdict === 'pass' ? ExitCode.ok : ExitCode.sloMissed);
    });
}
