import { resolve } from 'node:path';
import { HarnessError } from '../../core/errors.ts';
import type { Report } from '../../verifier/report.ts';
import { compareReports } from './compare.ts';
import { parseFailOn, unmatchedRules, type FailOnRule } from './fail-on.ts';
import { loadReport, type LoadedReport } from './load.ts';

/** `harness run|verify --baseline <report.json...> --fail-on <rules>`: what a verified run is judged against. */
export interface Baseline {
  reports: LoadedReport[];
  rules: FailOnRule[];
}

/**
 * Reads the baselines and parses the rules before any work starts, so a bad file or rule costs a
 * second, not a whole run; undefined without --baseline.
 */
export function loadBaseline(paths: readonly string[] | undefined, failOn: string | undefined, cwd: string): Baseline | undefined {
  if (!paths || paths.length === 0) {
    if (failOn !== undefined) throw new HarnessError('usage', `--fail-on "${failOn}" needs --baseline <report.json...> to compare against`);
    return undefined;
  }
  return { rules: failOn === undefined ? [] : parseFailOn(failOn), reports: paths.map((p) => loadReport(resolve(cwd, p), 'baseline')) };
}

/**
 * The report judged against its baselines too: the comparison is stored in it (report.json,
 * report.md, report.html show it) and a regression fails its verdict. Throws (exit 2) when the
 * reports are not comparable.
 */
export function judgeAgainst(report: Report, reportPath: string, baseline: Baseline, log: (line: string) => void): Report {
  const comparison = compareReports(baseline.reports, { path: reportPath, report }, baseline.rules);
  warnUnmatched(baseline.rules, comparison.figures, log);
  return { ...report, comparison, verdict: report.verdict === 'pass' && comparison.verdict === 'pass' ? 'pass' : 'fail' };
}

export function warnUnmatched(rules: readonly FailOnRule[], figures: readonly { name: string }[], log: (line: string) => void): void {
  for (const rule of unmatchedRules(rules, figures)) log(`warning: --fail-on ${rule.figure}: no figure of these reports is named so; this rule cannot fail`);
}
