// GitHub Actions reads workflow commands from a step's output (stdout and stderr alike), and gives
// each step a file ($GITHUB_STEP_SUMMARY) whose markdown it shows on the run's page. Syntax and
// escaping: https://docs.github.com/actions/reference/workflow-commands-for-github-actions
import { appendFileSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { messageOf } from '../core/errors.ts';
import { formatNumber, formatSlo } from '../reports/format.ts';
import { markdownReport } from '../reports/writers/markdown.ts';
import { scenarioPositions, type ScenarioPositions } from '../scenarios/load.ts';
import type { CheckResult, SloResult } from '../verifier/check.ts';
import type { Report } from '../verifier/report.ts';
import type { CliIo } from './io.ts';

/** Whether the command runs as a GitHub Actions step (the runner sets GITHUB_ACTIONS=true). */
export function onGithubActions(env: NodeJS.ProcessEnv): boolean {
  return env.GITHUB_ACTIONS === 'true';
}

/** A command's message: `%`, CR and LF would otherwise end or corrupt the command. */
export function escapeData(text: string): string {
  return text.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
}

/** A command's property value: also `:` and `,`, which separate the properties from the message and from each other. */
export function escapeProperty(text: string): string {
  return escapeData(text).replaceAll(':', '%3A').replaceAll(',', '%2C');
}

export interface Annotation {
  title: string;
  message: string;
  /** Relative to the workspace, so GitHub can show it on the file in the pull request's diff. */
  file?: string;
  line?: number;
}

export function errorCommand(a: Annotation): string {
  const properties = [
    ...(a.file === undefined ? [] : [`file=${escapeProperty(a.file)}`]),
    ...(a.line === undefined ? [] : [`line=${a.line}`]),
    `title=${escapeProperty(a.title)}`,
  ];
  return `::error ${properties.join(',')}::${escapeData(a.message)}`;
}

/** The scenario file a report was judged under: its path relative to the workspace and its text. */
export interface ScenarioSource {
  file: string;
  text: string;
}

/**
 * One annotation per missed SLO of each failed check (on the SLO's line when the scenario file
 * sets it, on the file alone when the SLO is a default or a fixed bound), one for a failed check
 * with no SLO missed (e.g. generation incomplete), and one per regressed figure of the comparison.
 */
export function annotations(report: Report, scenario: ScenarioSource | null): Annotation[] {
  const positions = scenario ? scenarioPositions(scenario.text) : null;
  const at = (check: CheckResult, s: SloResult | null): Pick<Annotation, 'file' | 'line'> => {
    if (!scenario) return {};
    const line = s && positions ? sloLine(positions, s.name, check.dataset) : null;
    return line === null ? { file: scenario.file } : { file: scenario.file, line };
  };
  const checks = report.checks
    .filter((check) => check.status === 'fail')
    .flatMap((check): Annotation[] => {
      const missed = check.slos.filter((s) => !s.met);
      if (missed.length === 0) return [{ title: `${check.dataset} ${check.name} failed`, message: check.summary, ...at(check, null) }];
      return missed.map((s) => ({ title: `${check.dataset} ${check.name}: ${s.name} missed`, message: `${formatSlo(s)}. ${check.summary}`, ...at(check, s) }));
    });
  const regressions = (report.comparison?.figures ?? [])
    .filter((f) => f.regressed)
    .map((f): Annotation => {
      const [low, high] = f.baselineRange;
      const range = low === high ? '' : ` (baseline runs ${formatNumber(low)} to ${formatNumber(high)})`;
      const tolerance = f.tolerance === null ? '' : `, beyond the tolerance of ${percent(f.tolerance, false)}`;
      return {
        title: `regression: ${f.name}`,
        message: `${f.dataset === null ? '' : `${f.dataset} `}${f.name}: baseline ${formatNumber(f.baseline)}${range}, current ${formatNumber(f.current)}, ${percent(f.delta, true)}${tolerance}`,
      };
    });
  return [...checks, ...regressions];
}

const percent = (fraction: number, signed: boolean) => `${signed && fraction > 0 ? '+' : ''}${Number((fraction * 100).toFixed(1))}%`;

/**
 * The line of the scenario that sets an SLO, by the name the checks give it: `latency.p99` is
 * /slos/latency/p99, `maxMissing` /slos/maxMissing, a stage's `stage2.latency.p99` the p99 of the
 * first /slos/stages entry for stage 2 that applies to the dataset and sets it. Null for SLOs the
 * file does not set (defaults, fixed bounds such as `freshness.foreignRows`).
 */
export function sloLine(positions: ScenarioPositions, name: string, dataset: string): number | null {
  const stage = /^stage(\d+)\.(.+)$/.exec(name);
  if (!stage) return positions.lineOf(['slos', ...name.split('.')]);
  const number = Number(stage[1]);
  const rest = stage[2] ?? '';
  const field = rest === 'achievedRatio' ? ['minAchievedRatio'] : rest.split('.');
  for (let i = 0; positions.lineOf(['slos', 'stages', i]) !== null; i++) {
    const entryDataset = positions.scalarAt(['slos', 'stages', i, 'dataset']);
    if (Number(positions.scalarAt(['slos', 'stages', i, 'stage'])) !== number) continue;
    if (entryDataset !== undefined && entryDataset !== dataset) continue;
    const line = positions.lineOf(['slos', 'stages', i, ...field]);
    if (line !== null) return line;
  }
  return null;
}

/**
 * The scenario as the annotations name it: relative to the workspace (GITHUB_WORKSPACE, else the
 * working directory), or null when it lies outside it (GitHub could not show it) or is unreadable.
 */
export function scenarioSource(io: CliIo, scenarioPath: string): ScenarioSource | null {
  const file = relative(resolve(io.cwd, io.env.GITHUB_WORKSPACE ?? '.'), scenarioPath);
  if (file.startsWith('..') || isAbsolute(file)) return null;
  try {
    return { file: file.split(sep).join('/'), text: readFileSync(scenarioPath, 'utf8') };
  } catch {
    return null;
  }
}

/**
 * After a verification on GitHub Actions: the run's report.md appended to the step summary, and
 * the annotations written to `commands` (stdout, unless stdout carries the report JSON). Nothing
 * here can fail the command or lose a report: the reports are already written, and a summary that
 * cannot be written is a warning.
 */
export function publishToGithubActions(io: CliIo, runDir: string, report: Report, commands: (text: string) => void = io.stdout): void {
  if (!onGithubActions(io.env)) return;
  appendStepSummary(io, join(runDir, markdownReport.file));
  const scenarioPath = report.run?.scenarioPath;
  const lines = annotations(report, scenarioPath === undefined ? null : scenarioSource(io, scenarioPath)).map(errorCommand);
  if (lines.length > 0) commands(`${lines.join('\n')}\n`);
}

function appendStepSummary(io: CliIo, markdownPath: string): void {
  const summary = io.env.GITHUB_STEP_SUMMARY;
  if (!summary) {
    io.stderr(`warning: GITHUB_STEP_SUMMARY is not set, so the job summary is left out; the report is in ${markdownPath}\n`);
    return;
  }
  try {
    appendFileSync(summary, readFileSync(markdownPath, 'utf8'));
  } catch (error) {
    io.stderr(
      `warning: could not append ${markdownPath} to the job summary $GITHUB_STEP_SUMMARY (${summary}): ${messageOf(error)}; the report is still in the run directory\n`,
    );
  }
}

/**
 * Runs `work` inside a collapsed group of the step's log. The markers go to stderr, where the
 * progress lines go, so the group closes exactly after them.
 */
export async function inGithubGroup<T>(io: CliIo, title: string, work: () => Promise<T>): Promise<T> {
  if (!onGithubActions(io.env)) return work();
  io.stderr(`::group::${escapeData(title)}\n`);
  try {
    return await work();
  } finally {
    io.stderr('::endgroup::\n');
  }
}
