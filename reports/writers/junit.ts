import type { ReportWriter } from '../writer.ts';
import type { Comparison } from '../../verifier/report.ts';
import { comparisonVerdict, regressionLines } from '../compare/render.ts';
import { missedSlos } from '../format.ts';

function xml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A regression against --baseline fails a testcase of its own, so CI shows it beside the checks. */
function comparisonCase(comparison: Comparison): string {
  const head = '    <testcase classname="harness.comparison" name="baseline">';
  const verdict = xml(comparisonVerdict(comparison));
  const body =
    comparison.verdict === 'fail' ? `\n      <failure message="${xml(regressionLines(comparison).join('; '))}">${verdict}</failure>\n    ` : `<system-out>${verdict}</system-out>`;
  return `${head}${body}</testcase>`;
}

/** One testcase per check and dataset, so CI systems show each verdict on its own. */
export const junitReport: ReportWriter = {
  file: 'junit.xml',
  render(report) {
    const failures = report.checks.filter((c) => c.status === 'fail').length + (report.comparison?.verdict === 'fail' ? 1 : 0);
    const cases = report.checks.map((c) => {
      const head = `    <testcase classname="harness.${xml(c.dataset)}" name="${xml(c.name)}">`;
      const body =
        c.status === 'fail'
          ? `\n      <failure message="${xml(missedSlos(c).join('; '))}">${xml(`${c.summary}\n${JSON.stringify(c.samples, null, 2)}`)}</failure>\n    `
          : `<system-out>${xml(c.summary)}</system-out>`;
      return `${head}${body}</testcase>`;
    });
    if (report.comparison) cases.push(comparisonCase(report.comparison));
    return [
      '<?xml version="1.0" encoding="UTF-8"?>',
      `<testsuites name="harness" tests="${cases.length}" failures="${failures}">`,
      `  <testsuite name="${xml(report.scenario)}" tests="${cases.length}" failures="${failures}" timestamp="${report.generatedAt}">`,
      ...cases,
      '  </testsuite>',
      '</testsuites>',
      '',
    ].join('\n');
  },
};
