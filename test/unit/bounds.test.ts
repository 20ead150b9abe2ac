import { describe, expect, it } from 'vitest';
import { checkRow, defineOutput, field, safeText, valueProblem } from '../../pipeline/output.ts';
import { ecommerceRules } from '../../pipeline/rules/ecommerce.ts';
import { lolRules } from '../../pipeline/rules/lol.ts';
import { defineRules, recordText, type DatasetRules } from '../../pipeline/rules/rules.ts';
import { parseTimestamp } from '../../pipeline/rules/timestamp.ts';

describe('column bounds from the declared output', () => {
  const output = defineOutput({
    dataset: 'ecommerce',
    fields: {
      id: field.text('id', false, 8),
      n: field.integer('n'),
      big: field.bigint('big'),
      price: field.numeric('price', 10, 2, true),
      at: field.timestamp('at'),
      kda: field.derived('kda', 2),
      flag: field.boolean('flag'),
    },
    key: ['id'],
    recordKey: 'id',
    rowsPerRecord: 1,
    slotOf: () => 0,
    expectedRows: () => [],
  });
  const good = { id: 'a', n: 1, big: 2, price: 19.99, at: Date.UTC(2026, 0, 1), kda: 1.5, flag: true };
  const problem = (change: Record<string, unknown>) => checkRow(output, { ...good, ...change })?.field ?? null;

  it('accepts every value its column holds, at the edges', () => {
    expect(checkRow(output, good)).toBeNull();
    for (const change of [
      { id: 'x'.repeat(8) },
      { n: 2 ** 31 - 1 },
      { n: -(2 ** 31) },
      { big: Number.MAX_SAFE_INTEGER },
      { price: 99_999_999.99 },
      { price: null },
      { at: Date.parse('0001-01-01T00:00:00.000Z') },
      { at: Date.parse('9999-12-31T23:59:59.999Z') },
      { kda: 3.4e38 },
      { id: "');--" },
      { id: '😀‮עב' },
    ]) {
      expect({ change, problem: problem(change) }).toEqual({ change, problem: null });
    }
  });

  it('refuses what the column cannot hold, naming the field', () => {
    expect(problem({ id: 'a\u0000b' })).toBe('id');
    expect(problem({ id: 'x'.repeat(9) })).toBe('id');
    expect(problem({ id: '\ud800' })).toBe('id');
    expect(problem({ id: null })).toBe('id');
    expect(problem({ n: 2 ** 31 })).toBe('n');
    expect(problem({ n: 3e9 })).toBe('n');
    expect(problem({ n: 1800.5 })).toBe('n');
    expect(problem({ n: '1' })).toBe('n');
    expect(problem({ big: 2 ** 53 })).toBe('big');
    expect(problem({ price: 99_999_999_999.99 })).toBe('price');
    expect(problem({ price: 100_000_000 })).toBe('price');
    expect(problem({ price: 19.999 })).toBe('price');
    expect(problem({ price: Infinity })).toBe('price');
    expect(problem({ price: Number.NaN })).toBe('price');
    expect(problem({ at: -9e15 })).toBe('at');
    expect(problem({ at: Date.parse('0000-12-31T23:59:59.999Z') })).toBe('at');
    expect(problem({ at: Date.parse('+010000-01-01T00:00:00.000Z') })).toBe('at');
    expect(problem({ at: 1.5 })).toBe('at');
    expect(problem({ kda: 3.5e38 })).toBe('kda');
    expect(problem({ kda: 1e-50 })).toBe('kda');
    expect(problem({ kda: Number.NaN })).toBe('kda');
    expect(problem({ flag: 1 })).toBe('flag');
  });

  it('says why, without echoing a huge value', () => {
    expect(valueProblem(output.fields.n, 3e9)).toBe('3000000000 is outside integer (-2147483648 .. 2147483647)');
    expect(valueProblem(field.text('t'), 'y'.repeat(10_000_000) + '\u0000')!.length).toBeLessThan(200);
  });

  it('makes any text safe for a text column', () => {
    expect(safeText('a\u0000b\ud800c')).toBe('ab\ufffdc');
    expect(safeText('z'.repeat(5000))).toHaveLength(2003);
  });
});

