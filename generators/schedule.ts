/** Daily (or any period) swing of the event rate around its mean. */
export interface Seasonality {
  /** 0 = flat; 0.5 = the peak is 1.5x the mean and the trough 0.5x. Below 1. */
  amplitude: number;
  periodMs: number;
  /** Time of day (offset into the period, UTC) of the peak. */
  peakMs: number;
}

/** Event-time spacing when the load profile sets no rate. */
export const NOMINAL_RATE = 10_000;

/**
 * When each index is due, as an offset from the start: index / rate, or with seasonality the
 * inverse of the cumulative rate r(1 + A cos(2 pi (t - peak) / P)). Both the producer's pacing and
 * the verifier's intended send times come from here, so they always agree.
 */
export class Schedule {
  private readonly rate: number;

  constructor(
    rate: number,
    private readonly seasonality: Seasonality | null,
    /** Absolute time of offset 0, epoch ms: seasonality follows the clock. */
    private readonly startMs: number,
  ) {
    this.rate = (rate || NOMINAL_RATE) / 1000;
  }

  offsetMs(index: number): number {
    const s = this.seasonality;
    if (!s || s.amplitude === 0) return index / this.rate;
    const w = (2 * Math.PI) / s.periodMs;
    const phase0 = w * (this.startMs - s.peakMs);
    // Records due by offset t: rate * (t + A/w (sin(w t + phase0) - sin(phase0))).
    const due = (t: number) => this.rate * (t + (s.amplitude / w) * (Math.sin(w * t + phase0) - Math.sin(phase0)));
    let t = index / this.rate;
    for (let i = 0; i < 8; i++) {
      const step = (due(t) - index) / (this.rate * (1 + s.amplitude * Math.cos(w * t + phase0)));
      t -= step;
      if (Math.abs(step) < 1e-3) break;
    }
    return t;
  }
}
