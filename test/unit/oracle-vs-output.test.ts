import { describe, expect, it } from 'vitest';
import type { DatasetName } from '../../generators/generator.ts';
import { defaultExpectations, Oracle } from '../../generators/oracle.ts';
import { datasetRules } from '../../pipeline/rules/index.ts';
import { generator, someFaults } from '../helpers/generated.ts';

/**
 * The oracle's claims checked against the bytes: feed the generated output through the pipeline's
 * own rules and count what comes out. The two must agree record for record.
 */
describe.each([
  ['ecommerce', 20_000],
  ['lol', 2_000],
] as [DatasetName, number][])('%s oracle vs parsed output', (dataset, count) => {
  it("agrees on every record: its outcome, each bad record's reason, every field of every row", () => {
    const gen = generator(dataset, 9, someFaults);
    const rules = datasetRules[dataset];
    const oracle = new Oracle(gen, count, defaultExpectations, rules.output.rowsPerRecord);
    const lines = Array.from({ length: count }, (_, i) => {
      const payload = gen.payload(i);
      return typeof payload === 'string' ? Buffer.from(payload) : payload;
    });
    const verdicts = rules.validateBatch(lines, { nowMs: Date.now(), futureToleranceMs: 3_600_000 });
    let landed = 0;
    verdicts.forEach((verdict, index) => {
      const outcome = oracle.outcome(index);
      if (!verdict.ok) {
        expect({ index, reason: verdict.reason }).toEqual({ index, reason: outcome.type === 'dlq' ? outcome.reason : outcome.type });
        return;
      }
      const { origin, plan } = gen.planner.origin(index);
      expect({ index, outcome: outcome.type }).toEqual({ index, outcome: origin === index ? 'land' : 'absorbed' });
      // The rows the reference pipeline makes of the bytes are the rows the verifier regenerates.
      expect(verdict.rows).toEqual(rules.output.expectedRows(gen, origin, plan));
      if (origin === index) landed++;
    });
    expect(landed).toBe(oracle.counts().uniqueValid);
    expect(verdicts.filter((v) => !v.ok)).toHaveLength(oracle.counts().expectedDlq);
  });
});

describe.each(['ecommerce', 'lol'] as DatasetName[])('%s malformed kinds', (dataset) => {
  it('each fail the validator with their own reason', () => {
    const gen = generator(dataset, 3, { duplicate: 0, malformed: 1, future: 0, late: 0 });
    const seen = new Map<string, string>();
    for (let i = 0; i < 400 && seen.size < gen.malformedKinds.length; i++) {
      const plan = gen.planner.plan(i);
      if (plan.kind !== 'malformed') continue;
      const payload = gen.payload(i);
      const [verdict] = datasetRules[dataset].validateBatch([typeof payload === 'string' ? Buffer.from(payload) : payload], {
        nowMs: Date.now(),
        futureToleranceMs: 0,
      });
      seen.set(plan.malformed, verdict && !verdict.ok ? verdict.reason : 'accepted');
    }
    expect(Object.fromEntries(seen)).toEqual(Object.fromEntries(gen.malformedKinds.map((k) => [k.kind, k.reason])));
  });
});
