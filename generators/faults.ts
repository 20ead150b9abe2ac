import type { ReasonCode } from '../core/reasons.ts';
import { Rng, streamKey, unitAt } from './random.ts';

/** Rates of injected faults, each a share of all emitted records. */
export interface FaultRates {
  duplicate: number;
  malformed: number;
  future: number;
  late: number;
}

export const noFaults: FaultRates = { duplicate: 0, malformed: 0, future: 0, late: 0 };

/** A way a generator can break a record, and the reason a correct pipeline gives for it. */
export interface MalformedKind<K extends string = string> {
  kind: K;
  reason: ReasonCode;
  description: string;
}

/** What the generator decided for one index, before duplicates are resolved. */
export type Plan =
  | { kind: 'valid' }
  | { kind: 'late' }
  | { kind: 'future' }
  | { kind: 'malformed'; malformed: string }
  | { kind: 'duplicate'; of: number };

export type OwnPlan = Exclude<Plan, { kind: 'duplicate' }>;

/** How far back a duplicate reaches: 1 is the record just before it. */
export interface DuplicateDistance {
  min: number;
  max: number;
}

export const defaultDuplicateDistance: DuplicateDistance = { min: 1, max: 1000 };

/**
 * Decides each index's fault from one uniform draw, so the plan of any index is known without
 * generating anything else: the verifier regenerates it to know what to expect.
 */
export class FaultPlanner {
  private readonly key: number;
  private readonly rng: Rng;
  private readonly cut: { duplicate: number; malformed: number; future: number; late: number };

  constructor(
    seed: number,
    dataset: string,
    rates: FaultRates,
    private readonly malformedKinds: readonly MalformedKind[],
    private readonly distance: DuplicateDistance = defaultDuplicateDistance,
  ) {
    this.key = streamKey(seed, dataset, 'fault');
    this.rng = new Rng(streamKey(seed, dataset, 'fault-detail'));
    const malformed = malformedKinds.length > 0 ? rates.malformed : 0;
    this.cut = {
      duplicate: rates.duplicate,
      malformed: rates.duplicate + malformed,
      future: rates.duplicate + malformed + rates.future,
      late: rates.duplicate + malformed + rates.future + rates.late,
    };
  }

  plan(index: number): Plan {
    const u = unitAt(this.key, index);
    if (u >= this.cut.late) return VALID;
    if (u < this.cut.duplicate) {
      const back = this.rng.at(index).range(this.distance.min, this.distance.max);
      // The first records have nothing earlier to repeat; they stay valid.
      return index - back >= 0 ? { kind: 'duplicate', of: index - back } : VALID;
    }
    if (u < this.cut.malformed) {
      return { kind: 'malformed', malformed: this.rng.at(index).pick(this.malformedKinds).kind };
    }
    if (u < this.cut.future) return FUTURE;
    return LATE;
  }

  /** Follows duplicate links back to the index whose content is emitted at `index`. */
  origin(index: number): { origin: number; plan: OwnPlan } {
    let at = index;
    for (;;) {
      const plan = this.plan(at);
      if (plan.kind !== 'duplicate') return { origin: at, plan };
      at = plan.of;
    }
  }
}

const VALID: Plan = { kind: 'valid' };
const FUTURE: Plan = { kind: 'future' };
const LATE: Plan = { kind: 'late' };
