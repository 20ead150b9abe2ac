/**
 * When each record of a dataset is due. Both the producer's pacing and the verifier's intended send
 * times (the coordinated-omission correction) come from here, so they always agree; and it is a
 * pure function of the scenario, so workers, shards and `harness resume` agree too.
 */
export interface Schedule {
  /** Whether the producer paces by it; false: as fast as possible (times then only space event times). */
  readonly paced: boolean;
  /** Offset from time zero at which `index` is due, ms. Non-decreasing in `index`. */
  offsetMs(index: number): number;
  /** How many records are due strictly before `offsetMs`: the inverse of `offsetMs`. */
  dueBefore(offsetMs: number): number;
  /** The target rate at `offsetMs`, records per second (0 before the start and after the end). */
  rateAt(offsetMs: number): number;
  /** The profile's stages on the schedule's clock; one stage for a steady rate. */
  readonly stages: readonly StageWindow[];
}

/** One stage of a load profile: the target moves linearly from `fromPerSec` to `toPerSec`. */
export interface StageWindow {
  /** 0-based, in the order the profile lists them. */
  index: number;
  /** How reports name it: `stage 2 (ramp 100 -> 5000/s)`. */
  label: string;
  startMs: number;
  /** Infinity for the simple form's one stage: it lasts until the last record. */
  endMs: number;
  fromPerSec: number;
  toPerSec: number;
}

/** Event-time spacing when the load profile sets no rate. */
export const NOMINAL_RATE = 10_000;

export function stageLabel(index: number, fromPerSec: number, toPerSec: number): string {
  const rate = (r: number) => `${Number(r.toPrecision(6))}/s`;
  return `stage ${index + 1} (${fromPerSec === toPerSec ? `steady ${rate(toPerSec)}` : `ramp ${rate(fromPerSec)} -> ${rate(toPerSec)}`})`;
}
