import * as hdr from 'hdr-histogram-js';
import { performance } from 'node:perf_hooks';
import { htmlReport } from '../reports/writers/html.ts';
import { jsonReport } from '../reports/writers/json.ts';
import { SAMPLE_LIMIT, type CheckResult } from '../verifier/check.ts';
import { newHistogram, percentiles } from '../verifier/checks/latency.ts';
import type { Report, SeriesPoint, StageSummary } from '../verifier/report.ts';
import { pair, printTable, type Pair } from './table.ts';

const RECORDS = 1_000_000;
const SECONDS = 3600;
const RENDER_BOUND_S = 1;
const SIZE_BOUND_MIB = 2;

/** A deterministic 0..1 stream, so every bench run renders the same report. */
function uniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * The report of a 1M-record run of an hour as verifyRun leaves it: a per-second series of 3,600
 * points over three stages, HdrHistograms holding a million latencies (log-normal, a slow tail),
 * and a full 20 samples for every kind of every check, half of them failing.
 */
export function syntheticReport(): Report {
  const random = uniform(17);
  const measured = newHistogram();
  const corrected = newHistogram();
  for (let i = 0; i < RECORDS; i++) {
    const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    const ms = Math.max(1, Math.round(Math.exp(5 + 0.8 * normal)));
    measured.recordValue(ms);
    corrected.recordValue(ms + Math.round(random() * 50));
  }
  const stageAt = (s: number) => (s < 600 ? 0 : s < 3000 ? 1 : 2);
  const series: SeriesPoint[] = Array.from({ length: SECONDS }, (_, second) => {
    const target = [100, 330, 200][stageAt(second)] as number;
    const ingested = Math.round(target * (0.9 + 0.2 * random()));
    return {
      second,
      targetPerSec: target,
      produced: target,
      ingested,
      deadLettered: Math.round(ingested * 0.02),
      backlog: Math.round(random() * 500),
      behind: 0,
      behindMaxMs: null,
      p50Ms: 150 + Math.round(random() * 20),
      p99Ms: 700 + Math.round(random() * 300),
      maxMs: 2000,
    };
  });
  const stages: StageSummary[] = [0, 600, 3000].map((startS, index) => ({
    index,
    label: `stage ${index + 1}`,
    startS,
    endS: [600, 3000, 3600][index] as number,
    targetPerSec: [100, 330, 200][index] as number,
    achievedPerSec: [100, 330, 200][index] as number,
    p99Ms: 950,
    backlogAtEnd: 0,
    slos: [],
    status: 'pass',
  }));
  const samples = (kinds: string[]) =>
    Object.fromEntries(
      kinds.map((kind) => [
        kind,
        Array.from({ length: SAMPLE_LIMIT }, (_, i) => `#${i * 48_611} (${kind}): a sample line of realistic length, key ecommerce:${i}`),
      ]),
    );
  const check = (name: string, kinds: string[], failed: boolean, figures: CheckResult['figures']): CheckResult => ({
    name,
    dataset: 'ecommerce',
    status: failed ? 'fail' : 'pass',
    summary: `${name}: a summary line as the checks write it`,
    figures,
    slos: [{ name: `${name}.bound`, limit: 0, actual: failed ? 3 : 0, bound: 'max', met: !failed }],
    samples: samples(kinds),
  });
  const reasons = Object.fromEntries(
    ['csv_parse', 'column_count', 'json_parse', 'missing_field', 'wrong_type', 'future_timestamp'].map((r, i) => [`reason.${r}`, 3000 + i * 517]),
  );
  const latency = check('latency', ['impossibleTimes'], false, { samples: RECORDS, ...percentiles(measured) });
  latency.histograms = { measured: hdr.encodeIntoCompressedBase64(measured), corrected: hdr.encodeIntoCompressedBase64(corrected) };
  measured.destroy();
  corrected.destroy();
  return {
    schemaVersion: 1,
    runId: '20260101T000000Z-bnch',
    scenario: 'bench',
    generatedAt: new Date(0).toISOString(),
    sink: 'pglite:/tmp/bench',
    verdict: 'fail',
    checks: [
      check('exactly-once', ['missing', 'duplicated', 'unexpected'], true, { expected: RECORDS, rows: RECORDS - 3 }),
      check('values', ['mismatches'], true, { rowsCompared: RECORDS }),
      check('dlq-capture', ['missed', 'wrongReason', 'duplicated', 'conflicting', 'rawMismatch', 'validDeadLettered', 'unmapped'], false, {
        expected: 20_000,
        captured: 20_000,
        missed: 0,
        wrongReason: 0,
        validDeadLettered: 0,
        ...reasons,
      }),
      check('freshness', ['foreignKeys', 'outsideWindow'], false, { rows: RECORDS }),
      latency,
      check('throughput', [], false, { ingestedPerSec: 278 }),
      check('series', [], false, { seconds: SECONDS }),
    ],
    series: { ecommerce: series },
    stages: { ecommerce: stages },
    run: {
      scenario: 'bench',
      scenarioPath: 'scenarios/bench.yaml',
      seed: 1,
      baseTime: new Date(0).toISOString(),
      datasets: { ecommerce: RECORDS },
      transport: 'csv files in /tmp/bench',
      sink: 'pglite:/tmp/bench',
      status: 'finished',
      peakRssBytes: 400 * 2 ** 20,
      wallMs: SECONDS * 1000,
    },
  };
}

/** The best of `rounds` renders: the first pays for reading uPlot and warming up. */
function timed(render: () => string, rounds = 5): { seconds: number; bytes: number } {
  let best = Infinity;
  let bytes = 0;
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    bytes = Buffer.byteLength(render());
    best = Math.min(best, performance.now() - started);
  }
  return { seconds: best / 1000, bytes };
}

/**
 * `npm run bench report-html`: report.html rendered for a 1M-record hour-long run's report, beside
 * the JSON writer on the same report. Bounds: under 1 s and under 2 MiB (the page downsamples its
 * series; report.json keeps every second).
 */
export function benchReportHtml(): Pair[] {
  const report = syntheticReport();
  const first = performance.now();
  htmlReport.render(report);
  const coldS = (performance.now() - first) / 1000;
  const html = timed(() => htmlReport.render(report));
  const json = timed(() => jsonReport.render(report));
  const mib = (bytes: number) => bytes / 2 ** 20;
  printTable(
    "report-html: a 1M-record, one-hour run's report",
    ['writer', 'render s (best of 5)', 'first render s', 'size MiB'],
    [
      ['report.html', html.seconds.toFixed(3), coldS.toFixed(3), mib(html.bytes).toFixed(2)],
      ['report.json (reference)', json.seconds.toFixed(3), '-', mib(json.bytes).toFixed(2)],
    ],
  );
  return [
    pair('report.html render, 1M-record run', [Math.max(coldS, html.seconds), 's'], [RENDER_BOUND_S, 's bound'], { at: 'most', bound: 1 }),
    pair('report.html size, 1M-record run', [mib(html.bytes), 'MiB'], [SIZE_BOUND_MIB, 'MiB bound'], { at: 'most', bound: 1 }),
  ];
}
