import type { CheckResult, SloResult } from '../verifier/check.ts';

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
