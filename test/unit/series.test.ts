import { describe, expect, it } from 'vitest';
import { HarnessError } from '../../core/errors.ts';
import { countProduced, type DatasetManifest } from '../../runs/manifest.ts';
import { parseScenario } from '../../scenarios/load.ts';
import type { CheckResult } from '../../verifier/check.ts';
import type { Report } from '../../verifier/report.ts';
import type { SinkRow } from '../../connectors/readers.ts';
import { verifyRun } from '../../verifier/verify.ts';
import { memoryReader, RUN_START, syntheticSink, VERIFY_AT, type SyntheticSink } from '../helpers/synthetic-sink.ts';

/**
 * The series check on synthetic evidence with known timing: 1000 records/s over two steady stages
 * of 2 s (record i due at i ms). Every outcome lands 200 ms after its record was due, except those
 * due in second 2, which stall until 3.5 s; a few are sent 1.5 s late.
 */
const faults = { duplicate: 0.03, malformed: 0.05, future: 0.02, late: 0.03 };
const load = {
  executor: 'ramping-arrival-rate',
  startRate: 1000,
  timeUnit: '1s',
  stages: [
    { target: 1000, duration: '2s' },
    { target: 1000, duration: '2s' },
  ],
};
const STALL = { fromMs: 2000, toMs: 3000, untilMs: 3500 };
const SENT_LATE = new Set([100, 101, 2500]);

function landsAt(index: number): number {
  return index >= STALL.fromMs && index < STALL.toMs ? STALL.untilMs : index + 200;
}

function timedSink(slos: Record<string, unknown> = {}): SyntheticSink {
  const sink = syntheticSink({ datasets: { ecommerce: { load, faults } }, slos });
  const generation = sink.manifest.datasets.ecommerce!;
  generation.producedPerSecond = [1000, 1000, 1000, 1000];
  const { oracle } = sink;
  const landing = [...Array(oracle.count).keys()].filter((i) => oracle.outcome(i).type === 'land');
  const lettered = [...Array(oracle.count).keys()].filter((i) => oracle.outcome(i).type === 'dlq');
  sink.rows.ecommerce = sink.rows.ecommerce.map((row, n): SinkRow => {
    const index = landing[n] as number;
    return { ...row, producedAtMs: RUN_START + index + (SENT_LATE.has(index) ? 1500 : 0), ingestedAtMs: RUN_START + landsAt(index) };
  });
  sink.letters.ecommerce = sink.letters.ecommerce.map((letter, n) => ({ ...letter, ingestedAtMs: RUN_START + landsAt(lettered[n] as number) }));
  return sink;
}

async function seriesOf(sink: SyntheticSink): Promise<{ report: Report; check: CheckResult }> {
  const report = await verifyRun(sink.manifest, memoryReader(sink), { nowMs: VERIFY_AT });
  const check = report.checks.find((c) => c.name === 'series');
  if (!check) throw new Error('no series check in the report');
  return { report, check };
}

