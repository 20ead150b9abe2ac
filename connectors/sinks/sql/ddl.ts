import type { DatasetOutput, FieldSpec } from '../../../pipeline/output.ts';
import { ident } from './client.ts';

/** The SQL type of a declared field. */
export function sqlType(field: FieldSpec): string {
  switch (field.type) {
    case 'text':
      return 'text';
    case 'integer':
      return 'integer';
    case 'bigint':
      return 'bigint';
    case 'numeric':
      return `numeric(${field.precision ?? 18},${field.scale ?? 0})`;
    case 'real':
      return 'real';
    case 'boolean':
      return 'boolean';
    case 'timestamp':
      return 'timestamptz';
  }
}

/** Columns every sink table carries after its data columns: when the record was sent, and when the row landed. */
export const timingColumns = ['produced_at', 'ingested_at'] as const;

export function qualified(schema: string, table: string): string {
  return `${ident(schema)}.${ident(table)}`;
}

/**
 * DDL of a dataset's table, from its declared output. Without `unique` nothing stops a key landing
 * twice (only for injecting faults).
 */
export function createTableSql(schema: string, table: string, output: DatasetOutput, unique: boolean): string {
  const columns = Object.entries(output.fields).map(([name, f]) => `${ident(name)} ${sqlType(f)}${f.nullable ? '' : ' NOT NULL'}`);
  columns.push(...timingColumns.map((name) => `${ident(name)} timestamptz NOT NULL`));
  if (unique) columns.push(`PRIMARY KEY (${output.key.map(ident).join(', ')})`);
  return `CREATE TABLE IF NOT EXISTS ${qualified(schema, table)} (${columns.join(', ')})`;
}

/**
 * The session's staging table for a dataset's batches: its data columns and `produced_at`, typed but
 * unconstrained, so COPY parses each value once and the key is enforced where the rows land. A
 * temporary table lives as long as its session (each pooled connection has its own), and is emptied
 * at every commit. Times travel as epoch milliseconds (bigint) and become timestamptz in the INSERT
 * (`fromStaged`): parsing ISO text in COPY cost PGlite 1.3 us a value, the arithmetic less than half.
 */
export function stagingTable(table: string): string {
  return `pg_temp.${ident(`harness_stage_${table}`)}`;
}

export function createStagingTableSql(table: string, output: DatasetOutput): string {
  const columns = Object.entries(output.fields).map(([name, f]) => `${ident(name)} ${stagedType(f)}`);
  columns.push(`${ident(timingColumns[0])} bigint`);
  return `CREATE TEMPORARY TABLE IF NOT EXISTS ${stagingTable(table)} (${columns.join(', ')}) ON COMMIT DELETE ROWS`;
}

function stagedType(field: FieldSpec): string {
  return field.type === 'timestamp' ? 'bigint' : sqlType(field);
}

/** A staged column as its table's value: epoch milliseconds to timestamptz, exactly (whole microseconds); NULL stays NULL. */
export function fromStaged(column: string, field: FieldSpec | 'timestamp'): string {
  const type = field === 'timestamp' ? field : field.type;
  return type === 'timestamp' ? `(timestamptz 'epoch' + ${ident(column)} * interval '1 millisecond')` : ident(column);
}

/** The dead-letter table; without `unique` a dead letter can be written twice (only for injecting faults). */
export function createDeadLetterTableSql(schema: string, table: string, unique: boolean): string {
  return `CREATE TABLE IF NOT EXISTS ${qualified(schema, table)} (
    id bigserial PRIMARY KEY,
    dataset text NOT NULL,
    source text NOT NULL,
    position bigint NOT NULL,
    record_index bigint,
    reason text NOT NULL,
    detail text NOT NULL,
    raw bytea NOT NULL,
    dead_lettered_at timestamptz NOT NULL${unique ? ',\n    UNIQUE (dataset, source, position)' : ''}
  )`;
}

/** Columns of the dead-letter table the verifier reads. */
export const deadLetterColumns = ['dataset', 'source', 'position', 'record_index', 'reason', 'raw'] as const;

export const CHECKPOINT_TABLE = 'harness_checkpoints';

export function createCheckpointTableSql(schema: string): string {
  return `CREATE TABLE IF NOT EXISTS ${qualified(schema, CHECKPOINT_TABLE)} (
    dataset text NOT NULL,
    source text NOT NULL,
    position bigint NOT NULL,
    done boolean NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (dataset, source)
  )`;
}
