import type { DatasetName } from '../../generators/generator.ts';
import { ident } from './client.ts';

/** A column of a sink table: its SQL type, and how a text parameter is cast into it. */
export interface Column {
  name: string;
  type: string;
}

/**
 * The layout of a dataset's sink table. The reference pipeline writes it and the verifier reads
 * it; `produced_at` and `ingested_at` follow the data columns in every table.
 */
export interface TableLayout {
  dataset: DatasetName;
  columns: readonly Column[];
  /** Columns whose values together identify a record: the dedup key and the verifier's key. */
  key: readonly string[];
}

export const tableLayouts: Record<DatasetName, TableLayout> = {
  ecommerce: {
    dataset: 'ecommerce',
    key: ['event_id'],
    columns: [
      { name: 'event_id', type: 'text' },
      { name: 'user_id', type: 'text' },
      { name: 'product_id', type: 'text' },
      { name: 'product_name', type: 'text' },
      { name: 'product_category', type: 'text' },
      { name: 'event_type', type: 'text' },
      { name: 'price', type: 'numeric(10,2)' },
      { name: 'event_timestamp', type: 'timestamptz' },
    ],
  },
  lol: {
    dataset: 'lol',
    key: ['match_id', 'participant_id'],
    columns: [
      { name: 'match_id', type: 'text' },
      { name: 'participant_id', type: 'integer' },
      { name: 'game_creation', type: 'timestamptz' },
      { name: 'game_duration', type: 'integer' },
      { name: 'summoner_name', type: 'text' },
      { name: 'champion_name', type: 'text' },
      { name: 'team_id', type: 'integer' },
      { name: 'position', type: 'text' },
      { name: 'win', type: 'boolean' },
      { name: 'kills', type: 'integer' },
      { name: 'deaths', type: 'integer' },
      { name: 'assists', type: 'integer' },
      { name: 'kda', type: 'real' },
      { name: 'total_damage_dealt', type: 'bigint' },
      { name: 'gold_earned', type: 'integer' },
      { name: 'cs', type: 'integer' },
      { name: 'vision_score', type: 'integer' },
      { name: 'gold_per_minute', type: 'real' },
      { name: 'damage_per_minute', type: 'real' },
      { name: 'cs_per_minute', type: 'real' },
    ],
  },
};

/** Columns every sink table carries after its data columns. */
export const timingColumns: readonly Column[] = [
  { name: 'produced_at', type: 'timestamptz' },
  { name: 'ingested_at', type: 'timestamptz' },
];

export function qualified(schema: string, table: string): string {
  return `${ident(schema)}.${ident(table)}`;
}

/** DDL of a sink table; without `unique`, nothing stops a key landing twice (used to inject faults). */
export function createTableSql(schema: string, table: string, layout: TableLayout, unique: boolean): string {
  const columns = [...layout.columns, ...timingColumns].map((c) => `${ident(c.name)} ${c.type}`);
  if (unique) columns.push(`PRIMARY KEY (${layout.key.map(ident).join(', ')})`);
  return `CREATE TABLE IF NOT EXISTS ${qualified(schema, table)} (${columns.join(', ')})`;
}

/** SQL expression of a row's key, as the verifier compares keys: parts joined by ':'. */
export function keySql(layout: TableLayout): string {
  return layout.key.length === 1 ? `${ident(layout.key[0] as string)}::text` : `concat_ws(':', ${layout.key.map(ident).join(', ')})`;
}

export function createDeadLetterTableSql(schema: string, table: string): string {
  return `CREATE TABLE IF NOT EXISTS ${qualified(schema, table)} (
    id bigserial PRIMARY KEY,
    dataset text NOT NULL,
    source text NOT NULL,
    position bigint NOT NULL,
    record_index bigint,
    reason text NOT NULL,
    detail text NOT NULL,
    raw bytea NOT NULL,
    dead_lettered_at timestamptz NOT NULL,
    UNIQUE (dataset, source, position)
  )`;
}

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