describe('the series check', () => {
  it('counts each second exactly: target, produced, ingested, dead letters, backlog, behind', async () => {
    const sink = timedSink();
    const { report, check } = await seriesOf(sink);
    expect(check.status).toBe('pass');
    const { oracle } = sink;
    const outcome = (i: number) => oracle.outcome(i).type;
    const indices = [...Array(oracle.count).keys()];
    const seconds = [0, 1, 2, 3, 4];
    const landedIn = (type: string, s: number) => indices.filter((i) => outcome(i) === type && Math.floor(landsAt(i) / 1000) === s).length;
    const outcomesBelow = (n: number) => indices.filter((i) => i < n && ['land', 'dlq'].includes(outcome(i))).length;
    const landedBy = (s: number) => indices.filter((i) => ['land', 'dlq'].includes(outcome(i)) && landsAt(i) < (s + 1) * 1000).length;
    const series = report.series?.ecommerce ?? [];
    expect(series.map((p) => p.second)).toEqual(seconds);
    expect(series.map((p) => p.targetPerSec)).toEqual([1000, 1000, 1000, 1000, 0]);
    expect(series.map((p) => p.produced)).toEqual([1000, 1000, 1000, 1000, 0]);
    expect(series.map((p) => p.ingested)).toEqual(seconds.map((s) => landedIn('land', s)));
    expect(series.map((p) => p.deadLettered)).toEqual(seconds.map((s) => landedIn('dlq', s)));
    expect(series.map((p) => p.backlog)).toEqual(seconds.map((s) => outcomesBelow(Math.min(4000, (s + 1) * 1000)) - landedBy(s)));
    // None of second 2's own records lands in it (they wait for 3.5 s): only stage 1's tail does.
    expect(series[2]?.ingested).toBe(indices.filter((i) => outcome(i) === 'land' && i >= 1800 && i < 2000).length);
    expect(series[2]?.backlog).toBeGreaterThan(series[1]?.backlog as number);
    expect(series[4]?.backlog).toBe(0);
    // Sent late: 100 and 101 (if they land) in second 1, 2500 in second 4.
    const lateLanding = (ids: number[]) => ids.filter((i) => outcome(i) === 'land').length;
    expect(series.map((p) => p.behind)).toEqual([0, lateLanding([100, 101]), 0, 0, lateLanding([2500])]);
    expect(series[1]?.behindMaxMs).toBe(lateLanding([100, 101]) > 0 ? 1500 : null);
    // Corrected latency per second: 200 ms but for the stalled records, up to 1.5 s, in second 3.
    expect(series[0]).toMatchObject({ p50Ms: 200, p99Ms: 200, maxMs: 200 });
    expect(series[3]?.maxMs).toBe(1500);
    expect(series[3]?.p99Ms).toBeGreaterThan(1400);
    // Moved into the report, not left in the check.
    expect(check.series).toBeUndefined();
    expect(report.stages?.ecommerce?.map((s) => [s.label, s.startS, s.endS, s.targetPerSec, s.status])).toEqual([
      ['stage 1 (steady 1000/s)', 0, 2, 1000, 'pass'],
      ['stage 2 (steady 1000/s)', 2, 4, 1000, 'pass'],
    ]);
    const [first, second] = report.stages?.ecommerce ?? [];
    // Stage 1's rows land from 0.2 s to 2.2 s: those up to 2 s count for it.
    expect(first).toMatchObject({ achievedPerSec: Math.round(indices.filter((i) => outcome(i) === 'land' && landsAt(i) < 2000).length / 2), p99Ms: 200 });
    expect(first?.backlogAtEnd).toBe(series[1]?.backlog);
    expect(second?.p99Ms).toBeGreaterThan(1400);
    expect(second?.backlogAtEnd).toBe(series[3]?.backlog);
  });

  it("counts a record behind only when its chunk went over a second after the chunk's last record was due", async () => {
    // Files of a second of records (chunks of 1000, record i due at i ms): each goes when its last
    // record is due, so its first waits a second by design. Sent 300 ms after that: not behind; the
    // chunk of second 2 goes 1.5 s after it: behind, by those 1.5 s.
    const sink = timedSink();
    const { oracle } = sink;
    const landing = [...Array(oracle.count).keys()].filter((i) => oracle.outcome(i).type === 'land');
    const chunkDue = (i: number) => Math.floor(i / 1000) * 1000 + 999;
    sink.rows.ecommerce = sink.rows.ecommerce.map((row, n): SinkRow => {
      const index = landing[n] as number;
      return { ...row, producedAtMs: RUN_START + chunkDue(index) + (index >= 2000 && index < 3000 ? 1500 : 300) };
    });
    const plan = { count: oracle.count, size: 1000 };
    const report = await verifyRun(sink.manifest, memoryReader(sink), { nowMs: VERIFY_AT, chunkPlan: () => plan });
    const series = report.series?.ecommerce ?? [];
    const inSecond2 = landing.filter((i) => i >= 2000 && i < 3000);
    expect(series.map((p) => p.behind)).toEqual([0, 0, 0, 0, inSecond2.length]);
    expect(series[4]?.behindMaxMs).toBe(1500);
    // Measured from each record's own due time, as without the plan, the first records of the chunks
    // sent in seconds 1 and 2 (on time) would count too.
    const own = (await verifyRun(sink.manifest, memoryReader(sink), { nowMs: VERIFY_AT })).series?.ecommerce ?? [];
    expect([own[1]?.behind, own[2]?.behind].every((n) => (n as number) > 0)).toBe(true);
  });

  it('judges each stage on its own SLOs and names the stage that broke one', async () => {
    const sink = timedSink({
      stages: [
        { stage: 1, latency: { p99: '1s' }, minAchievedRatio: 0.85 },
        { dataset: 'ecommerce', stage: 2, latency: { p99: '1s', p50: '2s' } },
      ],
    });
    const { oracle } = sink;
    const { report, check } = await seriesOf(sink);
    expect(check.status).toBe('fail');
    expect(report.verdict).toBe('fail');
    const [first, second] = report.stages?.ecommerce ?? [];
    const hasOutcome = (i: number) => ['land', 'dlq'].includes(oracle.outcome(i).type);
    const due = [...Array(2000).keys()].filter(hasOutcome).length;
    const seenInStage = [...Array(1800).keys()].filter(hasOutcome).length;
    expect(first?.slos).toEqual([
      { name: 'stage1.latency.p99', bound: 'max', limit: 1000, actual: 200, met: true },
      { name: 'stage1.achievedRatio', bound: 'min', limit: 0.85, actual: Math.round((seenInStage / due) * 1000) / 1000, met: true },
    ]);
    expect(first?.status).toBe('pass');
    expect(second?.status).toBe('fail');
    expect(second?.slos.map((s) => [s.name, s.met])).toEqual([
      ['stage2.latency.p50', true],
      ['stage2.latency.p99', false],
    ]);
    expect(check.summary).toMatch(/^stage 2 \(steady 1000\/s\) of ecommerce: p99 1,4\d\d ms > 1,000$/);
  });

  it('fails a stage whose rate fell short of its target', async () => {
    // Stage 1 ends with 200 ms of its records still on their way (0.9 of them landed in it); stage 2 catches up.
    const { report, check } = await seriesOf(
      timedSink({
        stages: [
          { stage: 1, minAchievedRatio: 0.95 },
          { stage: 2, minAchievedRatio: 0.95 },
        ],
      }),
    );
    expect(report.stages?.ecommerce?.map((s) => s.slos[0]?.met)).toEqual([false, true]);
    expect(check.summary).toMatch(/^stage 1 \(steady 1000\/s\) of ecommerce: achieved\/target 0\.9\d* < 0\.95$/);
  });

  it('fails closed when no row landed, and passes a run without stage SLOs on its evidence', async () => {
    const empty = timedSink();
    empty.rows.ecommerce = [];
    // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- vitest types its asymmetric matchers (expect.any...) as any
    expect((await seriesOf(empty)).check).toMatchObject({ status: 'fail', summary: expect.stringContaining('no rows landed') });
    const unpaced = syntheticSink({ datasets: { ecommerce: { count: 500, faults } } });
    const { report, check } = await seriesOf(unpaced);
    expect(check.status).toBe('pass');
    // Unpaced: no target, the one open-ended stage, and (no per-second production kept) all produced when generation finished.
    expect(report.series?.ecommerce?.every((p) => p.targetPerSec === 0)).toBe(true);
    expect(report.series?.ecommerce?.[10]?.produced).toBe(500);
    expect(report.stages?.ecommerce).toMatchObject([{ label: 'stage 1 (steady 0/s)', startS: 0, targetPerSec: 0 }]);
  });
});

