import type { ReasonCode } from '../core/reasons.ts';
import { Rng, streamKey, unitAt } from './random.ts';

/**
 * Rates of injected faults, each a share of all emitted records. `malformed` is either one rate
 * shared equally by the generator's malformed kinds, or a rate per kind.
 */
export interface FaultRates {
  duplicate: number;
  malformed: number | Record<string, number | undefined>;
  future: number;
  late: number;
}

export const noFaults: FaultRates = { duplicate: 0, malformed: 0, future: 0, late: 0 };

/** A way a generator can break a record, and the reason a correct pipeline gives for it. */
export interface MalformedKind<K extends string = string> {
  kind: K;
  reason: ReasonCode;
  description: string;
  /** When a pipeline may repair the record instead of dead-lettering it: what the repair does. */
  repair?: string;
}

/** What the generator decided for one index, before duplicates are resolved. */
export type Plan = { kind: 'valid' } | { kind: 'late' } | { kind: 'future' } | { kind: 'malformed'; malformed: string } | { kind: 'duplicate'; of: number };

export type OwnPlan = Exclude<Plan, { kind: 'duplicate' }>;

/** How far back a duplicate reaches: 1 is the record just before it. */
export interface DuplicateDistance {
  min: number;
  max: number;
}

export const defaultDuplicateDistance: DuplicateDistance = { min: 1, max: 1000 };

/** Total malformed rate, however it was given. */
export function malformedRate(rates: FaultRates): number {
  return typeof rates.malformed === 'number' ? rates.malformed : Object.values(rates.malformed).reduce<number>((a, b) => a + (b ?? 0), 0);
}

/**
 * Decides each index's fault from one uniform draw over consecutive segments (duplicate, each
 * malformed kind, future, late, valid), so the plan of any index is known without generating
 * anything else: the verifier regenerates it to know what to expect.
 */
export class FaultPlanner {
  private readonly key: number;
  private readonly rng: Rng;
  private readonly limits: number[] = [];
  private readonly plans: Plan[] = [];
  private readonly duplicateLimit: number;

  constructor(
    seed: number,
    dataset: string,
    rates: FaultRates,
    malformedKinds: readonly MalformedKind[],
    private readonly distance: DuplicateDistance = defaultDuplicateDistance,
  ) {
    this.key = streamKey(seed, dataset, 'fault');
    this.rng = new Rng(streamKey(seed, dataset, 'fault-detail'));
    let limit = rates.duplicate;
    this.duplicateLimit = limit;
    const perKind =
      typeof rates.malformed === 'number'
        ? malformedKinds.map((k) => [k.kind, (rates.malformed as number) / malformedKinds.length] as const)
        : Object.entries(rates.malformed);
    for (const [kind, rate] of perKind) {
      if (!malformedKinds.some((k) => k.kind === kind)) throw new Error(`${dataset} has no malformed kind "${kind}"`);
      if (!rate || rate <= 0) continue;
      limit += rate;
      this.limits.push(limit);
      this.plans.push({ kind: 'malformed', malformed: kind });
    }
    limit += rates.future;
    this.limits.push(limit);
    this.plans.push(FUTURE);
    limit += rates.late;
    this.limits.push(limit);
    this.plans.push(LATE);
  }

  plan(index: number): Plan {
    const u = unitAt(this.key, index);
    if (u < this.duplicateLimit) {
      const back = this.rng.at(index).range(this.distance.min, this.distance.max);
      // The first records have nothing earlier to repeat; they stay valid.
      return index - back >= 0 ? { kind: 'duplicate', of: index - back } : VALID;
    }
    for (let i = 0; i < this.limits.length; i++) {
      if (u < (this.limits[i] as number)) return this.plans[i] as Plan;
    }
    return VALID;
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
