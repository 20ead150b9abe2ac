import Table from 'cli-table3';
import type { Report } from '../../verifier/report.ts';
import { renderComparisonTerminal } from '../compare/render.ts';
import { formatSlo, stageLines } from '../format.ts';

/** The table printed at the end of `harness run` and `harness verify`. */
export function renderTerminal(report: Report): string {
  // Plain style: the table lands in CI logs and files, where colour codes are noise.
  const table = new Table({
    head: ['dataset', 'check', 'status', 'summary', 'SLOs'],
    wordWrap: true,
    colWidths: [11, 14, 8, 56, 44],
    style: { head: [], border: [] },
  });
  for (const check of report.checks) {
    table.push([check.dataset, check.name, check.status === 'pass' ? 'pass' : 'FAIL', check.summary, check.slos.map(formatSlo).join('\n') || '-']);
  }
  const failing = report.checks.filter((c) => c.status === 'fail');
  const details = failing.flatMap((c) =>
    Object.entries(c.samples)
      .filter(([, items]) => items.length > 0)
      .map(([kind, items]) => `  ${c.dataset}/${c.name} ${kind}: ${items.slice(0, 5).join(', ')}${items.length > 5 ? ', ...' : ''}`),
  );
  const stages = stageLines(report);
  return [
    table.toString(),
    ...(stages.length > 0 ? ['stages:', ...stages.map((s) => `  ${s.line}: ${s.status === 'pass' ? 'pass' : 'FAIL'}`)] : []),
    ...(details.length > 0 ? ['samples:', ...details] : []),
    ...(report.comparison ? [renderComparisonTerminal(report.comparison).trimEnd()] : []),
    `verdict: ${report.verdict.toUpperCase()} (${report.checks.length - failing.length}/${report.checks.length} checks pass${report.comparison?.verdict === 'fail' ? ', regressed against the baseline' : ''}) — run ${report.runId}`,
    '',
  ].join('\n');
}