describe('stage SLOs in a scenario', () => {
  const scenario = (slos: string) =>
    `name: t\ndatasets:\n  ecommerce:\n    load: { executor: constant-arrival-rate, rate: 10, timeUnit: 1s, duration: 2s }\n  lol:\n    count: 5\nslos:\n  stages:\n${slos}`;
  const problems = (text: string) => {
    try {
      parseScenario(text, 'x.yaml');
    } catch (error) {
      expect(error).toBeInstanceOf(HarnessError);
      return (error as HarnessError).message;
    }
    throw new Error('expected the scenario to be rejected');
  };

  it('take a stage, its dataset, latency bounds and a ratio', () => {
    const parsed = parseScenario(scenario('    - { dataset: ecommerce, stage: 1, latency: { p99: 2s }, minAchievedRatio: 0.95 }\n'), 'x.yaml');
    expect(parsed.slos.stages).toEqual([{ dataset: 'ecommerce', stage: 1, latency: { p99: 2000 }, minAchievedRatio: 0.95 }]);
  });

  it('refuse a stage no dataset has, an unknown dataset or key, and an entry with no bound, at file:line:col', () => {
    expect(problems(scenario('    - { dataset: ecommerce, stage: 2, latency: { p99: 2s } }\n'))).toContain(
      "x.yaml:9:36 /slos/stages/0/stage: ecommerce's load has 1 stage(s); there is no stage 2",
    );
    expect(problems(scenario('    - { stage: 3, latency: { p99: 2s } }\n'))).toContain('/slos/stages/0/stage: no dataset has a stage 3');
    expect(problems(scenario('    - { dataset: shop, stage: 1, latency: { p99: 2s } }\n'))).toContain('/slos/stages/0/dataset');
    expect(problems(scenario('    - { stage: 1, latency: { p999: 2s } }\n'))).toContain('/slos/stages/0/latency/p999: unknown key');
    expect(problems(scenario('    - { stage: 1 }\n'))).toContain('/slos/stages/0: sets no bound');
  });
});

describe('per-second production in the manifest', () => {
  it('counts deliveries by whole seconds since time zero, zeros where none came, and goes on from there on resume', () => {
    const dataset: DatasetManifest = { count: 100, records: 0, complete: false, rate: 10, startedAtMs: 50_000, finishedAtMs: 50_000, files: [] };
    countProduced(dataset, 5, 50_100);
    countProduced(dataset, 7, 50_999);
    countProduced(dataset, 3, 52_000);
    expect(dataset.producedPerSecond).toEqual([12, 0, 3]);
    // `harness resume` keeps startedAtMs and the array: a later delivery lands in its own second, the gap as zeros.
    const resumed = JSON.parse(JSON.stringify(dataset)) as DatasetManifest;
    countProduced(resumed, 4, 55_500);
    expect(resumed.producedPerSecond).toEqual([12, 0, 3, 0, 0, 4]);
  });
});
