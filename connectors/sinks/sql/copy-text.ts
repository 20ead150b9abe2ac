/**
 * PostgreSQL's COPY text format, written and parsed by hand: rows end with a newline, fields are separated by
 * tabs, `\N` is NULL, and a backslash escapes a tab, newline, carriage return, backspace, form
 * feed, vertical tab, a backslash itself, or one byte written in octal (`\ooo`) or hex (`\xhh`).
 * A newline or tab inside a value is always escaped, so a raw 0x0A byte always ends a row (it never
 * occurs inside a multi-byte UTF-8 sequence, so chunks may be cut anywhere).
 *
 * It exists because reading a large table through COPY and this parser costs a fraction of pg's
 * row parser, and writing a batch through COPY a fraction of binding it as parameters (see README,
 * Benchmarks).
 */

const NEEDS_ESCAPE = /[\\\t\n\r]/;
const ESCAPES = /[\\\t\n\r]/g;
const ESCAPED: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** One value as a COPY text field: `\N` for NULL, and the four characters that would end or split a field escaped. */
export function copyTextField(value: string | null): string {
  if (value === null) return '\\N';
  return NEEDS_ESCAPE.test(value) ? value.replace(ESCAPES, (c) => ESCAPED[c] as string) : value;
}

const NEWLINE = 0x0a;
const BACKSLASH = 0x5c;

/** Splits a COPY text stream, given in arbitrary chunks, into rows of fields; `null` is SQL NULL. */
export class CopyTextParser {
  /** Bytes of a row not yet ended by a newline. */
  private pending: Buffer[] = [];
  /** Reused for every row: `onRow` must read it before returning and must not keep it. */
  private readonly fields: (string | null)[] = [];

  constructor(private readonly onRow: (fields: readonly (string | null)[]) => void) {}

  push(chunk: Buffer): void {
    const last = chunk.lastIndexOf(NEWLINE);
    if (last === -1) {
      if (chunk.length > 0) this.pending.push(chunk);
      return;
    }
    let head: Buffer = chunk.subarray(0, last + 1);
    if (this.pending.length > 0) {
      head = Buffer.concat([...this.pending, head]);
      this.pending = [];
    }
    // Copied, so a short unfinished row does not keep the whole chunk alive.
    if (last + 1 < chunk.length) this.pending.push(Buffer.from(chunk.subarray(last + 1)));
    this.rows(head.toString('utf8'));
  }

  /** Call once the stream has ended: a row left without its newline means the stream was cut. */
  end(): void {
    if (this.pending.some((b) => b.length > 0)) throw new Error('COPY output ended in the middle of a row');
  }

  /** `text` holds whole rows, each ended by a newline. */
  private rows(text: string): void {
    const fields = this.fields;
    let start = 0;
    while (start < text.length) {
      const nl = text.indexOf('\n', start);
      let count = 0;
      let at = start;
      for (;;) {
        const tab = text.indexOf('\t', at);
        const end = tab === -1 || tab > nl ? nl : tab;
        fields[count++] = copyField(text, at, end);
        if (end === nl) break;
        at = end + 1;
      }
      // Rows of one query have one width: the length changes on the first row only.
      if (fields.length !== count) fields.length = count;
      this.onRow(fields);
      start = nl + 1;
    }
  }
}

function copyField(text: string, from: number, to: number): string | null {
  if (to - from === 2 && text.charCodeAt(from) === BACKSLASH && text.charCodeAt(from + 1) === 0x4e /* N */) return null;
  const raw = text.slice(from, to);
  return raw.indexOf('\\') === -1 ? raw : unescapeCopyText(raw);
}

const isOctal = (c: number | undefined) => c !== undefined && c >= 0x30 && c <= 0x37;

function hexValue(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/**
 * Undoes COPY's backslash escapes. Works on bytes, because an octal or hex escape is one byte of
 * the encoded value, not a character; the result is decoded as UTF-8 (COPY is run with ENCODING 'UTF8').
 */
export function unescapeCopyText(value: string): string {
  const src = Buffer.from(value, 'utf8');
  const out = Buffer.allocUnsafe(src.length);
  let o = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as number;
    if (c !== BACKSLASH || i + 1 === src.length) {
      out[o++] = c;
      continue;
    }
    const next = src[++i] as number;
    switch (next) {
      case 0x62: // b
        out[o++] = 0x08;
        break;
      case 0x66: // f
        out[o++] = 0x0c;
        break;
      case 0x6e: // n
        out[o++] = 0x0a;
        break;
      case 0x72: // r
        out[o++] = 0x0d;
        break;
      case 0x74: // t
        out[o++] = 0x09;
        break;
      case 0x76: // v
        out[o++] = 0x0b;
        break;
      case 0x78: {
        // x: one or two hex digits; without any, PostgreSQL reads a plain "x".
        let byte = 0;
        let digits = 0;
        while (digits < 2 && hexValue(src[i + 1]) !== -1) {
          byte = byte * 16 + hexValue(src[++i]);
          digits++;
        }
        out[o++] = digits === 0 ? next : byte;
        break;
      }
      default:
        if (isOctal(next)) {
          let byte = next - 0x30;
          for (let digits = 1; digits < 3 && isOctal(src[i + 1]); digits++) byte = byte * 8 + ((src[++i] as number) - 0x30);
          out[o++] = byte & 0xff;
        } else {
          // \\ and any other escaped character stand for themselves.
          out[o++] = next;
        }
    }
  }
  return out.toString('utf8', 0, o);
}

/** A bytea value as COPY writes it once unescaped: hex (`\x0a1b…`, the default) or the older escape format. */
export function parseBytea(value: string): Buffer {
  if (value.startsWith('\\x')) return Buffer.from(value.slice(2), 'hex');
  const out: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c !== BACKSLASH) out.push(c);
    else if (value.charCodeAt(i + 1) === BACKSLASH) {
      out.push(BACKSLASH);
      i++;
    } else {
      out.push(parseInt(value.slice(i + 1, i + 4), 8));
      i += 3;
    }
  }
  return Buffer.from(out);
}
