import type { DatasetName } from '../generators/generator.ts';
import { field, roundTo, type DatasetOutput, type FieldSpec, type Fields, type OutputRow } from './output.ts';

/**
 * Statistics a dataset's pipeline keeps beside its rows (seed 002: champion and position stats),
 * declared once like its output (output.ts): the output field rows are grouped by, the tumbling
 * event-time window they count in, and the declared fields with their types and rounding. The SQL
 * sink derives its tables and the statements that keep them from a declaration, and the verifier
 * computes the truth with `StatisticsAccumulator` from the regenerated rows.
 *
 * What is accumulated are measures: counts, and sums of whole numbers (a 2-decimal metric is summed
 * in hundredths). A window's measures are then exact whatever order its rows arrive in, a total is
 * exactly the sum of its windows, and the declared fields (rates, averages) are derived from them.
 *
 * Windows are tumbling, aligned to the epoch (UTC): a row counts in the window starting at
 * floor(event time / windowMs) * windowMs. Every group also has a total over all its rows, told
 * apart by a window start of null.
 */

/** An exact accumulator over a statistic's rows, over output fields named `K`. */
export type Measure<K extends string = string> =
  /** Rows counted. */
  | { readonly kind: 'count' }
  /** A field summed: a boolean as 0 or 1, a number in units of 10^-decimals, so the sum stays a whole number. */
  | { readonly kind: 'sum'; readonly field: K; readonly decimals: number };

/**
 * A declared field of a statistic, over measures named `M`: numerator x scale / denominator, the
 * numerator taken in its own unit (a sum in hundredths divided by 100). Both sides of the division
 * are whole numbers, so it is one correctly rounded division wherever it is computed (here, in SQL).
 */
export interface StatisticField<M extends string = string> {
  /** Its type and description; a rate or average's `decimals` is the precision it is held to. */
  readonly spec: FieldSpec;
  readonly numerator: M;
  /** Absent: the numerator as it is (a count). */
  readonly denominator?: M;
  /** A whole number: 100 for a percentage. */
  readonly scale: number;
  /** Stored rounded to `spec.decimals` (seed 002 rounds the win rate); otherwise as computed. */
  readonly round: boolean;
}

export interface StatisticSpec<M extends string = string> {
  /** e.g. `champion`: names the statistic in reports and in the sink's mapping. */
  readonly name: string;
  readonly description: string;
  readonly dataset: DatasetName;
  /** The table a SQL sink keeps it in unless the scenario names another. */
  readonly table: string;
  /** The output field (text) rows are grouped by. */
  readonly groupBy: string;
  /** The output field (a timestamp, epoch ms) whose window a row counts in. */
  readonly eventTime: string;
  readonly windowMs: number;
  readonly measures: Readonly<Record<M, Measure>>;
  readonly fields: Readonly<Record<string, StatisticField<M>>>;
}

/** The name of the window column in a statistic's sink: the window's start, null on a group's total row. */
export const WINDOW_START = 'window_start';

/**
 * Declares a statistic over a dataset's output, with the output fields it reads and the measures its
 * fields are derived from checked by the compiler.
 */
export function defineStatistic<F extends Fields, M extends string>(
  output: DatasetOutput<F>,
  spec: Omit<StatisticSpec<M>, 'dataset' | 'groupBy' | 'eventTime' | 'measures'> & {
    groupBy: keyof F & string;
    eventTime: keyof F & string;
    measures: Readonly<Record<M, Measure<keyof F & string>>>;
  },
): StatisticSpec<M> {
  return { ...spec, dataset: output.dataset };
}

export const measure = {
  count: (): Measure<never> => ({ kind: 'count' }),
  /** `decimals`: the field's declared rounding (a derived metric's 2), so its sum is a whole number of hundredths. */
  sum: <K extends string>(name: K, decimals = 0): Measure<K> => ({ kind: 'sum', field: name, decimals }),
};

export const statisticField = {
  /** A measure as it is: a whole number, compared exactly. */
  count: <M extends string>(description: string, of: M): StatisticField<M> => ({ spec: field.bigint(description), numerator: of, scale: 1, round: false }),
  /**
   * numerator x scale / denominator, held to half a unit of `decimals`. `round`: stored rounded to
   * them, as numeric; otherwise stored as computed, as real.
   */
  ratio: <M extends string>(
    description: string,
    numerator: M,
    denominator: M,
    options: { scale?: number; decimals: number; round?: boolean },
  ): StatisticField<M> => ({
    spec: options.round
      ? { ...field.numeric(description, 10, options.decimals), decimals: options.decimals }
      : { type: 'real', nullable: false, description, decimals: options.decimals },
    numerator,
    denominator,
    scale: options.scale ?? 1,
    round: options.round ?? false,
  }),
};

