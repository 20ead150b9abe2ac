import type { FieldSpec, OutputRow } from '../../pipeline/output.ts';
import { Samples, slo, statusOf, type Check } from '../check.ts';

/**
 * Every field of every landed row equals the regenerated record: text exactly, numerics at their
 * scale (price to the cent), timestamps to the millisecond, derived metrics within half a unit of
 * their declared rounding.
 */
export const values: Check = {
  name: 'values',
  description: "Every field of every landed row vs the regenerated record, at each field's declared precision.",
  begin(context) {
    const fields = Object.entries(context.output.fields).map(([name, spec]) => ({ name, spec, same: comparator(spec) }));
    const perField = new Map<string, number>(fields.map(({ name }) => [name, 0]));
    let compared = 0;
    let mismatched = 0;
    const samples = new Samples();
    return {
      row(observed) {
        if (!observed.lands) return;
        const expected = observed.expected();
        if (!expected) return;
        compared++;
        const values = observed.row.values;
        let bad = false;
        for (const { name, spec, same } of fields) {
          const want = expected[name] ?? null;
          const actual = values[name] ?? null;
          if (same(want, actual)) continue;
          bad = true;
          perField.set(name, (perField.get(name) ?? 0) + 1);
          samples.add(() => `${observed.key} ${name}: expected ${show(spec, want)}, got ${show(spec, actual)}`);
        }
        if (bad) mismatched++;
      },
      finish() {
        const slos = slo('maxValueMismatches', 'max', context.slos.maxValueMismatches, mismatched);
        const wrongFields = [...perField].filter(([, n]) => n > 0);
        return {
          name: 'values',
          dataset: context.dataset,
          status: statusOf(slos, compared > 0 || context.oracle.counts().expectedRows === 0),
          summary:
            compared === 0
              ? 'no landed rows to compare'
              : `${compared} rows compared field by field: ${mismatched} with a wrong value${wrongFields.length > 0 ? ` (${wrongFields.map(([name, n]) => `${name} ${n}`).join(', ')})` : ''}`,
          figures: {
            rowsCompared: compared,
            rowsWithMismatch: mismatched,
            ...Object.fromEntries([...perField].map(([name, n]) => [`mismatch.${name}`, n])),
          },
          slos,
          samples: { mismatches: samples.items },
        };
      },
    };
  },
};

type Value = OutputRow[string];

export function sameValue(field: FieldSpec, expected: Value, actual: Value): boolean {
  return comparator(field)(expected, actual);
}

/** The comparison for one field, chosen once per field rather than per value: it runs for every field of every row. */
function comparator(field: FieldSpec): (expected: Value, actual: Value) => boolean {
  switch (field.type) {
    case 'text':
    case 'boolean':
      return (expected, actual) => expected === actual;
    case 'integer':
    case 'bigint':
      return (expected, actual) => (expected === null || actual === null ? expected === actual : Number(actual) === expected);
    case 'timestamp':
      // Read back as epoch ms in float8; a microsecond column may carry a fraction.
      return (expected, actual) => (expected === null || actual === null ? expected === actual : Math.round(Number(actual)) === expected);
    case 'numeric': {
      const unit = 10 ** (field.scale ?? 0);
      return (expected, actual) =>
        expected === null || actual === null ? expected === actual : Math.round(Number(actual) * unit) === Math.round((expected as number) * unit);
    }
    case 'real': {
      // Half a unit of the declared rounding, plus what a 4-byte float loses (7 significant digits).
      const unit = 0.5 * 10 ** -(field.decimals ?? 6);
      return (expected, actual) => {
        if (expected === null || actual === null) return expected === actual;
        return Math.abs(Number(actual) - (expected as number)) <= unit + Math.abs(expected as number) * 1e-6;
      };
    }
  }
}

function show(field: FieldSpec, value: Value): string {
  if (value === null) return 'NULL';
  if (field.type === 'timestamp' && typeof value === 'number' && Math.abs(value) <= MAX_DATE_MS) return new Date(Math.round(value)).toISOString();
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** The largest epoch ms a Date can show. */
const MAX_DATE_MS = 8.64e15;
