import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../core/exit-codes.ts';
import type { FindMaxResult } from '../../runner/find-max/find-max.ts';
import type { Report } from '../../verifier/report.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir, writeScenario } from '../helpers/scenario.ts';

/**
 * report.html in a real browser (Debian's chromium): it loads from disk with no console error and
 * no request, every chart draws its series, and what it says equals report.json. CI installs
 * chromium (.ci/run) and sets HARNESS_REQUIRE_SERVICES, so there a missing browser fails.
 */
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = resolve('test-artifacts');
const env = { PG_URL: '', DATABASE_URL: '' };

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  if (process.env.HARNESS_REQUIRE_SERVICES) throw new Error(`HARNESS_REQUIRE_SERVICES is set but there is no browser at ${CHROMIUM}: apt-get install chromium`);
  console.warn(`report.html browser tests skipped: no ${CHROMIUM} (apt-get install chromium to run them).`);
}

interface Drawn {
  id: string;
  series: number;
  painted: number;
}

interface Loaded {
  errors: string[];
  requests: string[];
  charts: Drawn[];
  text: (selector: string) => Promise<string>;
  visible: (selector: string) => Promise<boolean>;
}

describe.skipIf(!haveChromium)('report.html in chromium', () => {
  let browser: Browser;
  const pages: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox'] });
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  afterAll(async () => {
    for (const close of pages) await close();
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset if beforeAll failed to launch it
    await browser?.close();
  });

  /** Opens the page from disk, counting console errors and every request but the page itself; saves a screenshot beside it and in test-artifacts/. */
  async function load(htmlPath: string, name: string): Promise<Loaded> {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    pages.push(() => page.close());
    const url = pathToFileURL(htmlPath).href;
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('request', (request) => request.url() !== url && requests.push(request.url()));
    await page.route('**/*', (route) => (route.request().url() === url ? route.continue() : (requests.push(route.request().url()), route.abort())));
    await page.goto(url, { waitUntil: 'load' });
    const charts = await page.evaluate(() => {
      // The tests compile without the DOM library: the page's objects are typed by what is used of them.
      type Canvas2d = { canvas: { width: number; height: number }; getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } };
      const drawn = (globalThis as unknown as { harnessCharts: { id: string; plot: { series: unknown[]; ctx: Canvas2d } }[] }).harnessCharts;
      return drawn.map(({ id, plot }) => {
        const { width, height } = plot.ctx.canvas;
        const pixels = plot.ctx.getImageData(0, 0, width, height).data;
        let painted = 0;
        for (let i = 3; i < pixels.length; i += 4) if ((pixels[i] as number) > 0) painted++;
        // uPlot's first series is x.
        return { id, series: plot.series.length - 1, painted };
      });
    });
    const shot = join(htmlPath, '..', 'report.png');
    await page.screenshot({ path: shot });
    copyFileSync(shot, join(ARTIFACTS, `${name}.png`));
    if (name === 'passing' && process.env.HARNESS_DOCS_SCREENSHOT) copyFileSync(shot, resolve('docs/report.png'));
    return {
      errors,
      requests,
      charts,
      text: async (selector) => (await page.locator(selector).first().textContent()) ?? '',
      visible: (selector) => page.locator(selector).first().isVisible(),
    };
  }

  /** What report.json says every chart of the page must draw: per dataset with a series, rates (3), backlog (1), p50/p99 (2); the spectrum, measured and corrected when there was a rate. */
  function expectedCharts(report: Report): Record<string, number> {
    const expected: Record<string, number> = {};
    for (const dataset of Object.keys(report.series ?? {}))
      Object.assign(expected, { [`${dataset}-rates`]: 3, [`${dataset}-backlog`]: 1, [`${dataset}-latency`]: 2 });
    for (const c of report.checks.filter((c) => c.name === 'latency' && (c.figures.samples ?? 0) > 0))
      expected[`${c.dataset}-spectrum`] = c.figures.corrected_p99_ms === null ? 1 : 2;
    return expected;
  }

  function expectClean(loaded: Loaded): void {
    expect(loaded.errors).toEqual([]);
    expect(loaded.requests).toEqual([]);
    for (const chart of loaded.charts) expect(chart.painted, `chart ${chart.id} left blank`).toBeGreaterThan(1000);
  }

  const number = (text: string) => Number(text.replace(/,/g, ''));

  async function expectSameAsJson(loaded: Loaded, report: Report): Promise<void> {
    expect(Object.fromEntries(loaded.charts.map((c) => [c.id, c.series]))).toEqual(expectedCharts(report));
    expect(await loaded.text('[data-verdict]')).toBe(report.verdict.toUpperCase());
    for (const [check, figure] of [
      ['exactly-once', 'rows'],
      ['latency', 'p99_ms'],
      ['throughput', 'ingestedPerSec'],
    ]) {
      const json = report.checks.find((c) => c.dataset === 'ecommerce' && c.name === check)?.figures[figure as string];
      expect(number(await loaded.text(`[data-figure="ecommerce/${check}/${figure}"]`)), `${check} ${figure}`).toBe(json);
    }
  }

  function runDirOf(cwd: string): string {
    const root = join(cwd, '.harness/runs');
    return join(root, readdirSync(root)[0] as string);
  }

  it('a passing run (smoke.yaml): drawn, clean and equal to report.json; --open without a display prints the path', async () => {
    const cwd = tempDir();
    const run = await runCli(['run', resolve('scenarios/smoke.yaml'), '--open'], { cwd, env });
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    const dir = runDirOf(cwd);
    expect(run.stderr).toContain(`report: ${join(dir, 'report.html')} (no display to open a browser on; open it by hand)`);
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
    const loaded = await load(join(dir, 'report.html'), 'passing');
    expectClean(loaded);
    await expectSameAsJson(loaded, report);
    expect(existsSync(join(dir, 'report.png'))).toBe(true);
  });

  it('a run that loses rows: FAIL, with the failed check and its samples visible', async () => {
    const cwd = tempDir();
    const path = writeScenario(
      cwd,
      `name: lossy
seed: 5
transport: { type: csv, rotateRecords: 500 }
pipeline: { type: reference, batchSize: 250, pollInterval: 20ms, faults: { drop: 0.01 } }
datasets:
  ecommerce: { count: 3000, load: { executor: constant-arrival-rate, rate: 1000, duration: 3s }, faults: { malformed: 0.02 } }
`,
    );
    const run = await runCli(['run', path], { cwd, env });
    expect(run.code, run.stderr).toBe(ExitCode.sloMissed);
    const dir = runDirOf(cwd);
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
    const lost = report.checks.find((c) => c.name === 'exactly-once');
    expect(lost?.status).toBe('fail');
    const loaded = await load(join(dir, 'report.html'), 'failing');
    expectClean(loaded);
    await expectSameAsJson(loaded, report);
    expect(await loaded.visible('[data-samples="ecommerce/exactly-once"]')).toBe(true);
    expect(await loaded.text('[data-samples="ecommerce/exactly-once"]')).toContain(lost?.samples.missing?.[0]);
  });

  it('a find-max search: the answer, every step, and each step drawn', async () => {
    const cwd = tempDir();
    const path = writeScenario(
      cwd,
      `name: capped
seed: 3
transport: { type: csv, rotateRecords: 2000, rotateInterval: 200ms }
pipeline: { type: reference, batchSize: 250, pollInterval: 20ms, faults: { maxRowsPerSec: 2000 } }
datasets:
  ecommerce: { count: 1 }
`,
    );
    const run = await runCli(['find-max', path, '--from', '1500', '--step', '3s', '--budget', '40s'], { cwd, env });
    expect([ExitCode.ok, ExitCode.sloMissed], run.stderr).toContain(run.code);
    const root = join(cwd, '.harness/find-max');
    const dir = join(root, readdirSync(root)[0] as string);
    const result = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as FindMaxResult;
    const loaded = await load(join(dir, 'report.html'), 'find-max');
    expectClean(loaded);
    expect(loaded.charts.map((c) => [c.id, c.series])).toEqual(result.steps.map((_, i) => [`step-${i + 1}`, 3]));
    expect(await loaded.text('[data-verdict]')).toBe(result.answerPerSec === null ? 'NONE' : 'FOUND');
    expect(number((await loaded.text('[data-step="1"] td')).replace(/ \(confirm\)$/, ''))).toBe(Math.round(result.steps[0]!.targetPerSec));
  });
});
