import { HarnessError, messageOf } from '../../../core/errors.ts';
import type { DatasetName } from '../../../generators/generator.ts';
import type { FieldSpec, OutputRow } from '../../../pipeline/output.ts';
import { datasetRules } from '../../../pipeline/rules/index.ts';
import type { DeadLetterRow, SinkReader, SinkRow } from '../../../verifier/sink-reader.ts';
import { ident, literal, type SqlClient } from './client.ts';
import { parseBytea } from './copy-text.ts';
import { deadLetterColumns, qualified, sqlType, timingColumns } from './ddl.ts';
import type { SqlSinkSpec } from './spec.ts';

/** Rows per page fetched from the cursor: large enough to amortise round trips, small enough to stay flat. */
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

/** Reads a run's SQL sink for the verifier, a page at a time: a COPY stream from a PostgreSQL server, a server-side cursor in PGlite. */
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
    const output = datasetRules[dataset].output;
    const wanted: [string, string][] = [
      ...Object.entries(output.fields).map(([name, f]): [string, string] => [name, sqlType(f)]),
      ...timingColumns.map((name): [string, string] => [name, 'timestamptz']),
    ];
    await this.requireColumns(this.spec.tables[dataset], wanted, `the ${dataset} rows`);
    await this.requireColumns(this.spec.tables.dlq, deadLetterColumns.map((name) => [name, name === 'raw' ? 'bytea' : 'text']), 'the dead letters');
  }

  private async requireColumns(table: string, wanted: [string, string][], what: string): Promise<void> {
    const { rows } = await this.query<{ column_name: string }>(
      'SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2',
      [this.spec.schema, table],
      qualified(this.spec.schema, table),
    );
    const where = `${this.spec.schema}.${table} on ${this.client.description}`;
    if (rows.length === 0) {
      throw new HarnessError('config', `table ${where} does not exist: nothing holds ${what}. Create the tables with \`harness sink init\` (or let the pipeline create them), or point sink.schema / sink.tables at yours`);
    }
    const present = new Set(rows.map((r) => r.column_name));
    const missing = wanted.filter(([name]) => !present.has(name));
    if (missing.length > 0) {
      throw new HarnessError('config', `table ${where} has no column ${missing.map(([name, type]) => `"${name}" (${type})`).join(', ')}: the verifier reads every declared field; see docs/external-pipeline.md`);
    }
  }

  async count(dataset: DatasetName): Promise<number> {
    const { rows } = await this.query<{ n: number }>(`SELECT count(*)::float8 AS n FROM ${this.table(dataset)}`, [], this.table(dataset));
    return rows[0]?.n ?? 0;
  }

  async scanRows(dataset: DatasetName, onPage: (rows: SinkRow[]) => void): Promise<void> {
    const fields = Object.entries(datasetRules[dataset].output.fields);
    const select = [
      ...fields.map(([name, f], i) => `${selectExpression(name, f)} AS c${i}`),
      `${selectExpression('produced_at', null)} AS p`,
      `${selectExpression('ingested_at', null)} AS i`,
    ].join(', ');
    const names = fields.map(([name]) => name);
    if (this.client.copyOut) {
      const kinds = fields.map(([, f]) => f.type);
      const n = names.length;
      let page: SinkRow[] = [];
      await this.copy(`SELECT ${select} FROM ${this.table(dataset)}`, this.table(dataset), (row) => {
        const values: Record<string, string | number | boolean | null> = {};
        for (let c = 0; c < n; c++) {
          const text = row[c];
          const kind = kinds[c];
          values[names[c] as string] = text === null || text === undefined ? null : kind === 'text' ? text : kind === 'boolean' ? text === 't' : Number(text);
        }
        page.push({ values, producedAtMs: numberOrNull(row[n]), ingestedAtMs: numberOrNull(row[n + 1]) });
        if (page.length >= COPY_PAGE_ROWS) {
          onPage(page);
          page = [];
        }
      });
      if (page.length > 0) onPage(page);
      return;
    }
    await this.scan<Record<string, unknown>>(`SELECT ${select} FROM ${this.table(dataset)}`, [], this.table(dataset), (page) => {
      onPage(
        page.map((r) => {
          const values: Record<string, string | number | boolean | null> = {};
          for (let c = 0; c < names.length; c++) values[names[c] as string] = r[`c${c}`] as OutputRow[string];
          return { values, producedAtMs: r.p as number | null, ingestedAtMs: r.i as number | null };
        }),
      );
    });
  }

  async scanDeadLetters(dataset: DatasetName, onPage: (letters: DeadLetterRow[]) => void): Promise<void> {
    if (this.client.copyOut) {
      let page: DeadLetterRow[] = [];
      await this.copy(`SELECT source, position, record_index, reason, raw FROM ${this.table('dlq')} WHERE dataset = ${literal(dataset)}`, this.table('dlq'), (row) => {
        const [source, position, recordIndex, reason, raw] = row;
        page.push({
          source: source ?? '',
          position: Number(position),
          recordIndex: numberOrNull(recordIndex),
          reason: reason ?? '',
          raw: raw === null || raw === undefined ? Buffer.alloc(0) : parseBytea(raw),
        });
        if (page.length >= COPY_PAGE_ROWS) {
          onPage(page);
          page = [];
        }
      });
      if (page.length > 0) onPage(page);
      return;
    }
    await this.scan<{ source: string; position: string | number; record_index: string | number | null; reason: string; raw: Uint8Array }>(
      `SELECT source, position, record_index, reason, raw FROM ${this.table('dlq')} WHERE dataset = $1`,
      [dataset],
      this.table('dlq'),
      (page) =>
        onPage(
          page.map((r) => ({
            source: r.source,
            position: Number(r.position),
            recordIndex: r.record_index === null ? null : Number(r.record_index),
            reason: r.reason,
            raw: Buffer.from(r.raw.buffer, r.raw.byteOffset, r.raw.byteLength),
          })),
        ),
    );
  }

  private async scan<R extends Record<string, unknown>>(sql: string, params: unknown[], table: string, onPage: (rows: R[]) => void): Promise<void> {
    try {
      await this.client.scan<R>(sql, params, PAGE_ROWS, onPage);
    } catch (error) {
      throw readError(error, table, this.client.description);
    }
  }

  private async copy(sql: string, table: string, onRow: (fields: readonly (string | null)[]) => void): Promise<void> {
    try {
      await this.client.copyOut?.(sql, onRow);
    } catch (error) {
      throw readError(error, table, this.client.description);
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

function numberOrNull(text: string | null | undefined): number | null {
  return text === null || text === undefined ? null : Number(text);
}

/** A failed read is the sink's fault (unreachable) unless it is about the tables themselves. */
function readError(error: unknown, table: string, where: string): HarnessError {
  if (error instanceof HarnessError) return error;
  const code = (error as { code?: string }).code;
  // SQLSTATE class 42: a missing table or column, a type mismatch: the layout is wrong.
  const layout = typeof code === 'string' && code.startsWith('42');
  return new HarnessError(layout ? 'config' : 'unreachable', `cannot read ${table} on ${where}: ${messageOf(error)}`, { cause: error });
}
