import { afterEach, describe, expect, it } from 'vitest';
import { HarnessError } from '../../core/errors.ts';
import type { SqlClient } from '../../connectors/sinks/sql/client.ts';
import { qualified } from '../../connectors/sinks/sql/ddl.ts';
import { SqlSinkReader } from '../../connectors/sinks/sql/reader.ts';
import type { SqlSinkSpec } from '../../connectors/sinks/sql/spec.ts';
import { SqlSinkWriter } from '../../connectors/sinks/sql/writer.ts';
import type { EcommerceRow } from '../../pipeline/rules/ecommerce-output.ts';
import type { DeadLetter, SinkBatch } from '../../pipeline/sink.ts';
import type { DeadLetterRow, SinkRow } from '../../connectors/readers.ts';
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
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset if the first test failed before start()
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
    // Cursor pages hold 10,000 rows; COPY pages (the server) far fewer.
    expect(seen).toBe(25_000);
    expect(pages).toBeGreaterThanOrEqual(3);
  });

  it('copies a table of many block ranges out whole: every row once, holes and a filter kept', async () => {
    await start();
    const table = qualified(spec.schema, 'wide');
    // About 2,600 blocks of 8 KiB: PGlite reads it in many block ranges.
    await client.exec(
      `CREATE TABLE ${table} (id int, pad text); INSERT INTO ${table} SELECT i, repeat('x', 250) FROM generate_series(1, 80000) i; DELETE FROM ${table} WHERE id % 1000 = 0`,
    );
    const seen = new Uint8Array(80_001);
    let rowsOut = 0;
    await client.copyOut({ select: 'id', from: table, where: 'id % 2 = 1 OR id > 70000' }, (fields) => {
      rowsOut++;
      const id = Number(fields[0]);
      seen[id] = (seen[id] ?? 0) + 1;
    });
    const expected = Array.from({ length: 80_000 }, (_, i) => i + 1).filter((id) => id % 1000 !== 0 && (id % 2 === 1 || id > 70_000));
    expect(rowsOut).toBe(expected.length);
    expect(expected.every((id) => seen[id] === 1)).toBe(true);
    const {
      rows: [size],
    } = await client.query<{ blocks: number }>(`SELECT (pg_relation_size('${table}') / 8192)::float8 AS blocks`);
    expect(size?.blocks).toBeGreaterThan(2048);
  });

  it('reads awkward text back exactly: tabs, newlines, backslashes, unicode, empty string vs NULL, 1 MB', async () => {
    await start();
    // Both are read through COPY and our own parser: the server as a stream, PGlite in block ranges.
    const awkward = [
      'tab\there\t',
      'new\nline\r\nand\rreturn',
      'back\\slash \\N \\\\ \\t \\x41 \\101 ends with \\',
      '\\N',
      'N',
      '',
      ' ',
      'control \b\f\v\u0001\u001f\u007f',
      'unicode: é ü 日本語 🎉 \u00a0 \u2028 \ufeff',
      'quotes \' " , ; | ',
      'x'.repeat(1024 * 1024 - 7) + '\t\n\\é🎉',
    ];
    const written = awkward.map((name, i) => ({ ...event(`k${i}`), product_name: name, product_category: name }));
    await sink.writeBatch({ ...batch([], 2), rows: written, producedAtMs: written.map(() => AT + 1) });
    // A text column holding NULL reads as null, not as the empty string (or "\N").
    await client.exec(`ALTER TABLE ${qualified(spec.schema, spec.tables.ecommerce)} ALTER COLUMN product_name DROP NOT NULL`);
    await client.query(`UPDATE ${qualified(spec.schema, spec.tables.ecommerce)} SET product_name = NULL WHERE event_id = 'k5'`);
    const back = new Map((await rows()).map((r) => [r.values.event_id, r.values]));
    expect(back.size).toBe(awkward.length);
    awkward.forEach((name, i) => {
      expect(back.get(`k${i}`)).toEqual({ ...written[i], product_name: i === 5 ? null : name });
    });
    expect(back.get('k5')?.product_category).toBe('');
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
    const before = Date.now();
    await sink.writeBatch(
      batch(['a'], 3, { deadLetters: [{ source: 'ecommerce-000001.csv', position: 3, recordIndex: null, reason: 'invalid_utf8', detail: 'bad bytes', raw }] }),
    );
    const checkpoints = await sink.checkpoints('ecommerce');
    expect(checkpoints.get('ecommerce-000001.csv')).toEqual({ source: 'ecommerce-000001.csv', position: 3, done: false });
    const [letter] = await letters();
    // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- vitest types its asymmetric matchers (expect.any...) as any
    expect(letter).toEqual({ source: 'ecommerce-000001.csv', position: 3, recordIndex: null, reason: 'invalid_utf8', raw, ingestedAtMs: expect.any(Number) });
    // dead_lettered_at, for the series' dead letters per second: the time of the write.
    expect(letter?.ingestedAtMs).toBeGreaterThanOrEqual(before);
    expect(letter?.ingestedAtMs).toBeLessThanOrEqual(Date.now());
  });

  it('reads back dead letters holding every byte value 0..255, and awkward text in the source beside them', async () => {
    await start();
    const every = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const reversed = Buffer.from(every).reverse();
    const deadLetters: DeadLetter[] = [
      { source: 'a\tb\\c\nd.csv', position: 1, recordIndex: null, reason: 'invalid_utf8', detail: 'x', raw: every },
      { source: 'é🎉.csv', position: 2, recordIndex: 7, reason: 'csv_parse', detail: 'y', raw: reversed },
      { source: 's', position: 3, recordIndex: 0, reason: 'json_parse', detail: '', raw: Buffer.alloc(0) },
      { source: 's', position: 4, recordIndex: 1, reason: 'missing_field', detail: '', raw: Buffer.from('\\N\t\\\\x00\n', 'latin1') },
    ];
    await sink.writeBatch(batch(['a'], 5, { deadLetters }));
    const back = (await letters()).sort((x, y) => x.position - y.position);
    // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- vitest types its asymmetric matchers (expect.any...) as any
    expect(back).toEqual(deadLetters.map(({ detail: _detail, ...letter }) => ({ ...letter, ingestedAtMs: expect.any(Number) })));
    expect(back[0]?.raw.equals(every)).toBe(true);
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
