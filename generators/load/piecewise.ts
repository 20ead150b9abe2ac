import { stageLabel, type Schedule, type StageWindow } from './schedule.ts';

/** A stretch of a profile over which the target rate moves linearly. */
export interface Segment {
  durationMs: number;
  /** Records per second at the segment's start and end. */
  fromPerSec: number;
  toPerSec: number;
}

/**
 * The schedule of k6's arrival-rate executors: a rate that is piecewise linear in time, starting
 * `startTimeMs` after time zero. Record i is due when the area under the rate reaches i (so record
 * 0 at the start, as k6 starts its first iteration), which in a linear segment is a root of a
 * quadratic (k6's ramping_arrival_rate.go inverts the same area). The count is the number of
 * records due before the profile ends.
 */
export class PiecewiseSchedule implements Schedule {
  readonly paced = true;
  readonly stages: readonly StageWindow[];
  /** Per segment: start offset (ms, after startTime) and records due before it. */
  private readonly startsMs: Float64Array;
  private readonly dueAtStart: Float64Array;
  private readonly segments: readonly Segment[];
  /** Records due before the profile ends (a real number: the area under the whole rate). */
  readonly area: number;

  constructor(
    segments: readonly Segment[],
    private readonly startTimeMs = 0,
  ) {
    this.segments = segments;
    this.startsMs = new Float64Array(segments.length + 1);
    this.dueAtStart = new Float64Array(segments.length + 1);
    for (const [i, s] of segments.entries()) {
      this.startsMs[i + 1] = (this.startsMs[i] as number) + s.durationMs;
      this.dueAtStart[i + 1] = (this.dueAtStart[i] as number) + ((s.fromPerSec + s.toPerSec) / 2) * (s.durationMs / 1000);
    }
    this.area = this.dueAtStart[segments.length] as number;
    this.stages = segments.map((s, i) => ({
      index: i,
      label: stageLabel(i, s.fromPerSec, s.toPerSec),
      startMs: startTimeMs + (this.startsMs[i] as number),
      endMs: startTimeMs + (this.startsMs[i + 1] as number),
      fromPerSec: s.fromPerSec,
      toPerSec: s.toPerSec,
    }));
  }

  /** Records the profile produces: those due strictly before its end. */
  get count(): number {
    return this.dueBefore(this.startTimeMs + (this.startsMs[this.segments.length] as number));
  }

  offsetMs(index: number): number {
    // The last segment whose start is due at or before `index`: past any empty (zero-rate) ones.
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.dueAtStart[mid] as number) <= index) lo = mid;
      else hi = mid - 1;
    }
    const s = this.segments[lo] as Segment;
    const n = index - (this.dueAtStart[lo] as number);
    return this.startTimeMs + (this.startsMs[lo] as number) + 1000 * timeToArea(n, s.fromPerSec, s.toPerSec, s.durationMs / 1000);
  }

  dueBefore(offsetMs: number): number {
    const t = offsetMs - this.startTimeMs;
    if (t <= 0) return 0;
    const last = this.segments.length;
    if (t >= (this.startsMs[last] as number)) return Math.ceil(this.area - 1e-9);
    let i = 0;
    while ((this.startsMs[i + 1] as number) <= t) i++;
    const s = this.segments[i] as Segment;
    const x = (t - (this.startsMs[i] as number)) / 1000;
    const d = s.durationMs / 1000;
    const area = (this.dueAtStart[i] as number) + s.fromPerSec * x + ((s.toPerSec - s.fromPerSec) * x * x) / (2 * d);
    return Math.max(0, Math.ceil(area - 1e-9));
  }

  rateAt(offsetMs: number): number {
    const t = offsetMs - this.startTimeMs;
    const last = this.segments.length;
    if (t < 0 || t >= (this.startsMs[last] as number)) return 0;
    let i = 0;
    while ((this.startsMs[i + 1] as number) <= t) i++;
    const s = this.segments[i] as Segment;
    return s.fromPerSec + ((s.toPerSec - s.fromPerSec) * (t - (this.startsMs[i] as number))) / s.durationMs;
  }
}

/**
 * Seconds x into a segment at which the area under a rate going linearly from a to b over d
 * seconds reaches n: a x + (b - a) x^2 / 2d = n, in the form that stays exact when b = a and when
 * a = 0.
 */
function timeToArea(n: number, a: number, b: number, d: number): number {
  if (n <= 0) return 0;
  const root = Math.sqrt(Math.max(0, a * a + (2 * (b - a) * n) / d));
  // Past the area of an empty segment (only an index beyond the count): its end.
  return a + root > 0 ? (2 * n) / (a + root) : d;
}
