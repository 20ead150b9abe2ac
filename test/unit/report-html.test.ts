import * as hdr from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { openerFor } from '../../cli/open.ts';
import { downsample, MAX_POINTS, seriesCharts, spectrumChart } from '../../reports/html/charts.ts';
import { htmlReport } from '../../reports/writers/html.ts';
import type { CheckResult } from '../../verifier/check.ts';
import { newHistogram } from '../../verifier/checks/latency.ts';
import type { Report, SeriesPoint } from '../../verifier/report.ts';

/**
 * The page's data, proven here without a browser: what it draws and says. That it draws in a real
 * browser, with no request, is test/e2e/report-html.test.ts.
 */
function check(overrides: Partial<CheckResult>): CheckResult {
  return { name: 'exactly-once', dataset: 'ecommerce', status: 'pass', summary: 'ok', figures: {}, slos: [], samples: {}, ...overrides };
}

const report = (overrides: Partial<Report>): Report => ({
  schemaVersion: 1,
  runId: 'r1',
  scenario: 'demo',
  generatedAt: '2026-01-01T00:00:00.000Z',
  sink: 'pglite:/tmp/x',
  verdict: 'pass',
  checks: [check({})],
  ...overrides,
});

/** The JSON the page's script draws from. */
function chartsOf(html: string): { id: string; series: unknown[]; data: (number | null)[][] }[] {
  const json = /<script type="application\/json" id="harness-charts">(.*?)<\/script>/s.exec(html)?.[1];
  if (json === undefined) throw new Error('no chart data in the page');
  return JSON.parse(json) as { id: string; series: unknown[]; data: (number | null)[][] }[];
}

function point(second: number, backlog: number, p99Ms: number | null): SeriesPoint {
  return {
    second,
    targetPerSec: 100,
    produced: 100,
    ingested: second % 2 === 0 ? 80 : 120,
    deadLettered: 0,
    backlog,
    behind: 0,
    behindMaxMs: null,
    p50Ms: 5,
    p99Ms,
    maxMs: p99Ms,
  };
}

describe('report.html', () => {
  it('never draws a report with zero checks as a pass, whatever its verdict field says', () => {
    const html = htmlReport.render(report({ checks: [], verdict: 'pass' }));
    expect(html).toContain('data-verdict="fail"');
    expect(html).not.toContain('data-verdict="pass"');
    expect(html).toContain('no checks ran');
  });

  it('lists failed checks first, and gives a sample naming a record the command that replays it', () => {
    const failed = check({ name: 'dlq-capture', status: 'fail', samples: { missed: ['#42 (csv_parse)', 'no index here'] } });
    const html = htmlReport.render(
      report({
        verdict: 'fail',
        checks: [check({}), failed],
        run: {
          scenario: 'demo',
          scenarioPath: 'scenarios/demo.yaml',
          seed: 7,
          baseTime: '2026-01-01T00:00:00.000Z',
          datasets: { ecommerce: 10 },
          transport: 'csv',
          sink: 's',
          status: 'finished',
          peakRssBytes: null,
          wallMs: 1000,
        },
      }),
    );
    expect(html.indexOf('data-check="ecommerce/dlq-capture"')).toBeLessThan(html.indexOf('data-check="ecommerce/exactly-once"'));
    expect(html).toContain('harness generate scenarios/demo.yaml --dataset ecommerce --base-time 2026-01-01T00:00:00.000Z --explain 42');
    expect(html.match(/--explain/g)).toHaveLength(1);
  });

  it('renders an older report with no run summary, series or histograms', () => {
    const html = htmlReport.render(report({}));
    expect(html).toContain('predates the run summary');
    expect(chartsOf(html)).toEqual([]);
  });

  it('asks for nothing over the network: no src, href, url() or import in the page', () => {
    const html = htmlReport.render(report({ series: { ecommerce: [point(0, 0, 10)] } }));
    expect(html).not.toMatch(/\s(src|href)=|url\(|@import/);
    expect(html).toContain("default-src 'none'");
  });

  it('downsamples an hour of seconds for display: rates by mean, peaks kept', () => {
    const points = Array.from({ length: 3600 }, (_, s) => point(s, s === 1801 ? 9999 : 10, s === 3001 ? 777 : 20));
    const [rates, backlog, latency] = seriesCharts('ecommerce', points, [
      { index: 0, label: 'stage 1', startS: 0, endS: 1800, targetPerSec: 100, achievedPerSec: 100, p99Ms: 20, backlogAtEnd: 0, slos: [], status: 'pass' },
      { index: 1, label: 'stage 2', startS: 1800, endS: 3600, targetPerSec: 100, achievedPerSec: 100, p99Ms: 20, backlogAtEnd: 0, slos: [], status: 'pass' },
    ]);
    for (const chart of [rates!, backlog!, latency!]) {
      expect(chart.data[0]!.length).toBeLessThanOrEqual(MAX_POINTS);
      expect(chart.marks).toEqual([{ at: 1800, label: 'stage 2' }]);
    }
    expect(new Set(rates!.data[3])).toEqual(new Set([100]));
    expect(Math.max(...(backlog!.data[1] as number[]))).toBe(9999);
    expect(Math.max(...(latency!.data[2] as number[]))).toBe(777);
    expect(downsample([1, 2, 3], [{ values: [1, null, 3], aggregate: 'mean' }], 2)).toEqual([
      [1, 3],
      [1, 3],
    ]);
  });

  it('draws the percentile spectrum from the encoded histograms, an empty one as no line', () => {
    const measured = newHistogram();
    for (let v = 1; v <= 100_000; v++) measured.recordValue(v);
    const empty = newHistogram();
    const chart = spectrumChart('ecommerce', { measured: hdr.encodeIntoCompressedBase64(measured), corrected: hdr.encodeIntoCompressedBase64(empty) });
    expect(chart?.series.map((s) => s.label)).toEqual(['measured']);
    const at = (x: number) => chart!.data[1]![chart!.data[0]!.findIndex((v) => Math.abs(v! - x) < 1e-9)];
    // Values 1..100,000 once each: percentile p is p * 1,000, within HdrHistogram's 3 digits.
    for (const [x, value] of [
      [1, 0],
      [10, 90_000],
      [100, 99_000],
      [1000, 99_900],
      [10_000, 99_990],
    ] as const) {
      expect(Math.abs(at(x)! - value), `at 1/(1-p) = ${x}`).toBeLessThanOrEqual(Math.max(1, value / 1000));
    }
    measured.destroy();
    empty.destroy();
  });
});

describe('--open', () => {
  it("uses the platform's opener, and none on a Linux without a display", () => {
    expect(openerFor('darwin', {}, '/r.html')).toEqual({ command: 'open', args: ['/r.html'] });
    expect(openerFor('win32', {}, 'C:\\r.html')?.args).toEqual(['/c', 'start', '""', 'C:\\r.html']);
    expect(openerFor('linux', { DISPLAY: ':0' }, '/r.html')).toEqual({ command: 'xdg-open', args: ['/r.html'] });
    expect(openerFor('linux', {}, '/r.html')).toBeNull();
  });
});
