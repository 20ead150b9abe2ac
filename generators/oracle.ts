import type { ReasonCode } from '../core/reasons.ts';
import type { OwnPlan } from './faults.ts';
import type { Generator } from './generator.ts';

/**
 * What the pipeline under test should do with each bad kind (the scenario's `expect`). The oracle
 * and the checks follow it, so a pipeline that repairs as seed 001 does passes.
 */
export interface Expectations {
  duplicate: 'land-once' | 'dead-letter';
  future: 'dead-letter' | 'drop';
  malformed: Readonly<Record<string, 'dead-letter' | 'repair' | 'drop' | undefined>>;
}

export const defaultExpectations: Expectations = { duplicate: 'land-once', future: 'dead-letter', malformed: {} };

/** What must become of the record emitted at one index. */
export type Outcome =
  /** Its rows must be in the sink: the first emission of a valid, late or repaired record. */
  | { type: 'land'; plan: OwnPlan }
  /** A duplicate of a landed record: its key absorbs it, no row of its own. */
  | { type: 'absorbed'; origin: number }
  | { type: 'dlq'; reason: ReasonCode }
  /** Neither in the sink nor in the dead letters. */
  | { type: 'drop' };

export interface TruthCounts {
  emitted: number;
  /** Distinct records that must land in the sink. */
  uniqueValid: number;
  /** Sink rows they must produce (ten per LoL match). */
  expectedRows: number;
  duplicates: number;
  malformed: number;
  future: number;
  late: number;
  repaired: number;
  dropped: number;
  /** Emissions that must be dead-lettered (duplicates of bad records count again). */
  expectedDlq: number;
  malformedByKind: Record<string, number>;
}

/**
 * The ground truth of a dataset, regenerated from the seed rather than stored: the outcome of any
 * index is a pure function of it, so the verifier holds no map of keys.
 */
export class Oracle {
  private countsCache: TruthCounts | null = null;

  constructor(
    readonly generator: Generator,
    readonly count: number,
    readonly expectations: Expectations = defaultExpectations,
    /** Sink rows per landed record (one event, ten participants). */
    readonly rowsPerRecord = 1,
    /**
     * Which indices below `count` were produced, when not all were (an aborted run's gaps): the
     * others were never sent, so they must be nowhere. A duplicate sent whose original was not is
     * still judged as absorbed by it (a known limit: its row shows as unexpected).
     */
    private readonly produced?: (index: number) => boolean,
  ) {}

  /** The outcome of the record's own plan, duplicates aside. */
  private own(plan: OwnPlan): Outcome {
    if (plan.kind === 'valid' || plan.kind === 'late') return { type: 'land', plan };
    if (plan.kind === 'future') return this.expectations.future === 'drop' ? DROP : { type: 'dlq', reason: 'future_timestamp' };
    const kind = this.generator.malformedKinds.find((k) => k.kind === plan.malformed);
    if (!kind) throw new Error(`${this.generator.dataset}: no malformed kind "${plan.malformed}"`);
    const action = this.expectations.malformed[plan.malformed] ?? 'dead-letter';
    if (action === 'drop') return DROP;
    if (action === 'repair' && kind.repair) return { type: 'land', plan };
    return { type: 'dlq', reason: kind.reason };
  }

  outcome(index: number): Outcome {
    if (this.produced && !this.produced(index)) return DROP;
    const direct = this.generator.planner.plan(index);
    if (direct.kind !== 'duplicate') return this.own(direct);
    const { origin, plan } = this.generator.planner.origin(index);
    const own = this.own(plan);
    if (own.type !== 'land') return own;
    return this.expectations.duplicate === 'dead-letter' ? { type: 'dlq', reason: 'duplicate' } : { type: 'absorbed', origin };
  }

  /** Figures of the whole dataset, from one walk over its indices that builds no payload. */
  counts(): TruthCounts {
    if (this.countsCache) return this.countsCache;
    const counts: TruthCounts = {
      emitted: this.count,
      uniqueValid: 0,
      expectedRows: 0,
      duplicates: 0,
      malformed: 0,
      future: 0,
      late: 0,
      repaired: 0,
      dropped: 0,
      expectedDlq: 0,
      malformedByKind: {},
    };
    for (let index = 0; index < this.count; index++) {
      const direct = this.generator.planner.plan(index);
      if (direct.kind === 'duplicate') counts.duplicates++;
      else if (direct.kind === 'future') counts.future++;
      else if (direct.kind === 'malformed') {
        counts.malformed++;
        counts.malformedByKind[direct.malformed] = (counts.malformedByKind[direct.malformed] ?? 0) + 1;
      }
      const outcome = this.outcome(index);
      if (outcome.type === 'dlq') counts.expectedDlq++;
      else if (outcome.type === 'drop') counts.dropped++;
      else if (outcome.type === 'land') {
        counts.uniqueValid++;
        if (outcome.plan.kind === 'late') counts.late++;
        if (outcome.plan.kind === 'malformed') counts.repaired++;
      }
    }
    counts.expectedRows = counts.uniqueValid * this.rowsPerRecord;
    this.countsCache = counts;
    return counts;
  }
}

const DROP: Outcome = { type: 'drop' };

/** What the oracle says about one emitted record (`harness generate --explain`). */
export interface Explanation {
  index: number;
  /** The index whose content this record carries (itself unless it is a duplicate). */
  origin: number;
  /** Fault tags: "duplicate" plus the origin's own plan. */
  tags: string[];
  malformed?: string;
  /** The record's own id: the message key on Kafka. */
  recordKey: string;
  outcome: Outcome;
}

export function explain(oracle: Oracle, index: number): Explanation {
  const { generator } = oracle;
  const direct = generator.planner.plan(index);
  const { origin, plan } = generator.planner.origin(index);
  return {
    index,
    origin,
    tags: direct.kind === 'duplicate' ? ['duplicate', plan.kind] : [plan.kind],
    ...(plan.kind === 'malformed' ? { malformed: plan.malformed } : {}),
    recordKey: generator.recordKey(origin),
    outcome: oracle.outcome(index),
  };
}
