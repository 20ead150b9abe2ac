import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { csvFields, ecommerceRules } from '../../pipeline/rules/ecommerce.ts';
import { Rng } from '../../generators/random.ts';
import type { Verdict } from '../../pipeline/rules/rules.ts';

const context = { nowMs: Date.UTC(2026, 5, 1), futureToleranceMs: 3_600_000 };
const good = 'a1b2c3d4-0000-8000-8000-000000000001,USER_000001,PROD_000005,Wireless Headphones,Electronics,purchase,99.99,2026-01-29T10:00:00.000Z';

function check(...lines: (string | Buffer)[]): Verdict[] {
  return ecommerceRules.validateBatch(
    lines.map((l) => (typeof l === 'string' ? Buffer.from(l) : l)),
    context,
  );
}

function reasonOf(line: string | Buffer): string {
  const [verdict] = check(line);
  return verdict && !verdict.ok ? verdict.reason : 'ok';
}

describe('seed 001 validation rules', () => {
  it('accepts a valid purchase and a valid view, trimming whitespace and lower-casing event_type', () => {
    const [purchase, view] = check(good, ' e2 , USER_000002 ,PROD_000001,Lamp,Home & Garden, VIEW ,,2026-01-29T10:00:01Z');
    expect(purchase).toMatchObject({ ok: true, rows: [{ event_id: 'a1b2c3d4-0000-8000-8000-000000000001', price: 99.99 }] });
    expect(view).toEqual({
      ok: true,
      rows: [
        {
          event_id: 'e2',
          user_id: 'USER_000002',
          product_id: 'PROD_000001',
          product_name: 'Lamp',
          product_category: 'Home & Garden',
          event_type: 'view',
          price: null,
          event_timestamp: Date.UTC(2026, 0, 29, 10, 0, 1),
        },
      ],
    });
  });

  it('rejects the seed\'s test data: "click", -50.00, 2099-01-01', () => {
    expect(reasonOf(good.replace('purchase', 'click'))).toBe('invalid_event_type');
    expect(reasonOf(good.replace('99.99', '-50.00'))).toBe('negative_price');
    expect(reasonOf(good.replace('2026-01-29T10:00:00.000Z', '2099-01-01T00:00:00.000Z'))).toBe('future_timestamp');
  });

  it('rejects a view with a price, a null user_id, a non-numeric price and a bad timestamp', () => {
    expect(reasonOf(good.replace('purchase', 'view'))).toBe('view_with_price');
    expect(reasonOf(good.replace('USER_000001', ''))).toBe('missing_field');
    expect(reasonOf(good.replace('99.99', 'abc'))).toBe('wrong_type');
    expect(reasonOf(good.replace('2026-01-29T10:00:00.000Z', 'yesterday'))).toBe('wrong_type');
  });

  it('rejects broken CSV: an unclosed quote, a wrong column count, bytes that are not UTF-8', () => {
    expect(reasonOf(good.replace('Wireless', '"Wireless'))).toBe('csv_parse');
    expect(reasonOf(good.split(',').slice(0, 7).join(','))).toBe('column_count');
    expect(reasonOf(Buffer.concat([Buffer.from('e9,USER_1,P,'), Buffer.from([0xc3, 0x28]), Buffer.from(',C,view,,2026-01-01T00:00:00Z')]))).toBe(
      'invalid_utf8',
    );
    expect(reasonOf('')).toBe('column_count');
  });

  it('keeps a broken line from swallowing its neighbours', () => {
    const verdicts = check(good, good.replace('Wireless', '"Wireless'), good.replace('a1b2', 'ffff'), '"quoted, fine",U,P,N,C,view,,2026-01-01T00:00:00Z');
    expect(verdicts.map((v) => (v.ok ? 'ok' : v.reason))).toEqual(['ok', 'csv_parse', 'ok', 'ok']);
  });

  it('accepts the timestamp a tolerance ahead of now, and not beyond', () => {
    const at = (ms: number) => good.replace('2026-01-29T10:00:00.000Z', new Date(ms).toISOString());
    expect(reasonOf(at(context.nowMs + context.futureToleranceMs - 1000))).toBe('ok');
    expect(reasonOf(at(context.nowMs + context.futureToleranceMs + 1000))).toBe('future_timestamp');
  });

  it('splits a line without quotes into exactly the fields csv-parse finds in it', () => {
    // Commas next to each other and at the ends, spaces, tabs, a CR, multi-byte text: nothing a
    // split could read differently from a CSV parser, as long as no quote is there.
    const alphabet = ['a', 'Z', '0', ',', ',', ' ', '\t', '\r', 'é', '漢', '😀', '\\', "'", ';'];
    const rng = new Rng(7);
    for (let n = 0; n < 2000; n++) {
      const length = 1 + Math.floor(rng.next() * 40);
      let line = '';
      for (let c = 0; c < length; c++) line += alphabet[Math.floor(rng.next() * alphabet.length)]!;
      const [expected] = parse(line, { relax_column_count: true, record_delimiter: '\n' });
      expect(csvFields(line, false), JSON.stringify(line)).toEqual(expected);
    }
  });
});
