import { rowKeyOf, Samples, slo, statusOf, type Check } from '../check.ts';

/** Every record that must land does so exactly once: nothing missing, nothing doubled, nothing unexplained. */
export const exactlyOnce: Check = {
  name: 'exactly-once',
  description: 'Expected unique valid records vs sink rows: missing, duplicated and unexpected keys.',
  begin(context) {
    const { oracle, output } = context;
    const perRecord = output.rowsPerRecord;
    // One byte per expected row (saturating): a few bits would do, a byte keeps it simple and fast.
    const seen = new Uint8Array(oracle.count * perRecord);
    let rows = 0;
    let unexpected = 0;
    let duplicateKeys = 0;
    let duplicateRows = 0;
    // Rows a sink overwrote in place (a replay or a duplicate record on the same document id): one
    // row each, so not duplicates, but worth a figure. Only sinks that keep versions report it.
    let versioned = false;
    let rewrittenRows = 0;
    const samples = { missing: new Samples(), duplicated: new Samples(), unexpected: new Samples() };
    return {
      row(observed) {
        rows++;
        const version = observed.row.version;
        if (version !== undefined) {
          versioned = true;
          if (version > 1) rewrittenRows++;
        }
        if (!observed.lands || observed.origin === null || observed.slot === null) {
          unexpected++;
          samples.unexpected.add(
            () =>
              `${observed.key}${observed.origin === null ? ' (no record of this run has this key)' : ` (#${observed.origin}: ${oracle.outcome(observed.origin).type}, must not be a row)`}`,
          );
          return;
        }
        const at = observed.origin * perRecord + observed.slot;
        const n = seen[at] as number;
        if (n < 255) seen[at] = n + 1;
        if (n >= 1) {
          duplicateRows++;
          if (n === 1) {
            duplicateKeys++;
            samples.duplicated.add(observed.key);
          }
        }
      },
      finish() {
        let missing = 0;
        let expected = 0;
        for (let index = 0; index < oracle.count; index++) {
          if (oracle.outcome(index).type !== 'land') continue;
          for (let slot = 0; slot < perRecord; slot++) {
            expected++;
            if (seen[index * perRecord + slot] === 0) {
              missing++;
              samples.missing.add(() => rowKeyOf(context, index, slot));
            }
          }
        }
        const slos = [
          ...slo('maxMissing', 'max', context.slos.maxMissing, missing),
          ...slo('maxDuplicates', 'max', context.slos.maxDuplicates, duplicateRows),
          ...slo('maxUnexpected', 'max', context.slos.maxUnexpected, unexpected),
        ];
        const distinct = rows - duplicateRows - unexpected;
        return {
          name: 'exactly-once',
          dataset: context.dataset,
          status: statusOf(slos, expected === 0 || rows > 0),
          summary:
            rows === 0 && expected > 0
              ? `no rows at all for ${expected} expected: nothing reached the sink`
              : `${rows} rows for ${expected} expected keys: ${missing} missing, ${duplicateRows} duplicate rows over ${duplicateKeys} keys, ${unexpected} unexpected` +
                (rewrittenRows > 0 ? ` (${rewrittenRows} rows rewritten in place by a replay or a duplicate record: not duplicates)` : ''),
          figures: {
            expected,
            rows,
            distinctKeys: distinct,
            missing,
            duplicateKeys,
            duplicateRows,
            unexpected,
            generatorDuplicates: oracle.counts().duplicates,
            rewrittenRows: versioned ? rewrittenRows : null,
          },
          slos,
          samples: { missing: samples.missing.items, duplicated: samples.duplicated.items, unexpected: samples.unexpected.items },
        };
      },
    };
  },
};
