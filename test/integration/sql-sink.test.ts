import { afterEach, describe, expect, it } from 'vitest';
import { HarnessError } from '../../core/errors.ts';
import type { SqlClient } from '../../connectors/sinks/sql/client.ts';
import { qualified } from '../../connectors/sinks/sql/ddl.ts';
import { SqlSinkReader } from '../../connectors/sinks/sql/reader.ts';
import type { SqlSinkSpec } from '../../connectors/sinks/sql/spec.ts';
import { SqlSinkWriter } from '../../connectors/sinks/sql/writer.ts';
import type { EcommerceRow } from '../../pipeline/rules/ecommerce-output.ts';
import type { SinkBatch } from '../../pipeline/sink.ts';
import type { DeadLetterRow, SinkRow } from '../../verifier/sink-reader.ts';
import { dropSchema } from '../helpers/postgres.ts';
import { backends, freshSinkSpec } from '../helpers/sinks.ts';

const AT = Date.UTC(2026, 0, 1, 0, 0, 0, 123);

const event = (id: string, price: number | null = 9.99): EcommerceRow => ({
  event_id: id,
  user_id: 'USER_000001',
  product_id: 'PROD_000001',
  product_name: 'Lamp, "tall"',
  product_category: 'Home & Garden',
  event_type: price === null ? 'view' : 'purchase',
  price,
  event_timestamp: AT,
});

function batch(ids: string[], position: number, extra: Partial<SinkBatch> = {}): SinkBatch {
  return {
    dataset: 'ecommerce',
    rows: ids.map((id) => event(id)),
    producedAtMs: ids.map(() => AT + 1000),
    deadLetters: [],
    checkpoint: { source: 'ecommerce-000001.csv', position, done: false },
    ...extra,
  };
}

describe.each(backends)('SQL sink writer and reader on $name', ({ open }) => {
  let spec: SqlSinkSpec;
  let sink: SqlSinkWriter;
  let reader: SqlSinkReader;
  let client: SqlClient;

  async function start(unique = true): Promise<void> {
    client = await open();
    spec = freshSinkSpec();
    sink = new SqlSinkWriter(client, { spec, datasets: ['ecommerce'], reset: true, uniqueKeys: unique, uniqueDeadLetters: unique });
    reader = new SqlSinkReader(client, spec);
    await sink.connect();
    await sink.connect(); // idempotent
  }

  async function rows(): Promise<SinkRow[]> {
    const out: SinkRow[] = [];
    await reader.scanRows('ecommerce', (page) => out.push(...page));
    return out;
  }

  async function letters(): Promise<DeadLetterRow[]> {
    const out: DeadLetterRow[] = [];
    await reader.scanDeadLetters('ecommerce', (page) => out.push(...page));
    return out;
  }

  afterEach(async () => {
    await sink?.close();
    await dropSchema(spec.schema);
  });

  it('reads back every declared field as it was written, with the timing columns', async () => {
    await start();
    await sink.writeBatch({ ...batch([], 2), rows: [event('a'), event('v', null)], producedAtMs: [AT + 1000, AT + 2000] });
    const back = (await rows()).sort((x, y) => String(x.values.event_id).localeCompare(String(y.values.event_id)));
    expect(back.map((r) => r.values)).toEqual([event('a'), event('v', null)]);
    expect(back.map((r) => r.producedAtMs)).toEqual([AT + 1000, AT + 2000]);
    expect(back[0]?.ingestedAtMs).toBeGreaterThanOrEqual(Date.now() - 60_000);
    expect(await reader.count('ecommerce')).toBe(2);
  });

  it('streams a table larger than one page', async () => {
    await start();
    const ids = Array.from({ length: 25_000 }, (_, i) => `e${i}`);
    await sink.writeBatch(batch(ids, 25_001));
    let pages = 0;
    let seen = 0;
    await reader.scanRows('ecommerce', (page) => {
      pages++;
      seen += page.length;
    });
    expect({ pages, seen }).toEqual({ pages: 3, seen: 25_000 });
  });

  it('lands a duplicate once, within a batch and across batches (seed 001 test case 4)', async () => {
    await start();
    expect((await sink.writeBatch(batch(['a', 'b', 'a'], 4))).inserted).toBe(2);
    expect((await sink.writeBatch(batch(['b', 'c'], 6))).inserted).toBe(1);
    expect((await rows()).map((r) => r.values.event_id).sort()).toEqual(['a', 'b', 'c']);
  });

  it('without unique keys lets a key land twice (how duplicate-write faults are injected)', async () => {
    await start(false);
    await sink.writeBatch(batch(['a', 'a'], 3));
    expect((await rows()).length).toBe(2);
  });

  it('commits rows, dead letters with their exact bytes, and the checkpoint together', async () => {
    await start();
    const raw = Buffer.from([0x65, 0xc3, 0x28, 0x2c]);
    await sink.writeBatch(
      batch(['a'], 3, { deadLetters: [{ source: 'ecommerce-000001.csv', position: 3, recordIndex: null, reason: 'invalid_utf8', detail: 'bad bytes', raw }] }),
    );
    const checkpoints = await sink.checkpoints('ecommerce');
    expect(checkpoints.get('ecommerce-000001.csv')).toEqual({ source: 'ecommerce-000001.csv', position: 3, done: false });
    expect(await letters()).toEqual([{ source: 'ecommerce-000001.csv', position: 3, recordIndex: null, reason: 'invalid_utf8', raw }]);
  });

  it('keeps nothing of a batch that fails half way, checkpoint included', async () => {
    await start();
    await sink.writeBatch(batch(['a'], 2));
    const broken = batch(['b'], 9, { rows: [event('b', 1e12)] });
    await expect(sink.writeBatch(broken)).rejects.toThrow();
    expect((await rows()).map((r) => r.values.event_id)).toEqual(['a']);
    expect((await sink.checkpoints('ecommerce')).get('ecommerce-000001.csv')?.position).toBe(2);
  });

  it('names a missing table and a missing column as configuration errors (exit 2)', async () => {
    await start();
    const missingTable = new SqlSinkReader(client, { ...spec, tables: { ...spec.tables, ecommerce: 'no_such_table' } });
    const tableError = await missingTable.checkLayout('ecommerce').catch((error: unknown) => error);
    expect(tableError).toBeInstanceOf(HarnessError);
    expect((tableError as HarnessError).exitCode).toBe(2);
    expect((tableError as HarnessError).message).toContain(`${spec.schema}.no_such_table`);
    await client.exec(`ALTER TABLE ${qualified(spec.schema, spec.tables.ecommerce)} DROP COLUMN price`);
    const columnError = await reader.checkLayout('ecommerce').catch((error: unknown) => error);
    expect((columnError as HarnessError).exitCode).toBe(2);
    expect((columnError as HarnessError).message).toContain('"price" (numeric(10,2))');
  });
});
