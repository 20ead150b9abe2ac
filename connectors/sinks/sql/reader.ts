import { HarnessError, messageOf } from '../../../core/errors.ts';
import type { DatasetName } from '../../../generators/generator.ts';
import { rowBuilder, type FieldSpec } from '../../../pipeline/output.ts';
import { outputOf } from '../../../pipeline/rules/outputs.ts';
import { WINDOW_START } from '../../../pipeline/statistics.ts';
import type { DeadLetterRow, SinkReader, SinkRow, StatisticsRow } from '../../readers.ts';
import { ident, literal, type CopyQuery, type SqlClient } from './client.ts';
import { parseBytea } from './copy-text.ts';
import { deadLetterColumns, qualified, sqlType, timingColumns } from './ddl.ts';
import type { SqlSinkSpec } from './spec.ts';
import { statisticsTables } from './statistics.ts';

/** Rows per page fetched from a cursor (statistics): large enough to amortise round trips, small enough to stay flat. */
const PAGE_ROWS = 10_000;
/** Rows per page handed on from a COPY stream: no round trips to amortise, so small pages that die young. */
const COPY_PAGE_ROWS = 500;

/**
 * Selects a field as the verifier compares it: times as epoch ms, numbers as float8.
 *
 * Times go through float8 seconds rounded to whole microseconds: as exact as `extract(epoch ...)`
 * (which computes in numeric and costs twice as much on the server), where `date_part('epoch', c) * 1000`
 * alone is off by an ulp for about one whole millisecond in 500.
 */
function selectExpression(name: string, field: FieldSpec | null): string {
  const column = ident(name);
  if (field === null || field.type === 'timestamp') return `round(date_part('epoch', ${column}) * 1000000) / 1000`;
  if (field.type === 'numeric' || field.type === 'bigint') return `${column}::float8`;
  return column;
}

/** Reads a run's SQL sink for the verifier, a page at a time, through COPY (a stream from a PostgreSQL server, ranges of blocks in PGlite); statistics, a few rows, through a cursor. */
export class SqlSinkReader implements SinkReader {
  constructor(
    private readonly client: SqlClient,
    private readonly spec: SqlSinkSpec,
  ) {}

  get description(): string {
    return this.client.description;
  }

  private table(dataset: DatasetName | 'dlq'): string {
    return qualified(this.spec.schema, this.spec.tables[dataset]);
  }

  async checkLayout(dataset: DatasetName): Promise<void> {
    const output = outputOf(dataset);
    const wanted: [string, string][] = [
      ...Object.entries(output.fields).map(([name, f]): [string, string] => [name, sqlType(f)]),
      ...timingColumns.map((name): [string, string] => [name, 'timestamptz']),
    ];
    await this.requireColumns(this.spec.tables[dataset], wanted, `the ${dataset} rows`, TABLES_HINT);
    await this.requireColumns(
      this.spec.tables.dlq,
      deadLetterColumns.map((name) => [name, name === 'raw' ? 'bytea' : 'text']),
      'the dead letters',
      TABLES_HINT,
    );
  }

  private async requireColumns(table: string, wanted: [string, string][], what: string, hint: string): Promise<void> {
    const { rows } = await this.query<{ column_name: string }>(
      'SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2',
      [this.spec.schema, table],
      qualified(this.spec.schema, table),
    );
    const where = `${this.spec.schema}.${table} on ${this.client.description}`;
    if (rows.length === 0) {
      throw new HarnessError(
        'config',
        `table ${where} does not exist: nothing holds ${what}. Create the tables with \`harness sink init\` (or let the pipeline create them), ${hint}`,
      );
    }
    const present = new Set(rows.map((r) => r.column_name));
    const missing = wanted.filter(([name]) => !present.has(name));
    if (missing.length > 0) {
      throw new HarnessError(
        'config',
        `table ${where} has no column ${missing.map(([name, type]) => `"${name}" (${type})`).join(', ')}: the verifier reads every declared field; see docs/external-pipeline.md`,
      );
    }
  }

  async count(dataset: DatasetName): Promise<number> {
    const { rows } = await this.query<{ n: number }>(`SELECT count(*)::float8 AS n FROM ${this.table(dataset)}`, [], this.table(dataset));
    return rows[0]?.n ?? 0;
  }

