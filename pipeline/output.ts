import type { OwnPlan } from '../generators/faults.ts';
import type { DatasetName, Generator } from '../generators/generator.ts';

/**
 * What a dataset's pipeline writes, declared once: named fields with their type, nullability and
 * key, and which are derived with what rounding. The SQL DDL is derived from it, the reference
 * pipeline's rules emit rows the compiler checks against it, and the verifier reads and compares
 * every field by it.
 */
export type FieldType = 'text' | 'integer' | 'bigint' | 'numeric' | 'real' | 'boolean' | 'timestamp';

export interface FieldSpec<T extends FieldType = FieldType, N extends boolean = boolean> {
  readonly type: T;
  readonly nullable: N;
  readonly description: string;
  /** numeric: digits in all and after the point (price to the cent). */
  readonly precision?: number;
  readonly scale?: number;
  /** Derived metrics: decimals they are rounded to; the verifier allows half a unit of that rounding. */
  readonly decimals?: number;
  readonly derived?: boolean;
  /** text: at most this many characters (UTF-16 code units); unbounded when absent, like PostgreSQL's `text`. */
  readonly maxLength?: number;
}

type ValueOfType<T extends FieldType> = T extends 'text' ? string : T extends 'boolean' ? boolean : number;

/** A field's value in a row: timestamps are epoch ms, numerics are numbers at their scale. */
export type ValueOf<F> = F extends FieldSpec<infer T, infer N> ? ValueOfType<T> | (N extends true ? null : never) : never;

export type Fields = Readonly<Record<string, FieldSpec>>;

export type RowOf<F extends Fields> = { -readonly [K in keyof F]: ValueOf<F[K]> };

/** A row as it crosses the sink seam, whatever the dataset. */
export type OutputRow = Readonly<Record<string, string | number | boolean | null>>;

export interface DatasetOutput<F extends Fields = Fields> {
  readonly dataset: DatasetName;
  readonly fields: F;
  /** Fields that together identify a row: the dedup key. */
  readonly key: readonly string[];
  /** The field holding the record's own id (event_id, match_id), shared by all rows of a record. */
  readonly recordKey: string;
  /** Rows a valid record yields, and which of them a row is (0 for one-row records). */
  readonly rowsPerRecord: number;
  slotOf(row: OutputRow): number | null;
  /**
   * The rows a correct pipeline writes for the record `origin` emitted under `plan` (valid, late, or
   * a malformed kind it repairs), regenerated from the generator: what the verifier compares with.
   * `recordKey`, when given, is the record's key already proven to be `origin`'s (an invertible key
   * that decoded to it), so it is used as is instead of being rebuilt.
   */
  expectedRows(generator: Generator, origin: number, plan: OwnPlan, recordKey?: string): OutputRow[];
}

/** Declares an output, with its key fields checked against its fields by the compiler. */
export function defineOutput<F extends Fields>(
  output: DatasetOutput<F> & { key: readonly (keyof F & string)[]; recordKey: keyof F & string },
): DatasetOutput<F> {
  return output;
}

export const field = {
  text: <N extends boolean = false>(description: string, nullable?: N, maxLength?: number) => ({
    ...spec('text', description, nullable),
    ...(maxLength === undefined ? {} : { maxLength }),
  }),
  integer: <N extends boolean = false>(description: string, nullable?: N) => spec('integer', description, nullable),
  bigint: <N extends boolean = false>(description: string, nullable?: N) => spec('bigint', description, nullable),
  boolean: <N extends boolean = false>(description: string, nullable?: N) => spec('boolean', description, nullable),
  timestamp: <N extends boolean = false>(description: string, nullable?: N) => spec('timestamp', description, nullable),
  numeric: <N extends boolean = false>(description: string, precision: number, scale: number, nullable?: N) => ({
    ...spec('numeric', description, nullable),
    precision,
    scale,
  }),
  /** A metric the pipeline computes, rounded to `decimals`. */
  derived: (description: string, decimals: number) => ({ ...spec('real', description, false), decimals, derived: true }),
};

function spec<T extends FieldType, N extends boolean>(type: T, description: string, nullable?: N): FieldSpec<T, N> {
  return { type, nullable: (nullable ?? false) as N, description };
}

export function fieldNames(output: DatasetOutput): string[] {
  return Object.keys(output.fields);
}

/** Rounds a derived metric as declared. */
export function roundTo(value: number, decimals: number): number {
  const unit = 10 ** decimals;
  return Math.round(value * unit) / unit;
}

