import { describe, expect, it } from 'vitest';
import { judgeStep, scheduleBacklog, slope } from '../../runner/find-max/judge.ts';
import { defaultSearch, expectedWallMs, lastStep, nextStep, type ProbeHint, type SearchSettings, type StepResult } from '../../runner/find-max/search.ts';
import { findMaxAnswer } from '../../reports/writers/find-max.ts';
import type { FindMaxResult } from '../../verifier/find-max-report.ts';
import type { CheckResult } from '../../verifier/check.ts';
import type { Report, SeriesPoint } from '../../verifier/report.ts';

/** The shipped search: --from and --to at their defaults. */
const settings: SearchSettings = { fromPerSec: 1000, toPerSec: 1_000_000, ...defaultSearch, probe: null };

/** A pipeline whose capacity is `capacity` rec/s (latency breaks above `latencyAt` when given): the search's view of a step at `rate`. */
function pipeline(capacity: number, latencyAt = Infinity) {
  return (rate: number, confirming: boolean): StepResult => ({
    targetPerSec: rate,
    pass: rate <= capacity && rate < latencyAt,
    achievedPerSec: Math.min(rate, capacity),
    latencyBroke: rate >= latencyAt,
    confirming,
  });
}

function search(step: (rate: number, confirming: boolean) => StepResult, probe: ProbeHint | null = null, limit = 30) {
  const steps: StepResult[] = [];
  for (let i = 0; i < limit; i++) {
    const next = nextStep({ ...settings, probe }, steps);
    if (next.kind !== 'step') return { next, steps };
    steps.push(step(next.targetPerSec, next.confirming));
  }
  throw new Error('the search did not end');
}

