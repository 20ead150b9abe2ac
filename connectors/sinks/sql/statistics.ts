import type { DatasetName } from '../../../generators/generator.ts';
import { faultHits } from '../../../pipeline/faults.ts';
import type { DatasetOutput, OutputRow } from '../../../pipeline/output.ts';
import { measureUnit, WINDOW_START, type Measure, type StatisticField, type StatisticSpec } from '../../../pipeline/statistics.ts';
import { keptStatistics, measureColumn } from '../statistics.ts';
import { ident, type SqlQueryable } from './client.ts';
import { qualified, sqlType } from './ddl.ts';
import type { SqlSinkSpec } from './spec.ts';

/**
 * A dataset's declared statistics (pipeline/statistics.ts) in a SQL sink: one table per statistic,
 * one row per group and window, and one per group with `window_start` NULL for its total.
 * Columns: the group, `window_start`, the declared fields, then the reference pipeline's measures
 * (`sum_<measure>`, see ../statistics.ts: the exact counts and sums the fields are derived from;
 * nullable, and never read by the verifier, so a pipeline of your own may leave them out).
 */

/** A declared statistic where a SQL sink keeps it: its table, and the column of each declared name. */
export interface StatisticsTable {
  readonly statistic: StatisticSpec;
  readonly table: string;
  /** The column of the group field, `window_start` or a declared field, as the scenario maps it. */
  column(name: string): string;
}

/** The dataset's statistics tables (none when it declares none), or null when the scenario says the pipeline keeps none (`statistics: false`). */
export function statisticsTables(spec: SqlSinkSpec, dataset: DatasetName): StatisticsTable[] | null {
  const kept = keptStatistics(spec.statistics, dataset, (entry) => ({ where: entry.table, names: entry.columns }));
  return kept?.map(({ statistic, where, name }) => ({ statistic, table: where, column: name })) ?? null;
}

/** DDL of a statistic's table, and of the unique keys that allow one row per group and window, and one total. */
export function statisticsTableSql(schema: string, t: StatisticsTable): string[] {
  const { statistic } = t;
  const table = qualified(schema, t.table);
  const group = ident(t.column(statistic.groupBy));
  const window = ident(t.column(WINDOW_START));
  const columns = [
    `${group} text NOT NULL`,
    `${window} timestamptz`,
    ...Object.entries(statistic.fields).map(([name, f]) => `${ident(t.column(name))} ${sqlType(f.spec)} NOT NULL`),
    ...Object.entries(statistic.measures).map(([name, m]) => `${ident(measureColumn(name, m))} bigint`),
  ];
  return [
    `CREATE TABLE IF NOT EXISTS ${table} (${columns.join(', ')})`,
    // Two keys, because a unique key treats NULLs as distinct (before PostgreSQL 15's NULLS NOT DISTINCT).
    `CREATE UNIQUE INDEX IF NOT EXISTS ${ident(`${t.table}_window_key`)} ON ${table} (${group}, ${window})`,
    `CREATE UNIQUE INDEX IF NOT EXISTS ${ident(`${t.table}_total_key`)} ON ${table} (${group}) WHERE ${window} IS NULL`,
  ];
}

/** The advisory lock class that serialises a dataset's statistics updates (lock.ts's schema lock has its own). */
const STATISTICS_LOCK_CLASS = 0x48535441; // "HSTA"

/**
 * Keeps a dataset's statistics in step with its rows, in the statement that inserts them: the rows
 * the INSERT actually inserted (its RETURNING, so never a row the key absorbed: a replayed batch, a
 * duplicate match) are summed per group and window and per group in total, and added to the
 * measures, each field derived again from them. The statistics then always equal those of the rows
 * table, exactly (measures are whole numbers), and a batch costs what its own rows cost, whatever
 * a window holds. Recomputing the batch's windows from the rows table instead costs what the
 * windows hold: 5 minutes of matches at 500/s is 1.5M rows, and over the main job's 20,000 matches
 * it already took the pipeline from 2.9-3.0k to 0.9-1.2k matches/s on PGlite (1.5-1.7k on the
 * server), against 2.2-2.4k (2.6-3.2k) this way.
 *
 * Writers of one dataset take a transaction advisory lock first, so concurrent pipelines (a
 * consumer group) add to the same statistics rows one after the other instead of deadlocking.
 *
 * `doubleCount` (an injected fault, 0 in any real run): the share of records, by `faultHits` on
 * their record key, whose rows the statistics count twice.
 */
