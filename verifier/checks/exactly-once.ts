import { sample, slo, statusOf, type Check } from '../check.ts';

/** Every valid record lands exactly once: nothing missing, nothing doubled, nothing unexplained. */
export const exactlyOnce: Check = {
  name: 'exactly-once',
  description: 'Expected unique valid records vs sink rows: missing, duplicated and unexpected keys.',
  run(evidence) {
    const expected = evidence.truth.expectedKeys;
    const counts = new Map<string, number>();
    for (const row of evidence.rows) counts.set(row.key, (counts.get(row.key) ?? 0) + 1);
    const missing = [...expected.keys()].filter((key) => !counts.has(key));
    const duplicated = [...counts].filter(([, n]) => n > 1);
    const unexpected = [...counts.keys()].filter((key) => !expected.has(key));
    const surplus = duplicated.reduce((sum, [, n]) => sum + n - 1, 0);
    const slos = [
      ...slo('maxMissing', 'max', evidence.slos.maxMissing, missing.length),
      ...slo('maxDuplicates', 'max', evidence.slos.maxDuplicates, surplus),
      ...slo('maxUnexpected', 'max', evidence.slos.maxUnexpected, unexpected.length),
    ];
    return {
      name: this.name,
      dataset: evidence.dataset,
      status: statusOf(slos),
      summary: `${evidence.rows.length} rows for ${expected.size} expected keys: ${missing.length} missing, ${surplus} duplicate rows over ${duplicated.length} keys, ${unexpected.length} unexpected`,
      figures: {
        expected: expected.size,
        rows: evidence.rows.length,
        distinctKeys: counts.size,
        missing: missing.length,
        duplicateKeys: duplicated.length,
        duplicateRows: surplus,
        unexpected: unexpected.length,
        generatorDuplicates: evidence.truth.counts.duplicates,
      },
      slos,
      samples: {
        missing: sample(missing),
        duplicated: sample(duplicated, ([key, n]) => `${key} x${n}`),
        unexpected: sample(unexpected),
      },
    };
  },
};
