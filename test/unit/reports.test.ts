import { spawnSync } from 'node:child_process';
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

  it('JUnit holds no character XML forbids, even when a defect sample carries control bytes and broken UTF-16', () => {
    // What the generator's malformed records hold: a NUL, ESC, a form feed, a lone surrogate of each kind.
    const hostile = 'raw \u0000\u001b[31m\u000c \ud800 x \udfff end';
    const failing = { ...report.checks[0]!, summary: `row ${hostile}`, samples: { missing: [hostile] } };
    const rendered = reportWriters.junit.render({ ...report, checks: [failing, ...report.checks.slice(1)] });
    // eslint-disable-next-line no-control-regex -- the characters XML 1.0 forbids, which the file must not hold
    expect(rendered).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/);
    expect(rendered).not.toMatch(/[\uD800-\uDFFF]/);
    // Still readable: the control characters are shown, not dropped.
    expect(rendered).toContain('row raw \\u0000\\u001B[31m\\u000C \\uD800 x \\uDFFF end');
    // A strict XML parser (expat, as CI report parsers use) reads it, where the unescaped text fails.
    const parse = (xml: string) =>
      spawnSync('python3', ['-c', 'import sys, xml.dom.minidom; xml.dom.minidom.parseString(sys.stdin.buffer.read())'], { input: xml });
    if (parse('<a/>').error) {
      console.warn('python3 not found: the JUnit file was not put through a strict XML parser');
      return;
    }
    expect(parse(rendered).status, parse(rendered).stderr.toString()).toBe(0);
    // eslint-disable-next-line no-control-regex -- keeps only the control characters, unescaped
    expect(parse(`<a>${hostile.replace(/[^\u0000-\u001f]/g, '')}</a>`).status).not.toBe(0);
  });

  it('Markdown fits a CI summary: verdict, table, samples of what failed', () => {
    const md = reportWriters.markdown.render(report);
    expect(md).toContain('## harness: demo — FAIL');
    expect(md).toContain('| ecommerce | exactly-once | **FAIL** |');
    expect(md).toContain('- missing: `k<1>`, `k2`');
  });

  describe('with a series and stages', () => {
    const stage = { startS: 0, endS: 4, targetPerSec: 1750, achievedPerSec: 1702, backlogAtEnd: 0, slos: [] };
    const staged: Report = {
      ...report,
      series: {
        ecommerce: [
          {
            second: 0,
            targetPerSec: 500,
            produced: 480,
            ingested: 470,
            deadLettered: 3,
            backlog: 7,
            behind: 0,
            behindMaxMs: null,
            p50Ms: 40,
            p99Ms: 90,
            maxMs: 95,
          },
        ],
      },
      stages: {
        ecommerce: [
          { ...stage, index: 0, label: 'stage 1 (ramp 500/s -> 3000/s)', p99Ms: 4312, status: 'pass' },
          { ...stage, index: 1, label: 'stage 2 (steady 3000/s)', p99Ms: null, backlogAtEnd: 12000, status: 'fail' },
        ],
      },
    };

    it('JSON carries them whole, and an old report without them still renders', () => {
      expect(JSON.parse(reportWriters.json.render(staged))).toMatchObject({ series: staged.series, stages: staged.stages });
      expect(reportWriters.markdown.render(report)).not.toContain('Stages');
      expect(renderTerminal(report)).not.toContain('stages:');
    });

    it('Markdown and the terminal show one line per stage', () => {
      expect(reportWriters.markdown.render(staged)).toContain(
        '### Stages\n\n- ecommerce stage 1 (ramp 500/s -> 3000/s): target 1,750/s, achieved 1,702/s, p99 4,312 ms, backlog at end 0: pass\n' +
          '- ecommerce stage 2 (steady 3000/s): target 1,750/s, achieved 1,702/s, p99 -, backlog at end 12,000: **FAIL**\n',
      );
      expect(renderTerminal(staged)).toContain(
        'stages:\n  ecommerce stage 1 (ramp 500/s -> 3000/s): target 1,750/s, achieved 1,702/s, p99 4,312 ms, backlog at end 0: pass\n  ecommerce stage 2',
      );
    });
  });

  it('the terminal table ends with the verdict and shows samples of failures', () => {
    const text = renderTerminal(report);
    expect(text).toContain('ecommerce/exactly-once missing: k<1>, k2');
    expect(text.trimEnd().split('\n').at(-1)).toBe('verdict: FAIL (1/2 checks pass) — run r1');
  });
});
