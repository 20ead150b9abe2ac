import type { CheckResult } from '../../verifier/check.ts';
import type { Report, SeriesPoint } from '../../verifier/report.ts';
import type { DatasetName } from '../../generators/index.ts';
import type { StepJudgement } from '../../verifier/find-max-report.ts';

export type { StepJudgement } from '../../verifier/find-max-report.ts';

/** The backlog may grow by at most this share of the rate per second and still count as flat. */
export const FLAT_BACKLOG_SHARE = 0.01;
/**
 * Past this share of the step's records sent over a second late, the producer fell behind: at a
 * rate the harness cannot make (or one that starves it of its thread), the step fails for that.
 */
const BEHIND_SHARE = 0.05;
/** Checks whose failure says the rows are wrong; any of them fails a step whatever its rate. */
const correctness = new Set(['exactly-once', 'values', 'dlq-capture', 'dlq-topic', 'aggregates', 'freshness', 'generation']);

/**
 * Judges a step: the backlog stayed flat over the steady part (from `warmupS`, or a second after
 * the pipeline's first output if that is later, up to the step's end; the drain after it left out), the latency SLOs held, and every correctness check
 * passed. The throughput SLO is not the step's to judge: the step sets the rate.
 */
export function judgeStep(report: Report, dataset: DatasetName, targetPerSec: number, stepS: number, warmupS: number): StepJudgement {
  const checks = report.checks.filter((c) => c.dataset === dataset);
  const all = report.series?.[dataset] ?? [];
  const behindSchedule = scheduleBacklog(all);
  // Steady once warmed up and once the pipeline has delivered anything: a pipeline that polls for
  // files every few seconds starts late, and that start is its latency, not a shortfall of rate.
  const firstOutput = all.find((p) => p.ingested + p.deadLettered > 0)?.second ?? Infinity;
  const from = Math.max(warmupS, firstOutput + 1);
  const steady = all.map((p, i) => [p, behindSchedule[i] as number] as const).filter(([p]) => p.second >= from && p.second < stepS);
  const series = steady.map(([p]) => p);
  const reasons: string[] = [];
  const mean = (pick: (p: SeriesPoint) => number) => (series.length > 0 ? series.reduce((n, p) => n + pick(p), 0) / series.length : 0);
  const producedPerSec = mean((p) => p.produced);
  const achievedPerSec = mean((p) => p.ingested + p.deadLettered);
  const fit = slope(steady.map(([p, backlog]) => [p.second, backlog]));
  const backlogSlopePerSec = fit.slope;
  if (series.length < 2)
    reasons.push(`no steady seconds to judge (${series.length} from second ${from} to ${stepS}): make --step longer than the pipeline's start-up`);
  // Every second counts here, the drain included: a record sent late is late whenever it was sent.
  const behind = all.reduce((n, p) => n + p.behind, 0);
  const generatorBound = behind > BEHIND_SHARE * targetPerSec * stepS;
  if (generatorBound) {
    const worst = Math.max(...all.map((p) => p.behindMaxMs ?? 0));
    reasons.push(`the harness fell behind its schedule: ${behind} records sent over 1 s late (up to ${worst} ms)`);
  }
  // Grown beyond doubt: a pipeline that lands files in lumps has a ragged backlog, and a slope
  // within two standard errors of flat is not evidence that it fell behind.
  if (fit.slope - 2 * fit.standardError > FLAT_BACKLOG_SHARE * targetPerSec) {
    reasons.push(`backlog grew ${Math.round(fit.slope)} rec/s (±${Math.round(2 * fit.standardError)})`);
  }
  const latency = checks.find((c) => c.name === 'latency');
  const broken = (latency?.slos ?? []).filter((s) => !s.met && s.name !== 'latency.impossibleTimes');
  for (const s of broken) reasons.push(`${s.name} ${s.actual} ms > ${s.limit}`);
  for (const c of checks.filter((c) => correctness.has(c.name) && c.status === 'fail')) reasons.push(`${c.name}: ${c.summary}`);
  if (!checks.some((c) => c.name === 'exactly-once')) reasons.push('no exactly-once check: the rows were not proven');
  return {
    targetPerSec,
    producedPerSec,
    achievedPerSec,
    backlogSlopePerSec,
    p99Ms: figure(latency, 'corrected_p99_ms') ?? figure(latency, 'p99_ms'),
    pass: reasons.length === 0,
    latencyBroke: broken.length > 0,
    generatorBound,
    reasons,
  };
}

function figure(check: CheckResult | undefined, name: string): number | null {
  const value = check?.figures[name];
  return value === undefined ? null : value;
}

/**
 * The backlog measured against the schedule rather than against deliveries: outcomes due by the
 * end of each second (records due, times the share of records that have an outcome of their own:
 * duplicates have none) minus outcomes seen by then. Deliveries come a file or a batch at a time,
 * which makes the series' own backlog jump by a chunk from one second to the next; the schedule
 * does not, so a pipeline short of the rate by 2% shows as a steady 2% slope even in a short step.
 */
export function scheduleBacklog(series: readonly SeriesPoint[]): number[] {
  const produced = series.reduce((n, p) => n + p.produced, 0);
  const outcomes = series.reduce((n, p) => n + p.ingested + p.deadLettered, 0);
  const share = produced > 0 ? outcomes / produced : 1;
  let due = 0;
  let seen = 0;
  return series.map((p) => {
    due += p.targetPerSec * share;
    seen += p.ingested + p.deadLettered;
    return due - seen;
  });
}

/** Least-squares slope of y over x and its standard error; 0 and 0 for fewer than two points (no error for exactly two). */
export function slope(points: readonly (readonly [number, number])[]): { slope: number; standardError: number } {
  const n = points.length;
  if (n < 2) return { slope: 0, standardError: 0 };
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  if (sxx === 0) return { slope: 0, standardError: 0 };
  const b = sxy / sxx;
  const residuals = points.reduce((s, [x, y]) => s + (y - my - b * (x - mx)) ** 2, 0);
  return { slope: b, standardError: n > 2 ? Math.sqrt(residuals / (n - 2) / sxx) : 0 };
}
