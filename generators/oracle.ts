import type { ReasonCode } from '../core/reasons.ts';
import type { Generator } from './generator.ts';
import type { OwnPlan } from './faults.ts';

/** What the oracle says about one emitted record. */
export interface Explanation {
  index: number;
  /** The index whose content this record carries (itself unless it is a duplicate). */
  origin: number;
  /** Fault tags: "duplicate" plus the origin's own plan. */
  tags: string[];
  malformed?: string;
  outcome: { type: 'sink'; keys: string[] } | { type: 'dlq'; reason: ReasonCode };
}

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
  /** Emissions that must be dead-lettered (duplicates of bad records count again). */
  expectedDlq: number;
  malformedByKind: Record<string, number>;
}

/** The ground truth of a dataset, regenerated from the seed rather than stored. */
export interface GroundTruth {
  dataset: string;
  counts: TruthCounts;
  /** Every sink key that must exist, with the index that first emitted it. */
  expectedKeys: Map<string, number>;
  /** Every emission that must be dead-lettered, with the reason a correct pipeline gives. */
  expectedDlq: Map<number, ReasonCode>;
}

function reasonFor(generator: Generator, plan: OwnPlan): ReasonCode | null {
  if (plan.kind === 'future') return 'future_timestamp';
  if (plan.kind !== 'malformed') return null;
  const kind = generator.malformedKinds.find((k) => k.kind === plan.malformed);
  if (!kind) throw new Error(`${generator.dataset}: no malformed kind "${plan.malformed}"`);
  return kind.reason;
}

export function explain(generator: Generator, index: number): Explanation {
  const direct = generator.planner.plan(index);
  const { origin, plan } = generator.planner.origin(index);
  const tags = direct.kind === 'duplicate' ? ['duplicate', plan.kind] : [plan.kind];
  const reason = reasonFor(generator, plan);
  return {
    index,
    origin,
    tags,
    ...(plan.kind === 'malformed' ? { malformed: plan.malformed } : {}),
    outcome: reason ? { type: 'dlq', reason } : { type: 'sink', keys: generator.keys(origin) },
  };
}

/** Walks indices [0, count) once, without building any payload. */
export function groundTruth(generator: Generator, count: number): GroundTruth {
  const expectedKeys = new Map<string, number>();
  const expectedDlq = new Map<number, ReasonCode>();
  const counts: TruthCounts = {
    emitted: count,
    uniqueValid: 0,
    expectedRows: 0,
    duplicates: 0,
    malformed: 0,
    future: 0,
    late: 0,
    expectedDlq: 0,
    malformedByKind: {},
  };
  for (let index = 0; index < count; index++) {
    const direct = generator.planner.plan(index);
    if (direct.kind === 'duplicate') counts.duplicates++;
    else if (direct.kind === 'future') counts.future++;
    else if (direct.kind === 'malformed') {
      counts.malformed++;
      counts.malformedByKind[direct.malformed] = (counts.malformedByKind[direct.malformed] ?? 0) + 1;
    }
    const { origin, plan } = direct.kind === 'duplicate' ? generator.planner.origin(index) : { origin: index, plan: direct };
    const reason = reasonFor(generator, plan);
    if (reason) {
      expectedDlq.set(index, reason);
      continue;
    }
    if (origin !== index) continue;
    if (plan.kind === 'late') counts.late++;
    counts.uniqueValid++;
    for (const key of generator.keys(origin)) expectedKeys.set(key, origin);
  }
  counts.expectedRows = expectedKeys.size;
  counts.expectedDlq = expectedDlq.size;
  return { dataset: generator.dataset, counts, expectedKeys, expectedDlq };
}
