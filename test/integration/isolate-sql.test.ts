import { afterEach, describe, expect, it } from 'vitest';
import type { SqlClient } from '../../connectors/sinks/sql/client.ts';
import { CHECKPOINT_TABLE, qualified } from '../../connectors/sinks/sql/ddl.ts';
import { SqlSinkWriter } from '../../connectors/sinks/sql/writer.ts';
import { writeIsolating, type IsolatingBatch } from '../../pipeline/isolate.ts';
import type { OutputRow } from '../../pipeline/output.ts';
import type { SourceRecord } from '../../pipeline/source.ts';
import type { SqlSinkSpec as SinkSpec } from '../../connectors/sinks/sql/spec.ts';
import { dropSchema } from '../helpers/postgres.ts';
import { backends, freshSinkSpec } from '../helpers/sinks.ts';

const AT = Date.UTC(2026, 0, 1);

function event(id: string, change: Partial<OutputRow> = {}): OutputRow {
  return {
    event_id: id,
    user_id: 'U',
    product_id: 'P',
    product_name: 'Lamp',
    product_category: 'Home',
    event_type: 'purchase',
    price: 9.99,
    event_timestamp: AT,
    ...change,
  };
}

/**
 * Rows past the rules (as a buggy rule set would hand them over) that the database itself refuses,
 * each with its own SQLSTATE: isolation must find exactly those records on both backends.
 */
describe.each(backends)('isolating what $name refuses', ({ open }) => {
  let client: SqlClient;
  let spec: SinkSpec;

  afterEach(async () => {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset if the first test failed before opening it
    await client?.close();
    await dropSchema(spec.schema);
  });

  it("dead-letters the refused records with the database's message and commits the rest, the checkpoint last", async () => {
    client = await open();
    spec = { ...freshSinkSpec(), reset: false };
    const sink = new SqlSinkWriter(client, { spec, datasets: ['ecommerce'], reset: false, uniqueKeys: true, uniqueDeadLetters: true });
    await sink.connect();
    const poison: Record<number, Partial<OutputRow>> = {
      5: { product_name: 'La\u0000mp' }, // 22021: NUL in text
      17: { price: 99_999_999_999.99 }, // 22003: numeric field overflow
      18: { price: 'abc' }, // 22P02: invalid input syntax
    };
    const records: SourceRecord[] = Array.from({ length: 30 }, (_, i) => ({
      bytes: Buffer.from(`line ${i}`),
      source: 'f.csv',
      position: i + 2,
      producedAtMs: AT,
      recordIndex: null,
    }));
    const rows = records.map((_, i) => event(`e${i}`, poison[i] ?? {}));
    const batch: IsolatingBatch = {
      dataset: 'ecommerce',
      rows,
      producedAtMs: rows.map(() => AT),
      deadLetters: [{ source: 'f.csv', position: 100, recordIndex: null, reason: 'column_count', detail: 'x', raw: Buffer.from('bad') }],
      checkpoint: { source: 'f.csv', position: 31, done: true },
      records: [...records, { bytes: Buffer.from('bad'), source: 'f.csv', position: 100, producedAtMs: AT, recordIndex: null }],
      rowRecords: rows.map((_, i) => i),
      letterRecords: [30],
    };
    const parts: boolean[] = [];
    const result = await writeIsolating(
      batch,
      (part) => {
        parts.push(part.checkpoint !== null);
        return sink.writeBatch(part);
      },
      { classify: (error) => sink.classify(error) },
    );
    expect(result.refused.map((r) => r.record)).toEqual([5, 17, 18]);
    expect(result.inserted).toBe(27);
    // The whole batch (refused), the parts without a checkpoint, the last part with it.
    expect(parts[0]).toBe(true);
    expect(parts.slice(1, -1).every((p) => !p)).toBe(true);
    expect(parts.at(-1)).toBe(true);

    const { rows: landed } = await client.query<{ n: number }>(`SELECT count(*)::float8 AS n FROM ${qualified(spec.schema, spec.tables.ecommerce)}`);
    expect(landed[0]?.n).toBe(27);
    const { rows: letters } = await client.query<{ position: string | number; reason: string; detail: string; raw: Uint8Array }>(
      `SELECT position, reason, detail, raw FROM ${qualified(spec.schema, spec.tables.dlq)} ORDER BY position`,
    );
    expect(letters.map((l) => [Number(l.position), l.reason, Buffer.from(l.raw).toString()])).toEqual([
      [7, 'sink_rejected', 'line 5'],
      [19, 'sink_rejected', 'line 17'],
      [20, 'sink_rejected', 'line 18'],
      [100, 'column_count', 'bad'],
    ]);
    expect(letters[1]?.detail).toMatch(/numeric field overflow/);
    expect(letters[2]?.detail).toMatch(/invalid input syntax/);
    const { rows: checkpoints } = await client.query<{ position: string | number; done: boolean }>(
      `SELECT position, done FROM ${qualified(spec.schema, CHECKPOINT_TABLE)}`,
    );
    expect(checkpoints.map((c) => [Number(c.position), c.done])).toEqual([[31, true]]);
  });
});