describe('find-max search', () => {
  it.each([3_000, 7_777, 41_000, 64_000, 250_000])('finds a capacity of %i rec/s within 2.5%, never above it, and confirms it', (capacity) => {
    const { next, steps } = search(pipeline(capacity));
    expect(next.kind).toBe('done');
    if (next.kind !== 'done') return;
    expect(next.answerPerSec).toBeLessThanOrEqual(capacity);
    expect(next.answerPerSec).toBeGreaterThanOrEqual(capacity * 0.975);
    expect(next.confirmed).toBe(true);
    expect(steps.at(-1)).toMatchObject({ confirming: true, targetPerSec: next.answerPerSec, pass: true });
    // Doubling, then the failing step's achieved rate, then a little bisection: few steps.
    expect(steps.length).toBeLessThanOrEqual(Math.ceil(Math.log(capacity / 1000) / Math.log(2)) + 5);
  });

  it('creeps up from the best rate when an overloaded step ingested less than a rate that passed', () => {
    // Overloaded, the producer starves the pipeline: it ingests 80% of its capacity, below rates that pass.
    const starved = (rate: number, confirming: boolean): StepResult => ({
      ...pipeline(60_000)(rate, confirming),
      achievedPerSec: rate <= 60_000 ? rate : 48_000,
    });
    const { next } = search(starved);
    expect(next).toMatchObject({ kind: 'done', confirmed: true });
    expect(next.kind === 'done' && next.answerPerSec).toBeGreaterThanOrEqual(57_000);
    expect(next.kind === 'done' && next.answerPerSec).toBeLessThanOrEqual(60_000);
  });

  it('follows a capacity that dropped: the next guess is just under what the latest failing step managed', () => {
    // The machine slowed between two steps: 54k managed 49k, then 48k managed only 41.2k.
    const pass = (targetPerSec: number): StepResult => ({ targetPerSec, pass: true, achievedPerSec: targetPerSec, latencyBroke: false, confirming: false });
    const fail = (targetPerSec: number, achievedPerSec: number): StepResult => ({
      targetPerSec,
      pass: false,
      achievedPerSec,
      latencyBroke: false,
      confirming: false,
    });
    const steps = [pass(2000), pass(6000), pass(18_000), fail(54_000, 49_021)];
    expect(nextStep(settings, steps)).toEqual({ kind: 'step', targetPerSec: 48_000, confirming: false });
    // Halving from 18k toward 43.2k (1.05x what it managed) would take five steps to get there.
    expect(nextStep(settings, [...steps, fail(48_000, 41_171)])).toEqual({ kind: 'step', targetPerSec: 40_300, confirming: false });
  });

  it("stays under 0.95x a rate whose latency broke, as OMB's controller does", () => {
    const { next, steps } = search(pipeline(50_000, 20_000));
    expect(next).toMatchObject({ kind: 'done' });
    for (const s of steps.filter((x) => x.pass)) expect(s.targetPerSec).toBeLessThan(20_000);
    expect(next.kind === 'done' && next.answerPerSec).toBeGreaterThanOrEqual(0.95 * 0.95 * 20_000);
  });

  it('says none when even the first rate fails, and stops at --to', () => {
    expect(search(pipeline(500)).next).toEqual({ kind: 'none' });
    const capped = search(pipeline(1e9));
    expect(capped.next).toMatchObject({ kind: 'done', answerPerSec: 1_000_000, lowestFailingPerSec: null });
  });

  it.each([
    ['right', 1, 2, 4],
    ['low by a fifth', 0.8, 1.6, 8],
    // The worst case: up in small steps to the false ceiling, then doubling, then back.
    ['low by half, and it fell behind below the capacity (a pause)', 0.5, 0.75, 14],
    ['high by half', 1.5, 3, 5],
    ['ten times too high', 10, 20, 6],
  ])("starts from the probe's estimate when it is %s, and still finds the capacity within 2.5% and confirms it", (_, share, haltedShare, most) => {
    const capacity = 58_000;
    const { next, steps } = search(pipeline(capacity), { estimatePerSec: capacity * share, haltedAtPerSec: capacity * haltedShare });
    expect(steps[0]?.targetPerSec).toBe(Math.round((capacity * share) / 100) * 100);
    expect(next).toMatchObject({ kind: 'done', confirmed: true });
    expect(next.kind === 'done' && next.answerPerSec).toBeLessThanOrEqual(capacity);
    expect(next.kind === 'done' && next.answerPerSec).toBeGreaterThanOrEqual(capacity * 0.975);
    // A right estimate needs no ramp: a step on it, a step or two above it, and the confirmation.
    expect(steps.length).toBeLessThanOrEqual(most);
  });

  it('bisects toward the rate at which the probe fell behind once its estimate proved low, rather than doubling', () => {
    const steps = [34_400, 36_100].map((targetPerSec): StepResult => ({
      targetPerSec,
      pass: true,
      achievedPerSec: targetPerSec,
      latencyBroke: false,
      confirming: false,
    }));
    const probe = { estimatePerSec: 34_362, haltedAtPerSec: 52_107 };
    expect(nextStep({ ...settings, probe }, steps)).toEqual({ kind: 'step', targetPerSec: 44_100, confirming: false });
    // Without the probe, nothing is known above the best rate: doubling.
    expect(nextStep(settings, steps)).toEqual({ kind: 'step', targetPerSec: 72_200, confirming: false });
  });

  it("says none when the probe's estimate and everything under it down to --from fail", () => {
    const { next, steps } = search(pipeline(500), { estimatePerSec: 40_000, haltedAtPerSec: 80_000 });
    expect(next).toEqual({ kind: 'none' });
    expect(steps.at(-1)?.targetPerSec).toBe(1000);
    // Down by at least 10% a step, to just under what each failing step managed.
    expect(steps.map((s) => s.targetPerSec)).toEqual([40_000, 1000]);
  });

  it('confirms the best rate instead of narrowing further when only one more step fits in the budget', () => {
    const pass = (targetPerSec: number): StepResult => ({ targetPerSec, pass: true, achievedPerSec: targetPerSec, latencyBroke: false, confirming: false });
    const steps = [pass(40_000), { ...pass(60_000), pass: false, achievedPerSec: 50_000 }];
    expect(nextStep(settings, steps)).toEqual({ kind: 'step', targetPerSec: 49_000, confirming: false });
    expect(lastStep(settings, steps)).toEqual({ kind: 'step', targetPerSec: 40_000, confirming: true });
    expect(lastStep(settings, [...steps, { ...pass(40_000), confirming: true }])).toMatchObject({ kind: 'done', answerPerSec: 40_000, confirmed: true });
  });

  it('tries a doubtful failure once more before the answer rests on it, and a pass there overrules it', () => {
    // Seen on a loaded CI machine: a pipeline capped at 3,000 rec/s managed 2,114 in the first step.
    const step = (targetPerSec: number, pass: boolean, achievedPerSec = targetPerSec): StepResult => ({
      targetPerSec,
      pass,
      achievedPerSec,
      latencyBroke: false,
      confirming: false,
    });
    const probe = { estimatePerSec: 2695, haltedAtPerSec: 6334 };
    const steps = [step(2690, false, 2114), step(2070, true), step(2230, true), step(2460, true), step(2580, true), step(2640, true, 2663)];
    expect(nextStep({ ...settings, probe }, steps)).toEqual({ kind: 'step', targetPerSec: 2690, confirming: false });
    // Passed this time: the search goes on above it.
    const next = nextStep({ ...settings, probe }, [...steps, step(2690, true)]);
    expect(next.kind === 'step' && next.targetPerSec).toBeGreaterThan(2690);
    // Failed again: it stands, and the answer is confirmed under it.
    expect(nextStep({ ...settings, probe }, [...steps, step(2690, false, 2500)])).toEqual({ kind: 'step', targetPerSec: 2640, confirming: true });
    // A failure that managed as much as the passing steps is not doubted.
    expect(nextStep({ ...settings, probe }, [step(2690, false, 2600), ...steps.slice(1)])).toEqual({ kind: 'step', targetPerSec: 2640, confirming: true });
  });

  it('goes on below a confirmation that failed', () => {
    let flaky = true;
    const base = pipeline(10_000);
    const { next } = search((rate, confirming) => {
      if (confirming && flaky) {
        flaky = false;
        return { ...base(rate, confirming), pass: false, achievedPerSec: rate * 0.9 };
      }
      return base(rate, confirming);
    });
    expect(next.kind).toBe('done');
    expect(next.kind === 'done' && next.answerPerSec).toBeLessThan(10_000);
    expect(next.kind === 'done' && next.confirmed).toBe(true);
  });
});