  async scanRows(dataset: DatasetName, onPage: (rows: SinkRow[]) => void): Promise<void> {
    const fields = Object.entries(outputOf(dataset).fields);
    const select = [
      ...fields.map(([name, f], i) => `${selectExpression(name, f)} AS c${i}`),
      `${selectExpression('produced_at', null)} AS p`,
      `${selectExpression('ingested_at', null)} AS i`,
    ].join(', ');
    const names = fields.map(([name]) => name);
    const kinds = fields.map(([, f]) => f.type);
    const n = names.length;
    const build = rowBuilder(names);
    const parsed = Array.from<string | number | boolean | null>({ length: n }).fill(null);
    let page: SinkRow[] = [];
    await this.copy({ select, from: this.table(dataset) }, (row) => {
      for (let c = 0; c < n; c++) {
        const text = row[c];
        const kind = kinds[c];
        parsed[c] = text === null || text === undefined ? null : kind === 'text' ? text : kind === 'boolean' ? text === 't' : Number(text);
      }
      const produced = row[n];
      const ingested = row[n + 1];
      page.push({
        values: build(parsed),
        producedAtMs: produced === null || produced === undefined ? null : Number(produced),
        ingestedAtMs: ingested === null || ingested === undefined ? null : Number(ingested),
      });
      if (page.length >= COPY_PAGE_ROWS) {
        onPage(page);
        page = [];
      }
    });
    if (page.length > 0) onPage(page);
  }

  statisticsWhere(dataset: DatasetName): string | null {
    const tables = statisticsTables(this.spec, dataset);
    return tables === null ? null : tables.map((t) => `${this.spec.schema}.${t.table}`).join(', ');
  }

  async scanStatistics(dataset: DatasetName, onPage: (rows: StatisticsRow[]) => void): Promise<void> {
    for (const t of statisticsTables(this.spec, dataset) ?? []) {
      const { statistic } = t;
      const fields = Object.entries(statistic.fields);
      const wanted: [string, string][] = [
        [t.column(statistic.groupBy), 'text'],
        [t.column(WINDOW_START), 'timestamptz'],
        ...fields.map(([name, f]): [string, string] => [t.column(name), sqlType(f.spec)]),
      ];
      await this.requireColumns(t.table, wanted, `the ${statistic.name} statistics of ${dataset}`, STATISTICS_HINT);
      const select = [
        `${ident(t.column(statistic.groupBy))}::text AS g`,
        `${selectExpression(t.column(WINDOW_START), null)} AS w`,
        ...fields.map(([name], i) => `${ident(t.column(name))}::float8 AS c${i}`),
      ].join(', ');
      const table = qualified(this.spec.schema, t.table);
      await this.scan<Record<string, unknown>>(`SELECT ${select} FROM ${table}`, [], table, (page) =>
        onPage(
          page.map((r) => ({
            statistic: statistic.name,
            group: r.g === null || r.g === undefined ? null : String(r.g as string | number),
            windowStartMs: numberOrNull(r.w),
            values: Object.fromEntries(fields.map(([name], i) => [name, numberOrNull(r[`c${i}`])])),
          })),
        ),
      );
    }
  }

  async scanDeadLetters(dataset: DatasetName, onPage: (letters: DeadLetterRow[]) => void): Promise<void> {
    let page: DeadLetterRow[] = [];
    await this.copy(
      {
        select: `source, position, record_index, reason, raw, ${selectExpression('dead_lettered_at', null)}`,
        from: this.table('dlq'),
        where: `dataset = ${literal(dataset)}`,
      },
      (row) => {
        const [source, position, recordIndex, reason, raw, at] = row;
        page.push({
          source: source ?? '',
          position: Number(position),
          recordIndex: numberOrNull(recordIndex),
          reason: reason ?? '',
          raw: raw === null || raw === undefined ? Buffer.alloc(0) : parseBytea(raw),
          ingestedAtMs: numberOrNull(at),
        });
        if (page.length >= COPY_PAGE_ROWS) {
          onPage(page);
          page = [];
        }
      },
    );
    if (page.length > 0) onPage(page);
  }

  private async scan<R extends Record<string, unknown>>(sql: string, params: unknown[], table: string, onPage: (rows: R[]) => void): Promise<void> {
    try {
      await this.client.scan<R>(sql, params, PAGE_ROWS, onPage);
    } catch (error) {
      throw readError(error, table, this.client.description);
    }
  }

  private async copy(query: CopyQuery, onRow: (fields: readonly (string | null)[]) => void): Promise<void> {
    try {
      await this.client.copyOut(query, onRow);
    } catch (error) {
      throw readError(error, query.from, this.client.description);
    }
  }

  private async query<R extends Record<string, unknown>>(sql: string, params: unknown[], table: string) {
    try {
      return await this.client.query<R>(sql, params);
    } catch (error) {
      throw readError(error, table, this.client.description);
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

function numberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

const TABLES_HINT = 'or point sink.schema / sink.tables at yours';
const STATISTICS_HINT = 'or point sink.statistics at yours (tables and column names), or set `sink.statistics: false` when your pipeline keeps none';

/** A failed read is the sink's fault (unreachable) unless it is about the tables themselves. */
function readError(error: unknown, table: string, where: string): HarnessError {
  if (error instanceof HarnessError) return error;
  const code = (error as { code?: string }).code;
  // SQLSTATE class 42: a missing table or column, a type mismatch: the layout is wrong.
  const layout = typeof code === 'string' && code.startsWith('42');
  return new HarnessError(layout ? 'config' : 'unreachable', `cannot read ${table} on ${where}: ${messageOf(error)}`, { cause: error });
}
