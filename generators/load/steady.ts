import { NOMINAL_RATE, stageLabel, type Schedule, type StageWindow } from './schedule.ts';

/** Daily (or any period) swing of the event rate around its mean. */
export interface Seasonality {
  /** 0 = flat; 0.5 = the peak is 1.5x the mean and the trough 0.5x. Below 1. */
  amplitude: number;
  periodMs: number;
  /** Time of day (offset into the period, UTC) of the peak. */
  peakMs: number;
}

/**
 * The simple form, `count` at `rate` (+ `seasonality`): index / rate, or with seasonality the
 * inverse of the cumulative rate r(1 + A cos(2 pi (t - peak) / P)). Rate 0 is unpaced.
 */
export class SteadySchedule implements Schedule {
  readonly paced: boolean;
  readonly stages: readonly StageWindow[];
  /** Records per ms. */
  private readonly rate: number;

  constructor(
    rate: number,
    private readonly seasonality: Seasonality | null,
    /** Absolute time of offset 0, epoch ms: seasonality follows the clock. */
    private readonly startMs: number,
  ) {
    this.paced = rate > 0;
    this.rate = (rate || NOMINAL_RATE) / 1000;
    const perSec = this.paced ? rate : 0;
    this.stages = [{ index: 0, label: stageLabel(0, perSec, perSec), startMs: 0, endMs: Infinity, fromPerSec: perSec, toPerSec: perSec }];
  }

  private flat(): boolean {
    return !this.seasonality || this.seasonality.amplitude === 0;
  }

  /** Records due by offset t (a real number), rate * (t + A/w (sin(w t + phase0) - sin(phase0))). */
  private due(t: number): number {
    const s = this.seasonality;
    if (!s || this.flat()) return this.rate * t;
    const w = (2 * Math.PI) / s.periodMs;
    const phase0 = w * (this.startMs - s.peakMs);
    return this.rate * (t + (s.amplitude / w) * (Math.sin(w * t + phase0) - Math.sin(phase0)));
  }

  offsetMs(index: number): number {
    const s = this.seasonality;
    if (!s || this.flat()) return index / this.rate;
    const w = (2 * Math.PI) / s.periodMs;
    const phase0 = w * (this.startMs - s.peakMs);
    let t = index / this.rate;
    for (let i = 0; i < 8; i++) {
      const step = (this.due(t) - index) / (this.rate * (1 + s.amplitude * Math.cos(w * t + phase0)));
      t -= step;
      if (Math.abs(step) < 1e-3) break;
    }
    return t;
  }

  dueBefore(offsetMs: number): number {
    return offsetMs <= 0 ? 0 : Math.max(0, Math.ceil(this.due(offsetMs) - 1e-9));
  }

  rateAt(offsetMs: number): number {
    if (!this.paced || offsetMs < 0) return 0;
    const s = this.seasonality;
    if (!s || this.flat()) return this.rate * 1000;
    const w = (2 * Math.PI) / s.periodMs;
    return this.rate * 1000 * (1 + s.amplitude * Math.cos(w * offsetMs + w * (this.startMs - s.peakMs)));
  }
}
