import { setImmediate } from 'node:timers/promises';
import type { DatasetName } from '../../../generators/generator.ts';
import type { DatasetOutput, OutputRow } from '../../../pipeline/output.ts';
import { datasetRules } from '../../../pipeline/rules/index.ts';
import type { Checkpoint, Sink, SinkBatch, SinkFailure } from '../../../pipeline/sink.ts';
import { ident, literal, type SqlClient, type SqlQueryable, type SqlTransaction } from './client.ts';
import { copyTextField } from './copy-text.ts';
import {
  CHECKPOINT_TABLE,
  createCheckpointTableSql,
  createDeadLetterTableSql,
  createStagingTableSql,
  createTableSql,
  fromStaged,
  qualified,
  stagingTable,
  timingColumns,
} from './ddl.ts';
import type { SqlSinkSpec } from './spec.ts';
import { classifySqlError, explainSqlRefusal } from './failures.ts';
import { statisticsKeepers } from '../statistics.ts';
import { StatisticsKeeper, statisticsTables, statisticsTableSql } from './statistics.ts';

export interface SqlWriterOptions {
  spec: SqlSinkSpec;
  datasets: readonly DatasetName[];
  /** Drop the tables first (a new run of the reference pipeline with `sink.reset`). */
  reset: boolean;
  /** Without unique keys nothing absorbs a second write: only for injecting faults. */
  uniqueKeys: boolean;
  /** Likewise for the dead-letter table. */
  uniqueDeadLetters: boolean;
  /** Share of records the statistics count twice: the injected fault `doubleCount`, 0 or absent otherwise. */
  doubleCount?: number;
}

/** The advisory lock class that serialises creating a schema's tables (lock.ts and statistics.ts have their own). */
const DDL_LOCK_CLASS = 0x4844444c; // "HDDL"

/**
 * The statements that create (and with `reset`, first drop) a run's tables, in order: what
 * `createTables` runs and `harness sink ddl` prints, so the two cannot differ.
 */
export function tableStatements(options: SqlWriterOptions): string[] {
  const { schema, tables } = options.spec;
  const statements = [`CREATE SCHEMA IF NOT EXISTS ${ident(schema)}`];
  const statistics = options.datasets.map((d) => statisticsTables(options.spec, d) ?? []);
  if (options.reset) {
    const names = [...options.datasets.map((d) => tables[d]), ...statistics.flat().map((t) => t.table), tables.dlq, CHECKPOINT_TABLE];
    statements.push(...names.map((name) => `DROP TABLE IF EXISTS ${qualified(schema, name)}`));
  }
  options.datasets.forEach((dataset, i) => {
    const kept = statistics[i]!;
    statements.push(createTableSql(schema, tables[dataset], datasetRules[dataset].output, options.uniqueKeys));
    statements.push(...kept.flatMap((t) => statisticsTableSql(schema, t)));
  });
  statements.push(createDeadLetterTableSql(schema, tables.dlq, options.uniqueDeadLetters), createCheckpointTableSql(schema));
  return statements;
}

/** Creates (and with `reset`, first drops) a run's tables: the writer's `connect` and `harness sink init`. */
export async function createTables(client: SqlClient, options: SqlWriterOptions): Promise<void> {
  // Several pipelines of one run start at once (a consumer group): two CREATE ... IF NOT EXISTS of
  // the same name at the same moment fail on the catalogue's unique index. The statements run as
  // one transaction (one simple query), which this lock makes one at a time per schema.
  const serialised = client.kind === 'postgres' ? [`SELECT pg_advisory_xact_lock(${DDL_LOCK_CLASS}, hashtext(${literal(options.spec.schema)}))`] : [];
  await client.exec([...serialised, ...tableStatements(options)].join(';\n'));
}

/**
 * PostgreSQL (server or PGlite) as the sink. Exactly-once by design: each batch's rows (COPY into
 * a staging table, then INSERT .. SELECT .. ON CONFLICT DO NOTHING against the key) with the
 * statistics of the rows it inserted (see statistics.ts), dead letters and source checkpoint commit
 * in one transaction, so a crash either keeps all of a batch or none of it, and a replay adds nothing.
 */
export class SqlSinkWriter implements Sink {
  private connected = false;
  /** COPY text of batches encoded ahead (prepare), by their rows: a write takes its batch's and drops it. */
  private readonly encoded = new WeakMap<readonly OutputRow[], Buffer>();
  private readonly statistics: Partial<Record<DatasetName, StatisticsKeeper>>;

  constructor(
    private readonly client: SqlClient,
    private readonly options: SqlWriterOptions,
  ) {
    this.statistics = statisticsKeepers(
      options.datasets,
      (dataset) => statisticsTables(options.spec, dataset),
      (dataset, tables) =>
        new StatisticsKeeper(options.spec.schema, options.spec.tables[dataset], datasetRules[dataset].output, tables, options.doubleCount ?? 0),
    );
  }

  get description(): string {
    return this.client.description;
  }

  async connect(): Promise<void> {
    if (this.connected) return;
    await createTables(this.client, this.options);
    this.connected = true;
  }

  async checkpoints(dataset: DatasetName): Promise<Map<string, Checkpoint>> {
    const { rows } = await this.client.query<{ source: string; position: string | number; done: boolean }>(
      `SELECT source, position, done FROM ${qualified(this.options.spec.schema, CHECKPOINT_TABLE)} WHERE dataset = $1`,
      [dataset],
    );
    return new Map(rows.map((r) => [r.source, { source: r.source, position: Number(r.position), done: r.done }]));
  }