/** One statistic's figures for one group, in one window or in total, as a sink holds them. */
export interface StatisticsRow {
  /** The declared statistic's name, e.g. `champion`. */
  statistic: string;
  /** The group's value, e.g. a champion's name; null only in a sink that wrote none. */
  group: string | null;
  /** Start of the event-time window, epoch ms; null on the group's total row. */
  windowStartMs: number | null;
  /** The declared fields by their declared names, whatever the sink calls its columns; null where the sink holds NULL. */
  values: Readonly<Record<string, number | null>>;
}

export function windowStartOf(eventTimeMs: number, windowMs: number): number {
  return Math.floor(eventTimeMs / windowMs) * windowMs;
}

/** A measure's contribution of one row. */
export function measureValue(m: Measure, row: OutputRow): number {
  if (m.kind === 'count') return 1;
  const value = row[m.field];
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value !== 'number') return 0;
  return m.decimals === 0 ? value : Math.round(value * 10 ** m.decimals);
}

/** What a measure's sum counts in: 10^decimals units make one (100 for a sum in hundredths). */
export function measureUnit(m: Measure): number {
  return m.kind === 'sum' ? 10 ** m.decimals : 1;
}

/** The declared fields from a group's measures. */
export function deriveFields(statistic: StatisticSpec, measures: Readonly<Record<string, number>>): Record<string, number> {
  const values: Record<string, number> = {};
  for (const [name, f] of Object.entries(statistic.fields)) {
    const numerator = measures[f.numerator] ?? 0;
    const unit = measureUnit(statistic.measures[f.numerator]!);
    const value = f.denominator === undefined ? (numerator * f.scale) / unit : (numerator * f.scale) / ((measures[f.denominator] ?? 0) * unit);
    values[name] = f.round ? roundTo(value, f.spec.decimals ?? 0) : value;
  }
  return values;
}

/**
 * The one computation of a statistic from output rows: add rows (a weight of 2 counts a row twice),
 * then read every group's windows and total. Holds a few numbers per group and window, never rows.
 */
export class StatisticsAccumulator {
  private readonly measures: [string, Measure][];
  private readonly groups = new Map<string, { group: string; windowStartMs: number | null; sums: number[] }>();

  constructor(readonly statistic: StatisticSpec) {
    this.measures = Object.entries(statistic.measures);
  }

  add(row: OutputRow, weight = 1): void {
    const { groupBy, eventTime, windowMs } = this.statistic;
    const group = String(row[groupBy]);
    const window = windowStartOf(row[eventTime] as number, windowMs);
    for (const windowStartMs of [window, null]) {
      const key = `${windowStartMs ?? 'total'}\u0000${group}`;
      let entry = this.groups.get(key);
      if (!entry) this.groups.set(key, (entry = { group, windowStartMs, sums: this.measures.map(() => 0) }));
      for (let i = 0; i < this.measures.length; i++) entry.sums[i]! += weight * measureValue(this.measures[i]![1], row);
    }
  }

  rows(): StatisticsRow[] {
    return [...this.groups.values()].map(({ group, windowStartMs, sums }) => ({
      statistic: this.statistic.name,
      group,
      windowStartMs,
      values: deriveFields(this.statistic, Object.fromEntries(this.measures.map(([name], i) => [name, sums[i]!]))),
    }));
  }
}

/** A statistic over `rows`, every window and every total: the pure function behind the verifier's truth. */
export function statisticsOf(statistic: StatisticSpec, rows: Iterable<OutputRow>, weight: (row: OutputRow) => number = () => 1): StatisticsRow[] {
  const accumulator = new StatisticsAccumulator(statistic);
  for (const row of rows) accumulator.add(row, weight(row));
  return accumulator.rows();
}

/** Identifies a statistics row: its statistic, window (or total) and group. */
export function statisticsKey(row: Pick<StatisticsRow, 'statistic' | 'group' | 'windowStartMs'>): string {
  return `${row.statistic}\u0000${row.windowStartMs ?? 'total'}\u0000${row.group ?? '\u0000null'}`;
}

/** A statistics row's identity for people: `champion "Ahri" in 2026-01-01T00:05:00.000Z` or `... in total`. */
export function describeGroup(row: Pick<StatisticsRow, 'statistic' | 'group' | 'windowStartMs'>): string {
  const at = row.windowStartMs;
  const window = at === null ? 'total' : Math.abs(at) <= MAX_DATE_MS ? `window ${new Date(at).toISOString()}` : `window ${at}`;
  return `${row.statistic} ${row.group === null ? 'NULL' : JSON.stringify(row.group)} ${window}`;
}

/** The largest epoch ms a Date can show. */
const MAX_DATE_MS = 8.64e15;
