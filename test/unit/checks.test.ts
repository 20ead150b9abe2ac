import { describe, expect, it } from 'vitest';
import type { ReasonCode } from '../../core/reasons.ts';
import type { GroundTruth } from '../../generators/oracle.ts';
import { scenarioSchema } from '../../scenarios/schema.ts';
import type { CheckResult, DatasetEvidence, DeadLetterRow, SinkRow } from '../../verifier/check.ts';
import { checks } from '../../verifier/checks/index.ts';

/**
 * Each check proven on synthetic evidence: a clean run passes, and each injected defect fails the
 * check with exactly the counts of the defect.
 */
const slos = scenarioSchema.shape.slos.parse({});

function truth(keys: number, bad: [number, ReasonCode][] = []): GroundTruth {
  const expectedKeys = new Map(Array.from({ length: keys }, (_, i) => [`k${i}`, i] as [string, number]));
  const expectedDlq = new Map(bad);
  return {
    dataset: 'ecommerce',
    expectedKeys,
    expectedDlq,
    counts: { emitted: keys + bad.length, uniqueValid: keys, expectedRows: keys, duplicates: 0, malformed: bad.length, future: 0, late: 0, expectedDlq: bad.length, malformedByKind: {} },
  };
}

function evidence(overrides: Partial<DatasetEvidence> & { truth: GroundTruth }): DatasetEvidence {
  const rows: SinkRow[] = [...overrides.truth.expectedKeys.entries()].map(([key, index]) => ({
    key,
    producedAtMs: 1_000_000 + index,
    ingestedAtMs: 1_000_000 + index + 50,
  }));
  const deadLetters: DeadLetterRow[] = [...overrides.truth.expectedDlq.entries()].map(([index, reason]) => ({
    source: 'f',
    position: index,
    recordIndex: null,
    reason,
  }));
  return {
    dataset: 'ecommerce',
    rows,
    deadLetters,
    indexOf: (letter) => (letter.source === 'f' ? letter.position : null),
    intendedAtMs: (index) => 1_000_000 + index,
    generation: { count: 1000, rate: 1000, startedAtMs: 1_000_000, finishedAtMs: 1_001_000, files: [] },
    slos,
    ...overrides,
  };
}

const bad: [number, ReasonCode][] = [
  [1000, 'csv_parse'],
  [1001, 'negative_price'],
  [1002, 'future_timestamp'],
];

describe('every check passes a clean run', () => {
  it.each(Object.values(checks).map((c) => [c.name, c] as const))('%s', (_name, check) => {
    expect(check.run(evidence({ truth: truth(1000, bad) })).status).toBe('pass');
  });
});

describe('exactly-once', () => {
  const run = (e: DatasetEvidence): CheckResult => checks.exactlyOnce.run(e);

  it('fails on missing rows, naming them', () => {
    const t = truth(100);
    const e = evidence({ truth: t });
    const result = run({ ...e, rows: e.rows.filter((r) => r.key !== 'k7' && r.key !== 'k9') });
    expect(result.status).toBe('fail');
    expect(result.figures.missing).toBe(2);
    expect(result.samples.missing).toEqual(['k7', 'k9']);
    expect(result.slos.find((s) => s.name === 'maxMissing')).toMatchObject({ actual: 2, met: false });
  });

  it('fails on duplicate rows, counting the surplus', () => {
    const e = evidence({ truth: truth(100) });
    const row = e.rows[3] as SinkRow;
    const result = run({ ...e, rows: [...e.rows, row, row, e.rows[4] as SinkRow] });
    expect(result.status).toBe('fail');
    expect(result.figures).toMatchObject({ duplicateKeys: 2, duplicateRows: 3, missing: 0 });
    expect(result.samples.duplicated).toContain('k3 x3');
  });

  it('fails on rows no valid record explains', () => {
    const e = evidence({ truth: truth(100) });
    const result = run({ ...e, rows: [...e.rows, { key: 'ghost', producedAtMs: 0, ingestedAtMs: 0 }] });
    expect(result.figures.unexpected).toBe(1);
    expect(result.status).toBe('fail');
  });

  it('tolerates what the SLOs allow', () => {
    const e = evidence({ truth: truth(100), slos: { ...slos, maxMissing: 1 } });
    expect(run({ ...e, rows: e.rows.slice(1) }).status).toBe('pass');
  });
});

