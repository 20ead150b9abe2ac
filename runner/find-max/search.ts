/**
 * The capacity search of `harness find-max`, as a pure function of the steps so far, after
 * OpenMessaging Benchmark's rate controller: multiply the rate up while the pipeline keeps up;
 * on the first step it cannot keep up with, go back to just under the rate it did manage in that
 * step (a pipeline that falls behind ingests at its capacity, so that rate is the best guess, and
 * little above it is worth trying), and never above 0.95x a rate whose latency broke; then bisect
 * between the highest passing rate and that ceiling until they are within `precision`, and
 * confirm the answer with one more step.
 */
export interface SearchSettings {
  fromPerSec: number;
  toPerSec: number;
  /**
   * Growth factor while every step passes (OMB ramps by a factor too). Doubling, not tripling: a
   * step at 3x the capacity took 40-60 s of the 3 min budget to drain and verify its backlog, and
   * its generation threads starved the pipeline, so that what it managed (the next guess) was low.
   */
  factor: number;
  /** Stop bisecting once (lowest failing - highest passing) / highest passing is below this. */
  precision: number;
}

export const defaultSearch = { factor: 2, precision: 0.05 } as const;

/** How far above what a failing step achieved the capacity may still be (that step's warm-up and noise). */
const ACHIEVED_HEADROOM = 1.05;

/** With no credible estimate between the best passing and the lowest failing rate, the next rates stay within this factor of the best. */
const CREEP = 1.2;

/** What a step showed, as far as the search needs to know. */
export interface StepResult {
  targetPerSec: number;
  pass: boolean;
  /** Records/s the sink took over the steady part of the step. */
  achievedPerSec: number;
  /** Whether a latency SLO broke (then OMB caps the next rates at 0.95x this one). */
  latencyBroke: boolean;
  /** A repeat of a passing rate to confirm the answer. */
  confirming: boolean;
}

export type NextStep =
  | { kind: 'step'; targetPerSec: number; confirming: boolean }
  | { kind: 'done'; answerPerSec: number; confirmed: boolean; lowestFailingPerSec: number | null }
  | { kind: 'none' };

export function nextStep(settings: SearchSettings, steps: readonly StepResult[]): NextStep {
  if (steps.length === 0) return { kind: 'step', targetPerSec: settings.fromPerSec, confirming: false };
  const passing = steps.filter((s) => s.pass).map((s) => s.targetPerSec);
  const failing = steps.filter((s) => !s.pass);
  // A confirmation that failed makes its rate a failing one like any other.
  const good = passing.filter((rate) => !failing.some((f) => f.targetPerSec <= rate));
  const best = good.length > 0 ? Math.max(...good) : null;
  if (best === null) return { kind: 'none' };
  const bad = failing.length > 0 ? Math.min(...failing.map((f) => f.targetPerSec)) : null;
  const last = steps.at(-1) as StepResult;
  if (last.confirming && last.pass && last.targetPerSec === best) {
    return { kind: 'done', answerPerSec: best, confirmed: true, lowestFailingPerSec: bad };
  }
  if (bad === null) {
    if (best >= settings.toPerSec) return confirm(best, steps, bad);
    return { kind: 'step', targetPerSec: Math.min(settings.toPerSec, round(best * settings.factor)), confirming: false };
  }
  // OMB's cap: never again at or above 0.95x a rate whose latency broke. With the lowest failing
  // rate, the only bounds that end the search.
  const latencyCap = Math.min(...failing.filter((f) => f.latencyBroke).map((f) => 0.95 * f.targetPerSec));
  const hard = Math.min(bad, latencyCap);
  if (hard <= best || (hard - best) / best < settings.precision) return confirm(best, steps, bad);
  // A pipeline that fell behind ingested at its capacity: a little above that is not worth trying.
  // Unless a rate above it already passed: overloaded, the harness's own producer takes the cores
  // the pipeline needs, and it ingests less than it can. Then creep up from the best rate instead.
  const achievedCap = Math.min(...failing.map((f) => ACHIEVED_HEADROOM * f.achievedPerSec));
  const soft = Math.min(hard, achievedCap >= best ? achievedCap : CREEP * best);
  // The estimate is only an estimate: close to the best rate, the step just above the best answers it.
  if ((soft - best) / best < settings.precision) {
    const above = round(best * (1 + settings.precision));
    return above < hard ? { kind: 'step', targetPerSec: above, confirming: false } : confirm(best, steps, bad);
  }
  // Right after a failure, the rate the failing step managed is the best guess, if it is in range:
  // the pipeline's latest capacity. A later failure that managed less (the machine's capacity moves
  // from minute to minute) moves the guess down to it at once, rather than halving toward it.
  const lastFailure = !last.pass ? last.achievedPerSec * 0.98 : NaN;
  const guess = lastFailure > best * (1 + settings.precision) && lastFailure < soft ? lastFailure : (best + soft) / 2;
  return { kind: 'step', targetPerSec: round(guess), confirming: false };
}

/** The answer's confirmation step, unless the answer was itself just confirmed. */
function confirm(best: number, steps: readonly StepResult[], bad: number | null): NextStep {
  const confirmed = steps.some((s) => s.confirming && s.pass && s.targetPerSec === best);
  return confirmed ? { kind: 'done', answerPerSec: best, confirmed, lowestFailingPerSec: bad } : { kind: 'step', targetPerSec: best, confirming: true };
}

/** Rates to three significant figures: steps read cleanly in the table, and the precision is far coarser. */
function round(rate: number): number {
  const magnitude = 10 ** Math.max(0, Math.floor(Math.log10(rate)) - 2);
  return Math.max(1, Math.round(rate / magnitude) * magnitude);
}

/** A step near the capacity drains and verifies a little longer than the last one did: the budget is a bound, not a target. */
const BUDGET_MARGIN = 1.1;

/**
 * What the next step will take: its load plus the run's set-up, drain and verification, which grow
 * with the rate. The slowest step at a rate no higher than the next one's bounds it; an overloaded
 * step far above it, which had a large backlog to drain, does not (when there is such a lower step).
 */
export function expectedWallMs(steps: readonly { targetPerSec: number; wallMs: number }[], targetPerSec: number): number {
  const comparable = steps.filter((s) => s.targetPerSec <= targetPerSec);
  return BUDGET_MARGIN * Math.max(...(comparable.length > 0 ? comparable : steps).map((s) => s.wallMs));
}
