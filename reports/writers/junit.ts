import type { ReportWriter } from '../writer.ts';
import type { Comparison } from '../../verifier/report.ts';
import { comparisonVerdict, regressionLines } from '../compare/render.ts';
import { missedSlos } from '../format.ts';

/**
 * Characters XML 1.0 cannot hold at all, not even as references: C0 controls but tab, newline and
 * carriage return, lone surrogates, U+FFFE and U+FFFF. The generator puts such bytes in malformed
 * records, so defect samples carry them; one of them makes a CI system's JUnit parser reject the file.
 */
// eslint-disable-next-line no-control-regex -- these are the characters it finds
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Escaped for an attribute or text node; characters XML cannot hold are shown as `\u0001`, so a sample stays readable. */
function xml(text: string): string {
  return text.replace(NOT_XML, (c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`).replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A regression against --baseline fails a testcase of its own, so CI shows it beside the checks. */
function comparisonCase(comparison: Comparison): string {
  const head = '    <testcase classname="harness.comparison" name="baseline">';
  const verdict = xml(comparisonVerdict(comparison));
  const body =
    comparison.verdict === 'fail'
      ? `\n      <failure message="${xml(regressionLines(comparison).join('; '))}">${verdict}</failure>\n    `
      : `<system-out>${verdict}</system-out>`;
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