/**
 * What a column of each type holds, whatever the sink: a value inside these bounds is one the sink
 * stores and reads back unchanged, so the rules can refuse the rest as `out_of_range` instead of
 * leaving the sink to refuse a whole batch.
 *
 * - text: no NUL (PostgreSQL text cannot store U+0000), no lone UTF-16 surrogate (it would be
 *   written as U+FFFD, not as sent), at most `maxLength` characters when the field declares one.
 * - integer: a whole number in int4, -2^31 .. 2^31-1. bigint: a whole number in the safe-integer
 *   range, +-(2^53-1), the most a JS number carries exactly (int8's own range is wider).
 * - numeric(p, s): finite, at most s decimals (the transform rounds to its scale, as seed 001
 *   rounds prices to the cent) and |value| < 10^(p-s).
 * - real: finite and within float4, |value| <= 3.4028235e38, and not so small that float4 makes it
 *   0 (PostgreSQL refuses underflow).
 * - timestamp: a whole epoch millisecond from 0001-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z:
 *   the instants an RFC 3339 timestamp names, which is how an external pipeline writes them. It lies inside
 *   both timestamptz's range (4714 BC .. 294276 AD) and Date's (+-8.64e15 ms).
 * - boolean: true or false. NULL only where the field is nullable.
 */
export const columnBounds = {
  integer: { min: -(2 ** 31), max: 2 ** 31 - 1 },
  bigint: { min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER },
  real: { max: 3.4028234663852886e38 },
  timestamp: { min: Date.parse('0001-01-01T00:00:00.000Z'), max: Date.parse('9999-12-31T23:59:59.999Z') },
} as const;

/** Why `value` does not fit the column of `spec`, or null when it does. */
export function valueProblem(spec: FieldSpec, value: OutputRow[string] | undefined): string | null {
  if (value === null || value === undefined) return spec.nullable ? null : 'is NULL';
  switch (spec.type) {
    case 'text':
      if (typeof value !== 'string') return `${preview(value)} is not text`;
      if (value.includes('\u0000')) return `${preview(value)} contains NUL (U+0000)`;
      if (LONE_SURROGATE.test(value)) return `${preview(value)} contains a lone UTF-16 surrogate`;
      if (spec.maxLength !== undefined && value.length > spec.maxLength) return `${preview(value)} is longer than ${spec.maxLength} characters`;
      return null;
    case 'boolean':
      return typeof value === 'boolean' ? null : `${preview(value)} is not a boolean`;
    case 'integer':
    case 'bigint': {
      if (typeof value !== 'number' || !Number.isInteger(value)) return `${preview(value)} is not a whole number`;
      const { min, max } = columnBounds[spec.type];
      return value < min || value > max ? `${value} is outside ${spec.type} (${min} .. ${max})` : null;
    }
    case 'numeric': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return `${preview(value)} is not a finite number`;
      const precision = spec.precision ?? 18;
      const scale = spec.scale ?? 0;
      if (roundTo(value, scale) !== value) return `${value} has more than ${scale} decimals`;
      const limit = 10 ** (precision - scale);
      return Math.abs(value) >= limit ? `${value} does not fit numeric(${precision},${scale}): |value| must be below ${limit}` : null;
    }
    case 'real': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return `${preview(value)} is not a finite number`;
      if (Math.abs(value) > columnBounds.real.max) return `${value} is beyond real (float4)`;
      return value !== 0 && Math.fround(value) === 0 ? `${value} is too small for real (float4)` : null;
    }
    case 'timestamp': {
      if (typeof value !== 'number' || !Number.isInteger(value)) return `${preview(value)} is not a whole epoch millisecond`;
      const { min, max } = columnBounds.timestamp;
      return value < min || value > max ? `${value} ms is outside 0001-01-01T00:00:00.000Z .. 9999-12-31T23:59:59.999Z` : null;
    }
  }
}

/**
 * The first field of `row` its column cannot hold, with why; null when every field fits. Every rule
 * set applies it to the rows its transform makes (see defineRules), so what the rules accept the
 * sink stores.
 */
export function checkRow(output: DatasetOutput, row: OutputRow): { field: string; detail: string } | null {
  for (const [name, spec] of Object.entries(output.fields)) {
    const problem = valueProblem(spec, row[name]);
    if (problem !== null) return { field: name, detail: `${name} ${problem}` };
  }
  return null;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');

/** A value quoted for a message, cut to 60 characters (a 10 MB field stays out of the dead letter's detail). */
export function preview(value: unknown): string {
  if (typeof value !== 'string') return String(value);
  return value.length > 60 ? `${JSON.stringify(value.slice(0, 60))}... (${value.length} characters)` : JSON.stringify(value);
}

/**
 * Text any text column holds: NUL removed, lone surrogates replaced by U+FFFD, at most `max`
 * characters. For dead letters' detail, so a dead letter is never refused for what it says.
 */
export function safeText(text: string, max = 2000): string {
  const clean = text.replaceAll('\u0000', '').replace(LONE_SURROGATES, '\uFFFD');
  return clean.length > max ? `${clean.slice(0, max)}...` : clean;
}

/**
 * Builds rows of these fields from their values in declared order. The object literal is generated
 * so that every row has one shape from birth: setting a million rows' fields one by one by name
 * went through V8's generic keyed stores and cost a tenth of a verify (measured). The names are
 * the declared output's, never input.
 */
export function rowBuilder(names: readonly string[]): (values: readonly OutputRow[string][]) => OutputRow {
  const literal = names.map((name, i) => `${JSON.stringify(name)}: values[${i}]`).join(', ');
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from the declared field names only (see above)
  return new Function('values', `return { ${literal} };`) as (values: readonly OutputRow[string][]) => OutputRow;
}