export class StatisticsKeeper {
  /** The rows table's columns the statistics read from the inserted rows. */
  private readonly returning: string;
  /** The statements that add the inserted rows `i` to every statistic, as WITH items; the same every batch. */
  private readonly upserts: string;

  constructor(
    private readonly schema: string,
    private readonly rowsTable: string,
    private readonly output: DatasetOutput,
    private readonly tables: readonly StatisticsTable[],
    private readonly doubleCount: number,
  ) {
    const columns = new Set([output.recordKey]);
    for (const { statistic } of tables) {
      columns.add(statistic.groupBy).add(statistic.eventTime);
      for (const m of Object.values(statistic.measures)) if (m.kind === 'sum') columns.add(m.field);
    }
    this.returning = [...columns].map(ident).join(', ');
    this.upserts = this.upsertsWeighted(null);
  }

  /** The WITH items that add the inserted rows `i` to every statistic, each row times `weight`. */
  private upsertsWeighted(weight: string | null): string {
    return this.tables.flatMap((t, n) => upserts(this.schema, this.output, t, weight).map((sql, k) => `s${n}_${k} AS (${sql})`)).join(', ');
  }

  /** Takes the dataset's statistics lock for the rest of the transaction. */
  async lock(tx: SqlQueryable): Promise<void> {
    await tx.query(`SELECT pg_advisory_xact_lock(${STATISTICS_LOCK_CLASS}, hashtext($1))`, [`${this.schema}.${this.rowsTable}`]);
  }

