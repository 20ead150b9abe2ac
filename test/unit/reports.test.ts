import { describe, expect, it } from 'vitest';
import { renderTerminal, reportWriters } from '../../reports/index.ts';
import type { Report } from '../../verifier/report.ts';

const report: Report = {
  schemaVersion: 1,
  runId: 'r1',
  scenario: 'demo',
  generatedAt: '2026-01-01T00:00:00.000Z',
  sink: 'pglite:/tmp/x',
  verdict: 'fail',
  checks: [
    {
      name: 'exactly-once',
      dataset: 'ecommerce',
      status: 'fail',
      summary: '98 rows for 100 expected keys: 2 missing',
      figures: { missing: 2 },
      slos: [{ name: 'maxMissing', bound: 'max', limit: 0, actual: 2, met: false }],
      samples: { missing: ['k<1>', 'k2'] },
    },
    { name: 'latency', dataset: 'lol', status: 'pass', summary: 'p99 5 ms', figures: { p99_ms: 5 }, slos: [], samples: {} },
  ],
};

describe('report writers', () => {
  it('JSON carries the versioned schema the CLI promises', () => {
    const parsed = JSON.parse(reportWriters.json.render(report)) as Report;
    expect(parsed).toMatchObject({ schemaVersion: 1, verdict: 'fail' });
    expect(parsed.checks[0]).toMatchObject({ name: 'exactly-once', dataset: 'ecommerce', status: 'fail', figures: { missing: 2 } });
  });

  it('JUnit has one testcase per check and a failure with the missed SLO, escaped', () => {
    const xml = reportWriters.junit.render(report);
    expect(xml).toContain('tests="2" failures="1"');
    expect(xml.match(/<testcase /g)).toHaveLength(2);
    expect(xml).toContain('<failure message="maxMissing 2 &#60;= 0 MISSED">');
    expect(xml).toContain('k&#60;1&#62;');
  });

  it('Markdown fits a CI summary: verdict, table, samples of what failed', () => {
    const md = reportWriters.markdown.render(report);
    expect(md).toContain('## harness: demo — FAIL');
    expect(md).toContain('| ecommerce | exactly-once | **FAIL** |');
    expect(md).toContain('- missing: `k<1>`, `k2`');
  });

  it('the terminal table ends with the verdict and shows samples of failures', () => {
    const text = renderTerminal(report);
    expect(text).toContain('ecommerce/exactly-once missing: k<1>, k2');
    expect(text.trimEnd().split('\n').at(-1)).toBe('verdict: FAIL (1/2 checks pass) — run r1');
  });
});