function point(second: number, produced: number, ingested: number, backlog: number): SeriesPoint {
  return { second, targetPerSec: produced, produced, ingested, deadLettered: 0, backlog, behind: 0, behindMaxMs: null, p50Ms: 5, p99Ms: 10, maxMs: 12 };
}

function check(name: string, status: 'pass' | 'fail', slos: CheckResult['slos'] = [], figures: CheckResult['figures'] = {}): CheckResult {
  return { name, dataset: 'ecommerce', status, summary: `${name} ${status}`, figures, slos, samples: {} };
}

function report(series: SeriesPoint[], checks: CheckResult[]): Report {
  return { schemaVersion: 1, runId: 'r', scenario: 's', generatedAt: '', sink: 'x', verdict: 'pass', checks, series: { ecommerce: series } };
}

describe('find-max step judgement', () => {
  const passing = [check('exactly-once', 'pass'), check('dlq-capture', 'pass'), check('latency', 'pass', [], { corrected_p99_ms: 40 })];

  it('passes a step whose backlog stays flat against the schedule, and leaves the warm-up and the drain out', () => {
    // Deliveries come in chunks (1,400 then 600 a second), ingest keeps pace: flat against the schedule.
    const series = [
      point(0, 1000, 800, 200),
      ...[1, 2, 3, 4].map((s) => ({ ...point(s, s % 2 ? 1400 : 600, 1000, s % 2 ? 600 : 0), targetPerSec: 1000 })),
      { ...point(5, 0, 200, 0), targetPerSec: 0 },
    ];
    const judged = judgeStep(report(series, passing), 'ecommerce', 1000, 5, 1);
    expect(judged).toMatchObject({ pass: true, producedPerSec: 1000, achievedPerSec: 1000, p99Ms: 40, reasons: [] });
    expect(judged.backlogSlopePerSec).toBeCloseTo(0);
    expect(scheduleBacklog(series)).toEqual([200, 200, 200, 200, 200, 0]);
  });

  it('fails a step whose backlog grows by more than 1% of the rate a second', () => {
    const series = [...[0, 1, 2, 3, 4].map((s) => point(s, 1000, 970, 30 * (s + 1))), { ...point(5, 0, 150, 0), targetPerSec: 0 }];
    const judged = judgeStep(report(series, passing), 'ecommerce', 1000, 5, 1);
    expect(judged.pass).toBe(false);
    expect(judged.backlogSlopePerSec).toBeCloseTo(30);
    expect(judged.reasons).toEqual(['backlog grew 30 rec/s (±0)']);
  });

  it('scales the schedule by the share of records that have an outcome (duplicates have none)', () => {
    // 10% duplicates: 900 outcomes a second for 1,000 records, all landed: flat.
    const series = [0, 1, 2, 3].map((s) => point(s, 1000, 900, 0));
    expect(scheduleBacklog(series).map((b) => Math.round(b))).toEqual([0, 0, 0, 0]);
  });

  it('fails a step on a broken latency SLO or a wrong row, and flags a producer that fell behind', () => {
    // 3 s at 1000/s, 600 of its records sent late: more than the 5% the producer may lag.
    const series = [1, 2, 3].map((s) => ({ ...point(s, 1000, 1000, 10), behind: 200, behindMaxMs: 1800 + s }));
    const broken = [
      check('exactly-once', 'fail'),
      check('dlq-capture', 'pass'),
      check('latency', 'fail', [{ name: 'latency.p99', bound: 'max', limit: 100, actual: 250, met: false }]),
    ];
    const judged = judgeStep(report(series, broken), 'ecommerce', 1000, 4, 1);
    expect(judged).toMatchObject({ pass: false, latencyBroke: true, generatorBound: true });
    expect(judged.reasons).toEqual([
      'the harness fell behind its schedule: 600 records sent over 1 s late (up to 1803 ms)',
      'latency.p99 250 ms > 100',
      'exactly-once: exactly-once fail',
    ]);
    // A few late records are noise, not a producer that could not keep up.
    const fewLate = [1, 2, 3].map((s) => ({ ...point(s, 1000, 1000, 10), behind: 20, behindMaxMs: 1100 }));
    expect(judgeStep(report(fewLate, passing), 'ecommerce', 1000, 4, 1)).toMatchObject({ pass: true, generatorBound: false });
  });

  it('fails a step with no series or no exactly-once check: no evidence is no pass', () => {
    expect(judgeStep(report([], passing), 'ecommerce', 1000, 5, 1).pass).toBe(false);
    const series = [1, 2, 3].map((s) => point(s, 1000, 1000, 10));
    expect(judgeStep(report(series, [check('latency', 'pass')]), 'ecommerce', 1000, 4, 1).reasons).toEqual(['no exactly-once check: the rows were not proven']);
  });

  it('passes a ragged backlog whose growth is within its noise, and fails a ragged one that grows beyond it', () => {
    // A pipeline that lands two files every other second: flat on average, lumpy per second.
    const lumpy = (short: number) => {
      const seconds = [0, 1, 2, 3, 4, 5, 6, 7].map((s) => point(s, 100, s === 0 ? 0 : s % 2 ? 0 : 200 - 2 * short, 0));
      // The drain after the step lands the rest: every record has its outcome in the end.
      const rest = 800 - seconds.reduce((n, p) => n + p.ingested, 0);
      return [...seconds, { ...point(8, 0, rest, 0), targetPerSec: 0 }];
    };
    expect(judgeStep(report(lumpy(0), passing), 'ecommerce', 100, 8, 1).pass).toBe(true);
    const behind = judgeStep(report(lumpy(40), passing), 'ecommerce', 100, 8, 1);
    expect(behind.pass).toBe(false);
    expect(behind.reasons[0]).toMatch(/^backlog grew \d+ rec\/s \(±\d+\)$/);
  });

  it('fits the slope by least squares', () => {
    expect(
      slope([
        [0, 1],
        [1, 3],
        [2, 5],
      ]),
    ).toEqual({ slope: 2, standardError: 0 });
    expect(slope([[0, 5]])).toEqual({ slope: 0, standardError: 0 });
    // Ragged: the same trend with lumps around it has a standard error that covers them.
    const ragged = slope([
      [0, 0],
      [1, 100],
      [2, 0],
      [3, 100],
      [4, 0],
      [5, 100],
    ]);
    expect(ragged.slope).toBeCloseTo(8.57, 1);
    expect(ragged.standardError).toBeGreaterThan(10);
  });
});

