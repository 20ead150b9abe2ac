import type { ReportWriter } from '../writer.ts';
import { renderComparisonMarkdown } from '../compare/render.ts';
import { formatSlo, stageLines } from '../format.ts';

/** Fits a CI job summary ($GITHUB_STEP_SUMMARY). */
export const markdownReport: ReportWriter = {
  file: 'report.md',
  render(report) {
    const lines = [
      `## harness: ${report.scenario} — ${report.verdict === 'pass' ? 'PASS' : 'FAIL'}`,
      '',
      `Run \`${report.runId}\`, sink ${report.sink}, verified ${report.generatedAt}.`,
      '',
      '| dataset | check | status | summary | SLOs |',
      '| --- | --- | --- | --- | --- |',
      ...report.checks.map(
        (c) => `| ${c.dataset} | ${c.name} | ${c.status === 'pass' ? 'pass' : '**FAIL**'} | ${c.summary} | ${c.slos.map(formatSlo).join('<br>') || '-'} |`,
      ),
    ];
    const stages = stageLines(report);
    if (stages.length > 0) lines.push('', '### Stages', '', ...stages.map((s) => `- ${s.line}: ${s.status === 'pass' ? 'pass' : '**FAIL**'}`));
    if (report.comparison) lines.push('', renderComparisonMarkdown(report.comparison).trimEnd());
    const failing = report.checks.filter((c) => c.status === 'fail');
    for (const check of failing) {
      lines.push('', `### ${check.dataset} / ${check.name}`);
      for (const [kind, items] of Object.entries(check.samples)) {
        if (items.length > 0) lines.push(`- ${kind}: ${items.map((i) => `\`${i}\``).join(', ')}`);
      }
    }
    return `${lines.join('\n')}\n`;
  },
};