  /**
   * Rebuilds every statistic from the whole rows table (`harness pipeline --recompute-statistics`),
   * the repair for statistics that drifted from their rows (written by hand, an older harness, a
   * bug): emptied, then summed again by the same statements a batch runs, over every row, each
   * counted once (the doubleCount fault is an injected one: a rebuild counts what the table holds).
   * Under the dataset's statistics lock, so a writer's batch lands wholly before or after it.
   * Returns each table with the rows it now holds.
   */
  async recompute(tx: SqlQueryable): Promise<{ table: string; rows: number }[]> {
    await this.lock(tx);
    for (const t of this.tables) await tx.query(`DELETE FROM ${qualified(this.schema, t.table)}`);
    await tx.query(`WITH i AS (SELECT ${this.returning} FROM ${qualified(this.schema, this.rowsTable)}), ${this.upserts} SELECT count(*)::int AS n FROM i`);
    const counted: { table: string; rows: number }[] = [];
    for (const t of this.tables) {
      const { rows } = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${qualified(this.schema, t.table)}`);
      counted.push({ table: `${this.schema}.${t.table}`, rows: rows[0]?.n ?? 0 });
    }
    return counted;
  }

  /**
   * `insert` (an INSERT of rows with `params.length` parameters, without RETURNING) made into one
   * statement that also adds its inserted rows to the statistics, and returns how many it inserted
   * as `n`.
   */
  statement(insert: string, params: readonly unknown[], rows: readonly OutputRow[]): { sql: string; params: unknown[] } {
    const statement = (upserts: string) => `WITH i AS (${insert} RETURNING ${this.returning}), ${upserts} SELECT count(*)::int AS n FROM i`;
    if (this.doubleCount === 0) return { sql: statement(this.upserts), params: [...params] };
    // The batch's records the fault picks, as one more parameter: their rows count twice.
    const keys = [...new Set(rows.map((row) => String(row[this.output.recordKey])))];
    const doubled = keys.filter((key) => faultHits('doubleCount', this.doubleCount, key));
    const weight = `(CASE WHEN i.${ident(this.output.recordKey)} = ANY($${params.length + 1}::text[]) THEN 2 ELSE 1 END)`;
    return { sql: statement(this.upsertsWeighted(weight)), params: [...params, doubled] };
  }
}

/**
 * For one statistic: add the inserted rows `i` to their groups' windows, and to their totals (two
 * statements, as each conflicts on its own key).
 */
function upserts(schema: string, output: DatasetOutput, t: StatisticsTable, weight: string | null): [string, string] {
  const { statistic } = t;
  const table = qualified(schema, t.table);
  const group = ident(t.column(statistic.groupBy));
  const window = ident(t.column(WINDOW_START));
  const measures = Object.entries(statistic.measures);
  const fields = Object.entries(statistic.fields);
  const column = (name: string) => ident(measureColumn(name, statistic.measures[name]!));
  const columns = [group, window, ...fields.map(([name]) => ident(t.column(name))), ...measures.map(([name]) => column(name))].join(', ');
  const index = (name: string) => measures.findIndex(([m]) => m === name);
  const unit = (name: string) => measureUnit(statistic.measures[name]!);
  const derived = fields.map(([, f]) => derivedSql(f, unit, (m) => `s.m${index(m)}`)).join(', ');
  const sums = measures.map(([, m], i) => `${measureSql(m, output, weight)} AS m${i}`).join(', ');
  const ms = measures.map((_, i) => `s.m${i}`).join(', ');
  // On conflict: the measures add up, and every field is derived again from the sums.
  const added = (name: string) => `(t.${column(name)} + EXCLUDED.${column(name)})`;
  const set = [
    ...measures.map(([name]) => `${column(name)} = ${added(name)}`),
    ...fields.map(([name, f]) => `${ident(t.column(name))} = ${derivedSql(f, unit, added)}`),
  ].join(', ');
  const groupOf = `i.${ident(statistic.groupBy)}::text`;
  const windowOf = `date_bin(interval '${statistic.windowMs} milliseconds', i.${ident(statistic.eventTime)}, timestamptz 'epoch')`;
  return [
    `INSERT INTO ${table} AS t (${columns})
     SELECT s.g, s.ws, ${derived}, ${ms} FROM (SELECT ${groupOf} AS g, ${windowOf} AS ws, ${sums} FROM i GROUP BY 1, 2) AS s
     ON CONFLICT (${group}, ${window}) DO UPDATE SET ${set}`,
    `INSERT INTO ${table} AS t (${columns})
     SELECT s.g, NULL::timestamptz, ${derived}, ${ms} FROM (SELECT ${groupOf} AS g, ${sums} FROM i GROUP BY 1) AS s
     ON CONFLICT (${group}) WHERE ${window} IS NULL DO UPDATE SET ${set}`,
  ];
}

/** A measure's sum over the inserted rows `i`, as statistics.ts's measureValue adds it up, times the row's weight. */
function measureSql(m: Measure, output: DatasetOutput, weight: string | null): string {
  if (m.kind === 'count') return weight ? `sum(${weight})::bigint` : 'count(*)::bigint';
  const column = `i.${ident(m.field)}`;
  const value = output.fields[m.field]?.type === 'boolean' ? `${column}::int` : m.decimals === 0 ? column : `round(${column}::float8 * ${10 ** m.decimals})`;
  return `sum(${weight ? `${weight} * ` : ''}${value})::bigint`;
}

/** A declared field from the measures, as statistics.ts's deriveFields computes it: one division of whole numbers. */
function derivedSql(f: StatisticField, unit: (measure: string) => number, measure: (name: string) => string): string {
  const numerator = measure(f.numerator);
  const divisor = f.denominator === undefined ? `${unit(f.numerator)}` : `(${measure(f.denominator)}::float8 * ${unit(f.numerator)})`;
  if (f.denominator === undefined && f.scale === 1 && unit(f.numerator) === 1) return numerator;
  const value = `(${numerator}::float8 * ${f.scale} / ${divisor})`;
  return f.round ? `round(${value}::numeric, ${f.spec.decimals ?? 0})` : value;
}