describe('dlq-capture', () => {
  const run = (e: DatasetEvidence) => checks.dlqCapture.run(e);

  it('fails when a bad record is not dead-lettered', () => {
    const e = evidence({ truth: truth(10, bad) });
    const result = run({ ...e, deadLetters: e.deadLetters.slice(1) });
    expect(result.status).toBe('fail');
    expect(result.figures).toMatchObject({ missed: 1, captured: 2 });
    expect(result.samples.missed).toEqual(['#1000 (csv_parse)']);
  });

  it('fails when the reason is wrong', () => {
    const e = evidence({ truth: truth(10, bad) });
    const letters = e.deadLetters.map((l) => (l.position === 1001 ? { ...l, reason: 'wrong_type' } : l));
    const result = run({ ...e, deadLetters: letters });
    expect(result.figures.wrongReason).toBe(1);
    expect(result.samples.wrongReason).toEqual(['#1001: expected negative_price, got wrong_type']);
  });

  it('fails when a valid record is dead-lettered, or a dead letter maps to no record', () => {
    const e = evidence({ truth: truth(10, bad) });
    const extra: DeadLetterRow[] = [
      { source: 'f', position: 4, recordIndex: null, reason: 'csv_parse' },
      { source: 'unknown-file', position: 1, recordIndex: null, reason: 'csv_parse' },
    ];
    const result = run({ ...e, deadLetters: [...e.deadLetters, ...extra] });
    expect(result.figures).toMatchObject({ validDeadLettered: 1, unmapped: 1 });
    expect(result.slos.find((s) => s.name === 'maxValidDeadLettered')).toMatchObject({ actual: 2, met: false });
  });
});

describe('latency', () => {
  it('reports percentiles from the HdrHistogram and fails a missed p99', () => {
    const t = truth(1000);
    const e = evidence({ truth: t, slos: { ...slos, latency: { p99: 100 } } });
    // 98% of rows at 50 ms, 2% at 5 s: p50 stays 50, p99 is 5 s.
    const rows = e.rows.map((r, i) => (i % 50 === 0 ? { ...r, ingestedAtMs: r.producedAtMs + 5000 } : r));
    const result = checks.latency.run({ ...e, rows });
    expect(result.figures.p50_ms).toBe(50);
    expect(result.figures.p99_ms).toBeGreaterThanOrEqual(4990);
    expect(result.status).toBe('fail');
    expect(result.histograms?.measured).toMatch(/^[A-Za-z0-9+/=]+$/);
  });

  it('corrects for coordinated omission: a late send counts from its intended time', () => {
    const e = evidence({ truth: truth(100), slos: { ...slos, latency: { max: 1000 } } });
    // Every record was sent 10 s after it was due; ingest came 50 ms after the send.
    const result = checks.latency.run({ ...e, intendedAtMs: (index) => 1_000_000 + index - 10_000 });
    expect(result.figures.max_ms).toBe(50);
    expect(result.figures.corrected_max_ms).toBeGreaterThanOrEqual(10_000);
    expect(result.status).toBe('fail');
  });
});

describe('throughput', () => {
  it('fails when rows/s fall below the SLO', () => {
    const e = evidence({ truth: truth(1000), slos: { ...slos, throughput: { minIngestedPerSec: 5000 } } });
    // 1000 rows ingested over one second: 1000 rows/s.
    const result = checks.throughput.run(e);
    expect(result.figures.ingestedPerSec).toBeGreaterThan(900);
    expect(result.figures.ingestedPerSec).toBeLessThan(1100);
    expect(result.status).toBe('fail');
    expect(checks.throughput.run({ ...e, slos: { ...slos, throughput: { minIngestedPerSec: 500 } } }).status).toBe('pass');
  });
});
