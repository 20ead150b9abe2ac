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
   */
  expectedRows(generator: Generator, origin: number, plan: OwnPlan): OutputRow[];
}

/** Declares an output, with its key fields checked against its fields by the compiler. */
export function defineOutput<F extends Fields>(output: DatasetOutput<F> & { key: readonly (keyof F & string)[]; recordKey: keyof F & string }): DatasetOutput<F> {
  return output;
}

export const field = {
  text: <N extends boolean = false>(description: string, nullable?: N) => spec('text', description, nullable),
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
