import { HarnessError } from '../../core/errors.ts';
import type { ComparedFigure, Comparison } from '../../verifier/report.ts';
import { ruleFor, type FailOnRule } from './fail-on.ts';
import { familyOf, figuresOf, isFindMax, type Figure } from './figures.ts';
import type { LoadedReport } from './load.ts';

/**
 * Judges `current` against one or more baseline reports of the same scenario. For every figure
 * all of them hold: the baselines' median, their range, and the relative delta. A figure named by a
 * --fail-on rule regresses when it is worse than the median by more than the tolerance AND worse
 * than every baseline run: with several baselines, their spread is the noise a change must leave.
 * Throws (exit 2) when the reports are not comparable, saying why.
 */
export function compareReports(baselines: readonly LoadedReport[], current: LoadedReport, rules: readonly FailOnRule[]): Comparison {
  if (baselines.length === 0) throw new HarnessError('usage', 'compare needs at least one baseline report');
  const reason = [current, ...baselines].map(withoutEvidence).find((r) => r !== null) ?? baselines.map((b) => differs(b, current)).find((r) => r !== null);
  if (reason) throw new HarnessError('report', `reports not comparable: ${reason}`);
  const baselineFigures = baselines.map((b) => new Map(figuresOf(b.report).map((f) => [keyOf(f), f.value])));
  const figures: ComparedFigure[] = [];
  for (const figure of figuresOf(current.report)) {
    const values = baselineFigures.flatMap((m) => m.get(keyOf(figure)) ?? []);
    if (values.length === baselines.length) figures.push(judge(figure, values, ruleFor(rules, figure.name)));
  }
  if (figures.length === 0) {
    throw new HarnessError('report', `reports not comparable: ${current.path} has no figure in common with ${baselines.map((b) => b.path).join(', ')}`);
  }
  return { baselines: baselines.map((b) => b.path), figures, verdict: figures.some((f) => f.regressed) ? 'fail' : 'pass' };
}

function keyOf(figure: Figure): string {
  return `${figure.dataset ?? ''}\u0000${figure.name}`;
}

function judge(figure: Figure, baselineValues: number[], rule: FailOnRule | null): ComparedFigure {
  const sorted = [...baselineValues].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const baseline = sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  const low = sorted[0] as number;
  const high = sorted.at(-1) as number;
  const current = figure.value;
  const judged: ComparedFigure = {
    name: figure.name,
    dataset: figure.dataset,
    baseline,
    baselineRange: [low, high],
    current,
    // A relative change from 0 has no size: only its sign is kept.
    delta: baseline === 0 ? Math.sign(current) : (current - baseline) / baseline,
    direction: rule?.direction ?? familyOf(figure.name).direction,
    tolerance: rule?.tolerance ?? null,
    regressed: false,
  };
  judged.regressed = beyondTolerance(judged) && beyondRange(judged);
  return judged;
}

/** Worse than the baselines' median by more than the figure's tolerance (never, without a rule). */
export function beyondTolerance(f: ComparedFigure): boolean {
  if (f.tolerance === null) return false;
  return f.direction === 'lower-is-better' ? f.current > f.baseline * (1 + f.tolerance) : f.current < f.baseline * (1 - f.tolerance);
}

/** Worse than every baseline run. */
function beyondRange(f: ComparedFigure): boolean {
  return f.direction === 'lower-is-better' ? f.current > f.baselineRange[1] : f.current < f.baselineRange[0];
}

/** A report with nothing verified proves nothing: it can be neither a baseline nor a current run to judge. */
function withoutEvidence({ path, report }: LoadedReport): string | null {
  if (isFindMax(report)) return report.steps.length === 0 ? `${path} is a find-max search with zero steps: no evidence to compare` : null;
  return report.checks.length === 0 ? `${path} has zero checks: a report without evidence is never a pass, as baseline or as current` : null;
}

/** Why a baseline and the current report measure different things, or null when they measure the same. */
function differs(baseline: LoadedReport, current: LoadedReport): string | null {
  const b = baseline.report;
  const c = current.report;
  const pair = (what: string, bv: string, cv: string) => (bv === cv ? null : `${what}: ${baseline.path} has ${bv}, ${current.path} has ${cv}`);
  if (isFindMax(b) !== isFindMax(c)) return pair('kind', isFindMax(b) ? 'a find-max search' : 'a run', isFindMax(c) ? 'a find-max search' : 'a run');
  const scenario = pair('scenario', `"${b.scenario}"`, `"${c.scenario}"`);
  if (scenario) return scenario;
  if (isFindMax(b) && isFindMax(c))
    return pair('dataset searched', b.dataset, c.dataset) ?? pair('step length', `${b.settings.stepMs} ms`, `${c.settings.stepMs} ms`);
  if (isFindMax(b) || isFindMax(c)) return null;
  if (b.run && c.run) {
    const counts = (datasets: Record<string, number | undefined>) =>
      Object.entries(datasets)
        .sort(([x], [y]) => x.localeCompare(y))
        .map(([name, count]) => `${name} ${count}`)
        .join(', ');
    return pair('seed', String(b.run.seed), String(c.run.seed)) ?? pair('record counts', counts(b.run.datasets), counts(c.run.datasets));
  }
  // Reports from before the run summary: the datasets checked are all there is to go by.
  const datasets = (checks: { dataset: string }[]) => [...new Set(checks.map((x) => x.dataset))].sort().join(', ');
  return pair('datasets', datasets(b.checks), datasets(c.checks));
}
