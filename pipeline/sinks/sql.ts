import type { SqlClient, SqlQueryable } from '../../connectors/sql/client.ts';
import { ident } from '../../connectors/sql/client.ts';
import {
  CHECKPOINT_TABLE,
  createCheckpointTableSql,
  createDeadLetterTableSql,
  createTableSql,
  qualified,
  tableLayouts,
  timingColumns,
} from '../../connectors/sql/tables.ts';
import type { DatasetName } from '../../generators/generator.ts';
import type { SinkSpec } from '../../scenarios/schema.ts';
import type { Checkpoint, Sink, SinkBatch } from '../sink.ts';

export interface SqlSinkOptions {
  spec: SinkSpec;
  datasets: readonly DatasetName[];
  /** Without unique keys nothing absorbs a second write: only for injecting faults. */
  uniqueKeys: boolean;
}

/**
 * PostgreSQL (server or PGlite) as the sink. Exactly-once by design: each batch's rows (INSERT ..
 * ON CONFLICT DO NOTHING against the key), dead letters and source checkpoint commit in one
 * transaction, so a crash either keeps all of a batch or none of it, and a replay adds nothing.
 */
export class SqlSink implements Sink {
  private connected = false;

  constructor(
    private readonly client: SqlClient,
    private readonly options: SqlSinkOptions,
  ) {}

  get description(): string {
    return this.client.description;
  }

  async connect(): Promise<void> {
    if (this.connected) return;
    const { schema, tables, reset } = this.options.spec;
    const statements = [`CREATE SCHEMA IF NOT EXISTS ${ident(schema)}`];
    if (reset) {
      const names = [...this.options.datasets.map((d) => tables[d]), tables.dlq, CHECKPOINT_TABLE];
      statements.push(...names.map((name) => `DROP TABLE IF EXISTS ${qualified(schema, name)}`));
    }
    for (const dataset of this.options.datasets) {
      statements.push(createTableSql(schema, tables[dataset], tableLayouts[dataset], this.options.uniqueKeys));
    }
    statements.push(createDeadLetterTableSql(schema, tables.dlq), createCheckpointTableSql(schema));
    await this.client.exec(statements.join(';\n'));
    this.connected = true;
  }

  async checkpoints(dataset: DatasetName): Promise<Map<string, Checkpoint>> {
    const { rows } = await this.client.query<{ source: string; position: string | number; done: boolean }>(
      `SELECT source, position, done FROM ${qualified(this.options.spec.schema, CHECKPOINT_TABLE)} WHERE dataset = $1`,
      [dataset],
    );
    return new Map(rows.map((r) => [r.source, { source: r.source, position: Number(r.position), done: r.done }]));
  }

  async writeBatch(batch: SinkBatch): Promise<{ inserted: number }> {
    const ingestedAt = new Date().toISOString();
    return this.client.transaction(async (tx) => {
      const inserted = batch.rows.length > 0 ? await this.insertRows(tx, batch, ingestedAt) : 0;
      if (batch.deadLetters.length > 0) await this.insertDeadLetters(tx, batch, ingestedAt);
      await tx.query(
        `INSERT INTO ${qualified(this.options.spec.schema, CHECKPOINT_TABLE)} (dataset, source, position, done, updated_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (dataset, source) DO UPDATE SET position = EXCLUDED.position, done = EXCLUDED.done, updated_at = EXCLUDED.updated_at`,
        [batch.dataset, batch.checkpoint.source, batch.checkpoint.position, batch.checkpoint.done, ingestedAt],
      );
      return { inserted };
    });
  }

  /** One statement a batch: each column travels as a text array and is cast in SQL. */
  private async insertRows(tx: SqlQueryable, batch: SinkBatch, ingestedAt: string): Promise<number> {
    const layout = tableLayouts[batch.dataset];
    const columns = [...layout.columns, ...timingColumns.slice(0, 1)];
    const params: unknown[][] = columns.map(() => new Array<unknown>(batch.rows.length));
    batch.rows.forEach((row, r) => {
      for (let c = 0; c < layout.columns.length; c++) {
        const value = row[c];
        (params[c] as unknown[])[r] = value === null || value === undefined ? null : String(value);
      }
      (params[layout.columns.length] as unknown[])[r] = new Date(batch.producedAtMs[r] as number).toISOString();
    });
    const names = [...columns.map((c) => ident(c.name)), ident('ingested_at')].join(', ');
    const casts = columns.map((c, i) => `c${i}::${c.type}`).join(', ');
    const unnest = columns.map((_, i) => `$${i + 1}::text[]`).join(', ');
    const aliases = columns.map((_, i) => `c${i}`).join(', ');
    const result = await tx.query(
      `INSERT INTO ${qualified(this.options.spec.schema, this.options.spec.tables[batch.dataset])} (${names})
       SELECT ${casts}, $${columns.length + 1}::timestamptz FROM unnest(${unnest}) AS u(${aliases})
       ON CONFLICT DO NOTHING`,
      [...params, ingestedAt],
    );
    return result.affected;
  }

  private async insertDeadLetters(tx: SqlQueryable, batch: SinkBatch, at: string): Promise<void> {
    const letters = batch.deadLetters;
    await tx.query(
      `INSERT INTO ${qualified(this.options.spec.schema, this.options.spec.tables.dlq)}
         (dataset, source, position, record_index, reason, detail, raw, dead_lettered_at)
       SELECT $1, source, position, record_index, reason, detail, decode(raw, 'hex'), $2::timestamptz
       FROM unnest($3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::text[], $8::text[])
         AS u(source, position, record_index, reason, detail, raw)
       ON CONFLICT DO NOTHING`,
      [
        batch.dataset,
        at,
        letters.map((l) => l.source),
        letters.map((l) => l.position),
        letters.map((l) => l.recordIndex),
        letters.map((l) => l.reason),
        letters.map((l) => l.detail),
        letters.map((l) => l.raw.toString('hex')),
      ],
    );
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
