import type { SqlClient } from '../connectors/sql/client.ts';
import { keySql, qualified, tableLayouts } from '../connectors/sql/tables.ts';
import type { DatasetName } from '../generators/generator.ts';
import type { SinkSpec } from '../scenarios/schema.ts';
import type { DeadLetterRow, SinkRow } from './check.ts';
import { HarnessError, messageOf } from '../core/errors.ts';

/** Reads what a dataset's sink table and the dead-letter table hold, in the verifier's terms. */
export async function readSinkRows(client: SqlClient, spec: SinkSpec, dataset: DatasetName): Promise<SinkRow[]> {
  const table = qualified(spec.schema, spec.tables[dataset]);
  const { rows } = await query<{ key: string; p: number; i: number }>(
    client,
    `SELECT ${keySql(tableLayouts[dataset])} AS key,
            (extract(epoch FROM produced_at) * 1000)::float8 AS p,
            (extract(epoch FROM ingested_at) * 1000)::float8 AS i
     FROM ${table}`,
    [],
    table,
  );
  return rows.map((r) => ({ key: r.key, producedAtMs: r.p, ingestedAtMs: r.i }));
}

export async function readDeadLetters(client: SqlClient, spec: SinkSpec, dataset: DatasetName): Promise<DeadLetterRow[]> {
  const table = qualified(spec.schema, spec.tables.dlq);
  const { rows } = await query<{ source: string; position: string | number; record_index: string | number | null; reason: string }>(
    client,
    `SELECT source, position, record_index, reason FROM ${table} WHERE dataset = $1`,
    [dataset],
    table,
  );
  return rows.map((r) => ({
    source: r.source,
    position: Number(r.position),
    recordIndex: r.record_index === null ? null : Number(r.record_index),
    reason: r.reason,
  }));
}

async function query<R extends Record<string, unknown>>(client: SqlClient, sql: string, params: unknown[], table: string) {
  try {
    return await client.query<R>(sql, params);
  } catch (error) {
    throw new HarnessError('config', `cannot read ${table} on ${client.description}: ${messageOf(error)}`, { cause: error });
  }
}