describe('strict ISO 8601 timestamps', () => {
  it('reads what Date.parse reads for well-formed UTC timestamps', () => {
    for (let i = 0; i < 2000; i++) {
      const ms = Math.round((Math.random() - 0.5) * 2 * 8.64e15);
      const iso = new Date(ms).toISOString();
      expect(parseTimestamp(iso)).toBe(ms);
    }
    expect(parseTimestamp('2026-01-29T10:00:01Z')).toBe(Date.UTC(2026, 0, 29, 10, 0, 1));
    expect(parseTimestamp('2026-01-29T10:00:01.5+02:00')).toBe(Date.UTC(2026, 0, 29, 8, 0, 1, 500));
    expect(parseTimestamp('2026-01-29 10:00-0130')).toBe(Date.UTC(2026, 0, 29, 11, 30));
    expect(parseTimestamp('2026-01-29')).toBe(Date.UTC(2026, 0, 29));
    expect(parseTimestamp('2024-02-29T00:00:00Z')).toBe(Date.UTC(2024, 1, 29));
    expect(parseTimestamp('2026-01-29T10:00:00.123456789Z')).toBe(Date.UTC(2026, 0, 29, 10, 0, 0, 123));
    // Beyond Date: still a calendar instant, for the column bounds to refuse.
    expect(parseTimestamp('-271821-04-19T00:00:00Z')).toBe(-8.64e15 - 86_400_000);
  });

  it('refuses what is not a calendar instant, where Date.parse guesses', () => {
    for (const text of [
      '1',
      '2026-02-30',
      '2025-02-29T00:00:00Z',
      '2026-13-01',
      '2026-04-31T00:00:00Z',
      '2026-01-01T24:00:00Z',
      '2026-01-01T10:60Z',
      '2026-01-01T10:00:60Z',
      'Jan 1 2026',
      '2026-01-01T10:00:00+24:00',
      '-000000-01-01T00:00:00Z',
      '20260101',
      '2026-1-1',
      ' 2026-01-01',
      'NaN',
      'Infinity',
      '',
    ]) {
      expect({ text, ms: parseTimestamp(text) }).toEqual({ text, ms: null });
    }
  });
});

describe('records: their own line ending, no BOM, no exception', () => {
  const context = { nowMs: Date.UTC(2026, 5, 1), futureToleranceMs: 3_600_000 };
  const good = 'a1,USER_000001,PROD_000005,Lamp,Home,purchase,99.99,2026-01-29T10:00:00.000Z';
  const reasons = (rules: DatasetRules, lines: (string | Buffer)[]) =>
    rules
      .validateBatch(
        lines.map((l) => (typeof l === 'string' ? Buffer.from(l) : l)),
        context,
      )
      .map((v) => (v.ok ? 'ok' : v.reason));

  it('strips one trailing CR and a leading BOM, keeping the bytes', () => {
    const bytes = Buffer.from('\ufeffabc\r');
    expect(recordText(bytes).toString()).toBe('abc');
    expect(recordText(Buffer.from('abc\r\r')).toString()).toBe('abc\r');
    expect(bytes.toString()).toBe('\ufeffabc\r');
  });

  it('a CRLF first line does not change how the others parse', () => {
    const lines = [
      `${good}\r`,
      good.replace('a1', 'a2'),
      `${good.replace('a1', 'a3')}\r`,
      good.replace('a1', 'a4'),
      `"q",U,P,N,C,view,,2026-01-01T00:00:00Z\r`,
    ];
    expect(reasons(ecommerceRules, lines)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(reasons(ecommerceRules, ['\r', '\ufeff' + good, good.replace('Lamp', 'La\rmp')])).toEqual(['column_count', 'ok', 'ok']);
  });

  it('rounds a price to the cent and bounds every value', () => {
    const [verdict] = ecommerceRules.validateBatch([Buffer.from(good.replace('99.99', '19.999'))], context);
    expect(verdict).toMatchObject({ ok: true, rows: [{ price: 20 }] });
    expect(
      reasons(ecommerceRules, [
        good.replace('99.99', '99999999999.99'),
        good.replace('Lamp', 'La\u0000mp'),
        good.replace('2026-01-29T10:00:00.000Z', '-271821-04-20T00:00:00Z'),
      ]),
    ).toEqual(['out_of_range', 'out_of_range', 'out_of_range']);
    expect(reasons(ecommerceRules, [good.replace('2026-01-29T10:00:00.000Z', '1'), good.replace('2026-01-29T10:00:00.000Z', '2026-02-30')])).toEqual([
      'wrong_type',
      'wrong_type',
    ]);
  });

  it('an exception in the rules dead-letters that record alone', () => {
    const throwing = defineRules({
      ...lolRules,
      validateBatch: (lines) =>
        lines.map((line) => {
          if (String(line) === 'boom') throw new RangeError('Invalid time value');
          return { ok: false, reason: 'json_parse', detail: '' };
        }),
    });
    expect(throwing.validateBatch([Buffer.from('a'), Buffer.from('boom'), Buffer.from('b')], context)).toMatchObject([
      { reason: 'json_parse' },
      { reason: 'invalid_record', detail: 'validation failed: Invalid time value' },
      { reason: 'json_parse' },
    ]);
  });
});
