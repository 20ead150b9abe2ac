import { afterEach, describe, expect, it } from 'vitest';
import type { SqlClient } from '../../connectors/sql/client.ts';
import { qualified } from '../../connectors/sql/tables.ts';
import type { SinkBatch } from '../../pipeline/sink.ts';
import { SqlSink } from '../../pipeline/sinks/sql.ts';
import type { SinkSpec } from '../../scenarios/schema.ts';
import { readDeadLetters, readSinkRows } from '../../verifier/sink-reader.ts';
import { dropSchema } from '../helpers/postgres.ts';
import { backends, freshSinkSpec } from '../helpers/sinks.ts';

const event = (id: string, price: string | null = '9.99') => [id, 'USER_000001', 'PROD_000001', 'Lamp', 'Home & Garden', price ? 'purchase' : 'view', price, '2026-01-01T00:00:00.000Z'];

function batch(ids: string[], position: number, extra: Partial<SinkBatch> = {}): SinkBatch {
  return {
    dataset: 'ecommerce',
    rows: ids.map((id) => event(id)),
    producedAtMs: ids.map(() => Date.UTC(2026, 0, 1)),
    deadLetters: [],
    checkpoint: { source: 'ecommerce-000001.csv', position, done: false },
    ...extra,
  };
}

describe.each(backends)('SQL sink on $name', ({ open }) => {
  let client: SqlClient;
  let spec: SinkSpec;
  let sink: SqlSink;

  async function start(uniqueKeys = true): Promise<void> {
    client = await open();
    spec = freshSinkSpec();
    sink = new SqlSink(client, { spec, datasets: ['ecommerce'], uniqueKeys });
    await sink.connect();
    await sink.connect(); // idempotent
  }

  afterEach(async () => {
    await sink?.close();
    await dropSchema(spec.schema);
  });

  it('lands a duplicate once, within a batch and across batches (seed 001 test case 4)', async () => {
    await start();
    expect((await sink.writeBatch(batch(['a', 'b', 'a'], 4))).inserted).toBe(2);
    expect((await sink.writeBatch(batch(['b', 'c'], 6))).inserted).toBe(1);
    const rows = await readSinkRows(client, spec, 'ecommerce');
    expect(rows.map((r) => r.key).sort()).toEqual(['a', 'b', 'c']);
    expect(rows[0]?.ingestedAtMs).toBeGreaterThanOrEqual(rows[0]?.producedAtMs ?? Infinity);
  });

  it('without unique keys lets a key land twice (how duplicate-write faults are injected)', async () => {
    await start(false);
    await sink.writeBatch(batch(['a', 'a'], 3));
    expect((await readSinkRows(client, spec, 'ecommerce')).length).toBe(2);
  });

  it('commits rows, dead letters and the checkpoint together', async () => {
    await start();
    const raw = Buffer.from([0x65, 0xc3, 0x28, 0x2c]);
    await sink.writeBatch(
      batch(['a'], 3, { deadLetters: [{ source: 'ecommerce-000001.csv', position: 3, recordIndex: null, reason: 'invalid_utf8', detail: 'bad bytes', raw }] }),
    );
    const checkpoints = await sink.checkpoints('ecommerce');
    expect(checkpoints.get('ecommerce-000001.csv')).toEqual({ source: 'ecommerce-000001.csv', position: 3, done: false });
    expect(await readDeadLetters(client, spec, 'ecommerce')).toEqual([{ source: 'ecommerce-000001.csv', position: 3, recordIndex: null, reason: 'invalid_utf8' }]);
    const { rows } = await client.query<{ raw: Uint8Array }>(`SELECT raw FROM ${qualified(spec.schema, spec.tables.dlq)}`);
    expect(Buffer.from(rows[0]!.raw)).toEqual(raw);
  });

  it('keeps nothing of a batch that fails half way, checkpoint included', async () => {
    await start();
    await sink.writeBatch(batch(['a'], 2));
    const broken = batch(['b'], 9, { rows: [event('b', 'not-a-price')] });
    await expect(sink.writeBatch(broken)).rejects.toThrow();
    expect((await readSinkRows(client, spec, 'ecommerce')).map((r) => r.key)).toEqual(['a']);
    expect((await sink.checkpoints('ecommerce')).get('ecommerce-000001.csv')?.position).toBe(2);
  });
});
