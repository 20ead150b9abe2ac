import { describe, expect, it } from 'vitest';
import { chunkCount, chunkRange, scheduledPlan } from '../../connectors/transports/chunks.ts';
import { loadProfileSpec, profileCount, profileSchedule, scheduleFor, type LoadProfileSpec } from '../../generators/load/index.ts';
import { parseDuration } from '../../core/duration.ts';

const profile = (input: unknown): LoadProfileSpec => loadProfileSpec.parse(input);

const ramp = profile({
  executor: 'ramping-arrival-rate',
  startRate: 200,
  timeUnit: '1s',
  stages: [
    { target: 2000, duration: '10s' }, // ramp up
    { target: 2000, duration: '5s' }, // hold
    { target: 6000, duration: '1s' }, // spike
    { target: 0, duration: '4s' }, // ramp down to nothing
    { target: 0, duration: '3s' }, // pause
    { target: 500, duration: '2s' }, // back
  ],
});
const constant = profile({ executor: 'constant-arrival-rate', rate: 300, timeUnit: '100ms', duration: '7s', startTime: '2s' });

/** The area under a profile's rate over [a, b) ms, by the midpoint rule on 1 ms steps (independent of the schedule's algebra). */
function integral(rateAt: (ms: number) => number, a: number, b: number): number {
  let sum = 0;
  for (let t = a; t < b; t++) sum += rateAt(t + 0.5) / 1000;
  return sum;
}

describe.each([
  ['ramping-arrival-rate', ramp, 200 * 0 + (200 + 2000) * 5 + 2000 * 5 + 4000 + 6000 * 2 + 500],
  ['constant-arrival-rate', constant, 3000 * 7],
] as const)('%s schedule', (_, spec, area) => {
  const schedule = profileSchedule(spec);
  const count = profileCount(spec);

  it('has exactly the count its rate integrates to', () => {
    expect(count).toBe(area);
    expect(schedule.dueBefore(Number.MAX_SAFE_INTEGER)).toBe(count);
  });

  it('gives monotonic intended times, and inverts them exactly', () => {
    let previous = -Infinity;
    for (let i = 0; i < count; i++) {
      const t = schedule.offsetMs(i);
      expect(t).toBeGreaterThanOrEqual(previous);
      previous = t;
    }
    for (let i = 0; i < count; i += 97) {
      const t = schedule.offsetMs(i);
      expect(schedule.dueBefore(t)).toBeLessThanOrEqual(i);
      expect(schedule.dueBefore(t + 1e-6)).toBeGreaterThanOrEqual(i + 1);
    }
  });

  it('produces each second within 1% of the target rate', () => {
    const end = schedule.stages.at(-1)!.endMs;
    const perSecond = new Map<number, number>();
    for (let i = 0; i < count; i++) {
      const second = Math.floor(schedule.offsetMs(i) / 1000);
      perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
    }
    for (let s = 0; s * 1000 < end; s++) {
      const target = integral((t) => schedule.rateAt(t), s * 1000, (s + 1) * 1000);
      const got = perSecond.get(s) ?? 0;
      // 1% of the target, and one record for the rounding at a second's edge.
      expect(Math.abs(got - target), `second ${s}: ${got} records for a target of ${target}`).toBeLessThanOrEqual(Math.max(1, target * 0.01));
    }
  });

  it('splits into chunks bounded by records and by schedule span', () => {
    const plan = scheduledPlan(schedule, count, 500, 250);
    let next = 0;
    for (let c = 0; c < chunkCount(plan); c++) {
      const [first, end] = chunkRange(plan, c);
      expect(first).toBe(next);
      expect(end - first).toBeGreaterThan(0);
      expect(end - first).toBeLessThanOrEqual(500);
      // A chunk longer than one record never spans more than 250 ms of the schedule.
      if (end - first > 1) expect(schedule.offsetMs(end - 1) - schedule.offsetMs(first)).toBeLessThan(250);
      next = end;
    }
    expect(next).toBe(count);
  });
});

describe('load profiles', () => {
  it('start at startTime and report their stages on the run clock', () => {
    const schedule = profileSchedule(constant);
    expect(schedule.offsetMs(0)).toBe(2000);
    expect(schedule.rateAt(1999)).toBe(0);
    expect(schedule.rateAt(2000)).toBe(3000);
    expect(schedule.stages).toEqual([expect.objectContaining({ startMs: 2000, endMs: 9000, fromPerSec: 3000, toPerSec: 3000 })]);
    expect(profileSchedule(ramp).stages.map((s) => s.label)).toEqual([
      'stage 1 (ramp 200/s -> 2000/s)',
      'stage 2 (steady 2000/s)',
      'stage 3 (ramp 2000/s -> 6000/s)',
      'stage 4 (ramp 6000/s -> 0/s)',
      'stage 5 (steady 0/s)',
      'stage 6 (ramp 0/s -> 500/s)',
    ]);
  });

  it('leave nothing due in a pause', () => {
    const schedule = profileSchedule(ramp);
    const pause = schedule.stages[4]!;
    expect(schedule.dueBefore(pause.endMs) - schedule.dueBefore(pause.startMs)).toBe(0);
    const firstAfter = schedule.dueBefore(pause.startMs);
    expect(schedule.offsetMs(firstAfter)).toBeGreaterThanOrEqual(pause.endMs);
  });

  it('keep the simple form as it was: index / rate, one steady stage, unpaced at 0', () => {
    const steady = scheduleFor({ rate: 500 }, 0);
    expect(steady.offsetMs(1000)).toBe(2000);
    expect(steady.dueBefore(2000)).toBe(1000);
    expect(steady.paced).toBe(true);
    expect(scheduleFor({ rate: 0 }, 0).paced).toBe(false);
  });

  it("read k6's durations, compound ones included", () => {
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('1h2m3s4ms')).toBe(3_723_004);
    expect(parseDuration('2s')).toBe(2000);
    expect(parseDuration('250')).toBe(250);
    expect(parseDuration('1m30')).toBeNull();
    expect(parseDuration('s')).toBeNull();
  });
});