describe('find-max budget', () => {
  it('expects the next step to take as long as the slowest step at, below or just above its rate, not an overloaded one far above it', () => {
    const steps = [
      { targetPerSec: 18_000, wallMs: 14_000 },
      { targetPerSec: 54_000, wallMs: 16_000 },
      { targetPerSec: 162_000, wallMs: 38_000 },
      { targetPerSec: 61_900, wallMs: 18_000 },
    ];
    // With a margin of 10%: the budget is a bound.
    expect(expectedWallMs(steps, 54_900)).toBeCloseTo(17_600);
    // 61,900 failed and drained its backlog: a step just under it may take as long.
    expect(expectedWallMs(steps, 56_900)).toBeCloseTo(19_800);
    expect(expectedWallMs(steps, 61_900)).toBeCloseTo(19_800);
    expect(expectedWallMs(steps, 200_000)).toBeCloseTo(41_800);
    // Nothing at or below it: the slowest of all.
    expect(expectedWallMs(steps, 1000)).toBeCloseTo(41_800);
  });
});

describe('find-max answer line', () => {
  const result = (over: Partial<FindMaxResult>): FindMaxResult => ({
    schemaVersion: 1,
    kind: 'find-max',
    scenario: 's',
    dataset: 'ecommerce',
    settings: { fromPerSec: 2000, toPerSec: 1_000_000, budgetMs: 180_000, stepMs: 10_000, warmupS: 2 },
    probe: null,
    steps: [],
    answerPerSec: null,
    confirmed: false,
    lowestFailingPerSec: null,
    ended: 'converged',
    producerLimited: false,
    elapsedMs: 1,
    dir: '/tmp',
    ...over,
  });

  it('says --from failed only when it did, and otherwise that the budget ended a search that started higher', () => {
    expect(findMaxAnswer(result({ ended: 'from failed', lowestFailingPerSec: 2000 }))).toBe('find-max: ecommerce could not sustain even --from 2,000 rec/s');
    expect(findMaxAnswer(result({ ended: 'budget', lowestFailingPerSec: 48_000 }))).toBe(
      'find-max: ecommerce: no rate found before the budget ran out: every step failed, the lowest at 48,000 rec/s (--from 2,000 rec/s was not reached; a longer --budget goes on down)',
    );
    expect(findMaxAnswer(result({ answerPerSec: 57_100, confirmed: true, lowestFailingPerSec: 58_500 }))).toBe(
      'find-max: ecommerce sustains 57,100 rec/s; 58,500 rec/s failed, so the capacity is within 2.5% above it',
    );
  });
});