  /** Encodes the batch's rows for COPY ahead of its write (see Sink.prepare), yielding between slices. */
  async prepare(batch: SinkBatch): Promise<void> {
    if (batch.rows.length === 0) return;
    const output: DatasetOutput = datasetRules[batch.dataset].output;
    let text = '';
    for (let at = 0; at < batch.rows.length; at += ENCODE_SLICE) {
      if (at > 0) await setImmediate();
      text += copyText(output, batch, at, Math.min(at + ENCODE_SLICE, batch.rows.length));
    }
    this.encoded.set(batch.rows, Buffer.from(text));
  }

  /**
   * Every statement of the batch is sent before any reply is awaited: PGlite's thread (or the
   * server) runs them back to back instead of idling for this thread between them. The first
   * failure is what rejects; the statements after it fail with the transaction.
   */
  async writeBatch(batch: SinkBatch): Promise<{ inserted: number }> {
    const ingestedAt = new Date().toISOString();
    return this.client.transaction(async (tx) => {
      const steps: Promise<unknown>[] = [];
      const inserted = batch.rows.length > 0 ? this.insertRows(tx, batch, ingestedAt, steps) : Promise.resolve(0);
      if (batch.deadLetters.length > 0) steps.push(this.insertDeadLetters(tx, batch, ingestedAt));
      // A part of a refused batch being isolated carries no checkpoint: its last part does. Never
      // moved back: a member of a consumer group that lost the partition may still commit a batch
      // of it after the new owner committed more (its rows are duplicates the key absorbs).
      if (batch.checkpoint) {
        const table = qualified(this.options.spec.schema, CHECKPOINT_TABLE);
        steps.push(
          tx.query(
            `INSERT INTO ${table} (dataset, source, position, done, updated_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (dataset, source) DO UPDATE SET position = EXCLUDED.position, done = EXCLUDED.done, updated_at = EXCLUDED.updated_at
             WHERE ${table}.position <= EXCLUDED.position`,
            [batch.dataset, batch.checkpoint.source, batch.checkpoint.position, batch.checkpoint.done, ingestedAt],
          ),
        );
      }
      const [count] = await Promise.all([inserted, ...steps]);
      return { inserted: count };
    });
  }

  /**
   * The batch's rows travel by COPY, the cheapest way in (binding them as text arrays cost twice the
   * server's time, and more on the client: see README, Benchmarks), into the session's staging
   * table; one INSERT .. SELECT moves them to the table, where the key absorbs a replay. The
   * statements go out at once (see writeBatch): `steps` gets those whose result is not the count.
   */
  private insertRows(tx: SqlTransaction, batch: SinkBatch, ingestedAt: string, steps: Promise<unknown>[]): Promise<number> {
    const output: DatasetOutput = datasetRules[batch.dataset].output;
    const table = this.options.spec.tables[batch.dataset];
    const stage = stagingTable(table);
    const names = [...Object.keys(output.fields), timingColumns[0]];
    steps.push(tx.query(createStagingTableSql(table, output)));
    // A part of a refused batch (isolate.ts) has rows of its own, not encoded ahead.
    steps.push(tx.copyIn(stage, names, this.encoded.get(batch.rows) ?? copyText(output, batch, 0, batch.rows.length)));
    this.encoded.delete(batch.rows);
    const staged = [...Object.entries(output.fields).map(([name, f]) => fromStaged(name, f)), fromStaged(timingColumns[0], 'timestamp')];
    const insert = `INSERT INTO ${qualified(this.options.spec.schema, table)} (${names.map(ident).join(', ')}, ${ident(timingColumns[1])})
       SELECT ${staged.join(', ')}, $1::timestamptz FROM ${stage}
       ON CONFLICT DO NOTHING`;
    const statistics = this.statistics[batch.dataset];
    if (!statistics) return tx.query(insert, [ingestedAt]).then((result) => result.affected);
    // The statistics take what this very INSERT inserted: rows the key absorbed never count.
    steps.push(statistics.lock(tx));
    const counted = statistics.statement(insert, [ingestedAt], batch.rows);
    return tx.query<{ n: number }>(counted.sql, counted.params).then(({ rows }) => rows[0]?.n ?? 0);
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

  classify(error: unknown): SinkFailure {
    return classifySqlError(error);
  }

  explainRefusal(error: unknown): string {
    return explainSqlRefusal(error);
  }

  async recomputeStatistics(dataset: DatasetName): Promise<string[]> {
    const keeper = this.statistics[dataset];
    if (!keeper) return [];
    const counted = await this.client.transaction((tx) => keeper.recompute(tx));
    return counted.map(({ table, rows }) => `${table}: ${rows} rows recomputed from ${this.options.spec.schema}.${this.options.spec.tables[dataset]}`);
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

export { classifySqlError } from './failures.ts';

/** Rows encoded between two turns of the event loop, as validation is (see run-pipeline.ts). */
const ENCODE_SLICE = 1024;

/** Rows [from, to) of a batch and their send times as COPY text, in the staging table's column order (times as epoch ms). */
function copyText(output: DatasetOutput, batch: SinkBatch, from: number, to: number): string {
  const fields = Object.entries(output.fields);
  let text = '';
  for (let r = from; r < to; r++) {
    const row = batch.rows[r] as OutputRow;
    for (const [name, f] of fields) {
      const value = row[name];
      text += value === null || value === undefined ? '\\N' : f.type === 'timestamp' ? String(value) : copyTextField(String(value));
      text += '\t';
    }
    // A file's modification time has a fraction of a millisecond; the column keeps whole ones, as Date does.
    text += `${Math.trunc(batch.producedAtMs[r] as number)}\n`;
  }
  return text;
}
