import { describe, expect, it } from 'vitest';
import { CopyTextParser, parseBytea, unescapeCopyText } from '../../connectors/sinks/sql/copy-text.ts';

function parse(chunks: Buffer[]): (string | null)[][] {
  const rows: (string | null)[][] = [];
  const parser = new CopyTextParser((fields) => rows.push([...fields]));
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  return rows;
}

describe('COPY text format', () => {
  const stream = Buffer.from('a\\tb\t\\N\t\\\\N\t\n\té🎉\\n\\\\\t1.5\tt\n\n', 'utf8');
  const expected = [['a\tb', null, '\\N', ''], ['', 'é🎉\n\\', '1.5', 't'], ['']];

  it('splits rows and fields, reads \\N as NULL and undoes the escapes', () => {
    expect(parse([stream])).toEqual(expected);
  });

  it('gives the same rows however the stream is cut, inside an escape or a UTF-8 sequence too', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      expect(parse([stream.subarray(0, cut), stream.subarray(cut)])).toEqual(expected);
    }
    expect(parse([...stream].map((b) => Buffer.from([b])))).toEqual(expected);
  });

  it('fails on a stream that ends in the middle of a row', () => {
    const parser = new CopyTextParser(() => {});
    parser.push(Buffer.from('a\tb\nc'));
    expect(() => parser.end()).toThrow(/middle of a row/);
  });

  it('undoes every escape COPY defines, octal and hex bytes included', () => {
    expect(unescapeCopyText('\\b\\f\\n\\r\\t\\v\\\\\\a')).toBe('\b\f\n\r\t\v\\a');
    expect(unescapeCopyText('\\101\\7\\08\\x41\\x4a\\x4Z\\xg')).toBe('A\u0007\u00008AJ\u0004Zxg');
    // Octal or hex escapes are bytes of the UTF-8 encoding.
    expect(unescapeCopyText('\\303\\251 \\xc3\\xa9')).toBe('é é');
    expect(unescapeCopyText('trailing \\')).toBe('trailing \\');
  });

  it('reads bytea in hex and in the older escape format', () => {
    expect(parseBytea('\\x00ff7f')).toEqual(Buffer.from([0, 255, 127]));
    expect(parseBytea('\\x')).toEqual(Buffer.alloc(0));
    expect(parseBytea('a\\\\\\000\\377')).toEqual(Buffer.from([0x61, 0x5c, 0, 255]));
  });
});
