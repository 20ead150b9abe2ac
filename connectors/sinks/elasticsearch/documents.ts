import { createHash } from 'node:crypto';
import type { DatasetName } from '../../../generators/generator.ts';
import type { DatasetOutput, FieldSpec, OutputRow } from '../../../pipeline/output.ts';
import { rowKey } from '../../../pipeline/rules/rules.ts';
import type { DeadLetter } from '../../../pipeline/sink.ts';
import { EVENT_TIME, eventTimeField } from './mapping.ts';

/**
 * Documents as the sink writes them and reads them back. Written: the declared fields as the rules
 * made them (times as epoch ms), produced_at, and @timestamp = the event time; `ingested_at` is
 * added by the cluster's ingest pipeline. Read: whatever a pipeline wrote, turned into the row view
 * every check expects (times as epoch ms, numbers as numbers), so the checks run unchanged.
 */

/** Elasticsearch refuses an `_id` longer than 512 bytes. */
const MAX_ID_BYTES = 512;

/** A deterministic `_id` for a key: the key itself, or its SHA-256 when too long to be one. */
export function documentId(key: string): string {
  return Buffer.byteLength(key) <= MAX_ID_BYTES ? key : `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

/** The `_id` of a row: its key fields joined by ':' (match_id:participant_id, event_id), so a replay overwrites it. */
export function rowId(output: DatasetOutput, row: OutputRow): string {
  return documentId(rowKey(output, row));
}

/** A row's document. */
export function rowDocument(output: DatasetOutput, row: OutputRow, producedAtMs: number, eventField = eventTimeField(output)): Record<string, unknown> {
  const doc: Record<string, unknown> = { ...row, produced_at: producedAtMs };
  if (eventField !== null) doc[EVENT_TIME] = row[eventField];
  return doc;
}

/** The `_id` of a dead letter: one per source position, as the SQL table's UNIQUE (dataset, source, position). */
export function deadLetterId(dataset: DatasetName, letter: Pick<DeadLetter, 'source' | 'position'>): string {
  return documentId(`${dataset}:${letter.source}:${letter.position}`);
}

export function deadLetterDocument(dataset: DatasetName, letter: DeadLetter, atMs: number): Record<string, unknown> {
  return {
    dataset,
    source: letter.source,
    position: letter.position,
    record_index: letter.recordIndex,
    reason: letter.reason,
    detail: letter.detail,
    raw: letter.raw.toString('base64'),
    dead_lettered_at: atMs,
  };
}

export function checkpointId(dataset: DatasetName, source: string): string {
  return documentId(`${dataset}:${source}`);
}

/**
 * A time as a document holds it (epoch ms as a number or digits, or an ISO 8601 string, as the
 * ingest pipeline writes `ingested_at` with nanoseconds), as epoch ms; null when absent or unreadable.
 */
export function epochMs(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'string' || value === '') return null;
  if (/^-?\d+$/.test(value)) return Number(value);
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

/**
 * A field's value from `_source`, as the verifier compares it. Elasticsearch stores `_source` as
 * sent and coerces only for indexing, so a value of another JSON type is converted the way the
 * mapping would read it ("12" for an integer is 12); what cannot be read so is handed on as text,
 * and the values check reports it.
 */
export function sourceValue(field: FieldSpec, value: unknown): OutputRow[string] {
  if (value === undefined || value === null) return null;
  switch (field.type) {
    case 'text':
      return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
    case 'boolean':
      if (typeof value === 'boolean') return value;
      return value === 'true' ? true : value === 'false' ? false : JSON.stringify(value);
    case 'timestamp':
      return epochMs(value) ?? JSON.stringify(value);
    default: {
      if (typeof value === 'number') return value;
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
      return Number.isNaN(n) ? JSON.stringify(value) : n;
    }
  }
}
