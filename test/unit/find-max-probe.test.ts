import { describe, expect, it } from 'vitest';
import { profileCount, profileSchedule } from '../../generators/load/index.ts';
import { RunMonitor } from '../../runner/monitor.ts';
import { PROBE_DOUBLING_MS, probeProfile, watchProbe } from '../../runner/find-max/probe.ts';

describe("find-max's probe profile", () => {
  it('doubles the rate every few seconds from --from, stops at --to and holds it for one more stage', () => {
    const profile = probeProfile(2000, 20_000);
    expect(profile).toMatchObject({ executor: 'ramping-arrival-rate', startRate: 2000 });
    expect(profile.executor === 'ramping-arrival-rate' && profile.stages).toEqual(
      [4000, 8000, 16_000, 20_000, 20_000].map((target) => ({ target, duration: PROBE_DOUBLING_MS })),
    );
    const schedule = profileSchedule(profile);
    expect(schedule.rateAt(PROBE_DOUBLING_MS)).toBe(4000);
    // The integral of its ramps: (2k+4k)/2*3 + (4k+8k)/2*3 + (8k+16k)/2*3 + (16k+20k)/2*3 + 20k*3.
    expect(profileCount(profile)).toBe(9000 + 18_000 + 36_000 + 54_000 + 60_000);
  });
});

/**
 * A run of the probe as the monitor sees it, second by second: the producer delivers what the
 * schedule makes due every 250 ms (a file), the pipeline ingests up to `capacity` rec/s of it,
 * after `lagMs` (its polls and batches). Returns the watch once it found the pipeline behind, or at the end.
 */
function probe(capacity: number, lagMs = 300, fromPerSec = 2000, toPerSec = 1_000_000) {
  const schedule = profileSchedule(probeProfile(fromPerSec, toPerSec));
  const clock = { now: 0 };
  const monitor = new RunMonitor(
    [{ name: 'ecommerce', schedule, count: schedule.count, startedAtMs: () => 0 }],
    { abortOnFail: false, delayAbortEval: 0 },
    () => clock.now,
  );
  let stopped = 0;
  const watch = watchProbe('ecommerce', () => stopped++);
  const delivered: { atMs: number; records: number }[] = [];
  let ingested = 0;
  for (let t = 250; t <= 60_000; t += 250) {
    clock.now = t;
    const records = schedule.dueBefore(t) - schedule.dueBefore(t - 250);
    monitor.delivered('ecommerce', records, null);
    delivered.push({ atMs: t, records });
    const ready = delivered.filter((d) => d.atMs <= t - lagMs).reduce((n, d) => n + d.records, 0);
    const n = Math.min(ready - ingested, capacity / 4);
    ingested += n;
    monitor.ingested('ecommerce', n, t);
    if (t % 1000 === 0 && watch.check(monitor)) return { watch, halted: true };
  }
  // check() only looks: stopping the run is the view's, once a second.
  expect(stopped).toBe(0);
  return { watch, halted: false };
}

describe("find-max's probe watch", () => {
  it.each([5000, 58_000, 300_000])('halts soon after the rate passes a capacity of %i rec/s, and guesses it within 10%', (capacity) => {
    const { watch, halted } = probe(capacity);
    expect(halted).toBe(true);
    const haltedAt = watch.haltedAtPerSec() as number;
    expect(haltedAt).toBeGreaterThan(capacity);
    // Stopped within two doublings past it: the harness generating much more takes the pipeline's cores.
    expect(haltedAt).toBeLessThan(4 * capacity);
    expect(watch.estimatePerSec()).toBeGreaterThanOrEqual(0.9 * capacity);
    expect(watch.estimatePerSec()).toBeLessThanOrEqual(capacity);
  });

  it('does not halt a pipeline that keeps up, even one that lands its output seconds late', () => {
    for (const lagMs of [300, 2500]) {
      const { watch, halted } = probe(Infinity, lagMs, 2000, 64_000);
      expect(halted).toBe(false);
      expect(watch.estimatePerSec()).toBeNull();
      expect(watch.haltedAtPerSec()).toBeNull();
    }
  });
});
