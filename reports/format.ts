import type { CheckResult, SloResult } from '../verifier/check.ts';
import type { Report, StageSummary } from '../verifier/report.ts';

export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined) return '-';
  return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toFixed(2);
}

export function formatSlo(s: SloResult): string {
  return `${s.name} ${formatNumber(s.actual)} ${s.bound === 'max' ? '<=' : '>='} ${formatNumber(s.limit)} ${s.met ? 'met' : 'MISSED'}`;
}

/** SLOs that were missed, as short phrases for summaries and failure messages. */
export function missedSlos(check: CheckResult): string[] {
  return check.slos.filter((s) => !s.met).map(formatSlo);
}

/** Every stage of every dataset with its one line: `ecommerce stage 2 (...): target 1,750/s, achieved 1,700/s, p99 4,300 ms, backlog at end 0`. */
export function stageLines(report: Report): { line: string; status: StageSummary['status'] }[] {
  return Object.entries(report.stages ?? {}).flatMap(([dataset, stages]) =>
    stages.map((s) => ({
      line: `${dataset} ${s.label}: target ${formatNumber(s.targetPerSec)}/s, achieved ${formatNumber(s.achievedPerSec)}/s, p99 ${s.p99Ms === null ? '-' : `${formatNumber(s.p99Ms)} ms`}, backlog at end ${formatNumber(s.backlogAtEnd)}`,
      status: s.status,
    })),
  );
}
