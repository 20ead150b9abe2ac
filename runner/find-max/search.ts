/**
 * The capacity search of `harness find-max`, as a pure function of the steps so far, after
 * OpenMessaging Benchmark's rate controller: start from the probe's guess (probe.ts: one run that
 * doubles the rate until the pipeline falls behind) or, without one, from --from; multiply the
 * rate up while the pipeline keeps up; on the first step it cannot keep up with, go back to just
 * under the rate it did manage in that step (a pipeline that falls behind ingests at its capacity,
 * so that rate is the best guess, and little above it is worth trying), and never above 0.95x a
 * rate whose latency broke; then bisect between the highest passing rate and that ceiling until
 * they are within `precision`, try a doubtful failure at the top once more, and confirm the answer
 * with one more step.
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
  /** What the probe (probe.ts) found, or null when it never fell behind. */
  probe: ProbeHint | null;
}

/**
 * The probe's guess at the capacity (what the pipeline ingested once behind): the first step's
 * rate, and a soft ceiling like a failing step's achieved rate until a rate above it passes. Then
 * the rate at which the probe fell behind is the next ceiling. Soft only: the probe's rate rose as
 * it went and was judged on a second or two, where a step is judged on all its steady seconds.
 */
export interface ProbeHint {
  estimatePerSec: number;
  haltedAtPerSec: number;
}

export const defaultSearch = { factor: 2, precision: 0.025 } as const;

/** The search's next step when only one more fits in the budget: the answer's confirmation, rather than a narrower bracket left unconfirmed. */
export function lastStep(settings: SearchSettings, steps: readonly StepResult[]): NextStep {
  const { best, bad } = standing(steps);
  return best === null ? nextStep(settings, steps) : confirm(best, steps, bad);
}

/**
 * The steps that stand: a failure that a later pass at or above its rate overrules does not (the
 * machine had a bad moment), and a confirmation that failed makes its rate a failing one like any
 * other. The best rate is the highest passing one with no standing failure at or below it.
 */
function standing(steps: readonly StepResult[]) {
  const passing = steps.filter((s) => s.pass);
  const failing = steps.filter((s, i) => !s.pass && !steps.slice(i + 1).some((later) => later.pass && later.targetPerSec >= s.targetPerSec));
  const good = passing.map((s) => s.targetPerSec).filter((rate) => !failing.some((f) => f.targetPerSec <= rate));
  return {
    passing,
    failing,
    best: good.length > 0 ? Math.max(...good) : null,
    bad: failing.length > 0 ? Math.min(...failing.map((f) => f.targetPerSec)) : null,
  };
}

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
  const { fromPerSec, toPerSec } = settings;
  const within = (rate: number) => Math.min(toPerSec, Math.max(fromPerSec, round(rate)));
  const { probe } = settings;
  if (steps.length === 0) return { kind: 'step', targetPerSec: probe === null ? fromPerSec : within(probe.estimatePerSec), confirming: false };
  const { passing, failing, best, bad } = standing(steps);
  if (best === null) {
    // Nothing passed yet (the probe's guess was too high): down to just under what the lowest
    // failing step managed, and at least 10% down, until --from itself has failed.
    const lowest = failing.find((f) => f.targetPerSec === bad) as StepResult;
    if (lowest.targetPerSec <= fromPerSec) return { kind: 'none' };
    return { kind: 'step', targetPerSec: within(Math.min(0.98 * lowest.achievedPerSec, 0.9 * lowest.targetPerSec)), confirming: false };
  }
  const last = steps.at(-1) as StepResult;
  if (last.confirming && last.pass && last.targetPerSec === best) {
    return { kind: 'done', answerPerSec: best, confirmed: true, lowestFailingPerSec: bad };
  }
  // OMB's cap: never again at or above 0.95x a rate whose latency broke. With the lowest failing
  // rate and --to, the only bounds that end the search.
  const latencyCap = Math.min(...failing.filter((f) => f.latencyBroke).map((f) => 0.95 * f.targetPerSec));
  const hard = Math.min(bad ?? Infinity, latencyCap);
  if (best >= toPerSec || hard <= best || (hard - best) / best < settings.precision) {
    // Before the answer rests on a failure, make sure of it: one that managed less than a passing
    // step did (the machine had a bad moment: on a loaded CI machine a step below a 3,000 rec/s
    // cap managed 2,100) is tried once more. A pass there overrules it, and the search goes on.
    const lowest = failing.filter((f) => f.targetPerSec === bad);
    const doubtful =
      lowest.length === 1 && hard === bad && passing.some((p) => p.achievedPerSec > ACHIEVED_HEADROOM * (lowest[0] as StepResult).achievedPerSec);
    return doubtful && steps.filter((s) => s.targetPerSec === bad).length === 1
      ? { kind: 'step', targetPerSec: bad, confirming: false }
      : confirm(best, steps, bad);
  }
  // A pipeline that fell behind ingested at its capacity: a little above that is not worth trying.
  // Unless a rate above it already passed: overloaded, the harness's own producer takes the cores
  // the pipeline needs, and it ingests less than it can. Such an estimate no longer counts.
  const estimates = [...failing.map((f) => f.achievedPerSec), ...(probe === null ? [] : [probe.estimatePerSec])];
  const credible = estimates.map((e) => ACHIEVED_HEADROOM * e).filter((cap) => cap >= best);
  const ceilings = credible.length > 0 ? credible : probe !== null && probe.haltedAtPerSec > best ? [probe.haltedAtPerSec] : [];
  // Nothing known above the best rate: multiply it up.
  if (bad === null && ceilings.length === 0) return { kind: 'step', targetPerSec: Math.min(toPerSec, round(best * settings.factor)), confirming: false };
  // With a failing rate but no credible estimate under it, creep up from the best rate.
  const soft = Math.min(hard, toPerSec, ceilings.length > 0 ? Math.min(...ceilings) : CREEP * best);
  // The estimate is only an estimate: close to the best rate, the step just above the best answers it.
  if ((soft - best) / best < settings.precision) {
    const above = Math.min(toPerSec, round(best * (1 + settings.precision)));
    return above < hard && above > best ? { kind: 'step', targetPerSec: above, confirming: false } : confirm(best, steps, bad);
  }
  // Right after a failure, the rate the failing step managed is the best guess, if it is in range:
  // the pipeline's latest capacity. A later failure that managed less (the machine's capacity moves
  // from minute to minute) moves the guess down to it at once, rather than halving toward it.
  const lastFailure = !last.pass ? last.achievedPerSec * 0.98 : NaN;
  const guess = lastFailure > best * (1 + settings.precision) && lastFailure < soft ? lastFailure : (best + soft) / 2;
  return { kind: 'step', targetPerSec: Math.min(toPerSec, round(guess)), confirming: false };
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

/** Steps up to this much above the next one's rate count in its expected length: near the capacity, a step just above it failed and drained a backlog, as the next may. */
const NEAR = 1.1;

/**
 * What the next step will take: its load plus the run's set-up, drain and verification, which grow
 * with the rate. The slowest step at a rate no higher than the next one's (or just above it) bounds
 * it; an overloaded step far above it, which had a large backlog to drain, does not (when there is
 * such a lower step).
 */
export function expectedWallMs(steps: readonly { targetPerSec: number; wallMs: number }[], targetPerSec: number): number {
  const comparable = steps.filter((s) => s.targetPerSec <= NEAR * targetPerSec);
  return BUDGET_MARGIN * Math.max(...(comparable.length > 0 ? comparable : steps).map((s) => s.wallMs));
}
