import { describe, expect, it } from 'vitest';
import type { DatasetName } from '../../generators/generator.ts';
import { joinLines, LineBuffer } from '../../generators/line-buffer.ts';
import { generator, someFaults } from '../helpers/generated.ts';

/** Files are written through appendPayload; its bytes must be payload()'s, record for record. */
describe.each([
  ['ecommerce', 60_000, {}],
  ['ecommerce', 5_000, { sessionLength: 1, idScheme: 'md5' }],
  ['lol', 500, {}],
] as [DatasetName, number, Record<string, unknown>][])('%s appendPayload %#', (dataset, count, options) => {
  it('writes exactly the bytes payload() gives, faults and all', () => {
    const gen = generator(dataset, 31, someFaults, options);
    const lines = new LineBuffer(64);
    const payloads = [];
    for (let i = 0; i < count; i++) {
      gen.appendPayload(i, lines);
      payloads.push(gen.payload(i));
    }
    expect(Buffer.compare(Buffer.from(lines.bytes()), joinLines(null, payloads))).toBe(0);
  });
});
