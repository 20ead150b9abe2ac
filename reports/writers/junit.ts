import type { ReportWriter } from '../writer.ts';
import { missedSlos } from '../format.ts';

function xml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** One testcase per check and dataset, so CI systems show each verdict on its own. */
export const junitReport: ReportWriter = {
  file: 'junit.xml',
  render(report) {
    const failures = report.checks.filter((c) => c.status === 'fail').length;
    const cases = report.checks.map((c) => {
      const head = `    <testcase classname="harness.${xml(c.dataset)}" name="${xml(c.name)}">`;
      const body =
        c.status === 'fail'
          ? `\n      <failure message="${xml(missedSlos(c).join('; '))}">${xml(`${c.summary}\n${JSON.stringify(c.samples, null, 2)}`)}</failure>\n    `
          : `<system-out>${xml(c.summary)}</system-out>`;
      return `${head}${body}</testcase>`;
    });
    return [
      '<?xml version="1.0" encoding="UTF-8"?>',
      `<testsuites name="harness" tests="${report.checks.length}" failures="${failures}">`,
      `  <testsuite name="${xml(report.scenario)}" tests="${report.checks.length}" failures="${failures}" timestamp="${report.generatedAt}">`,
      ...cases,
      '  </testsuite>',
      '</testsuites>',
      '',
    ].join('\n');
  },
};
