/** The bytes of one emitted record: text for almost all, raw bytes where a fault breaks UTF-8. */
export type Payload = string | Buffer;

/**
 * Lines appended straight into one growing buffer. Each record's string dies young instead of
 * living in an array until the file is joined, which measured as most of the generator's time
 * going to garbage collection.
 */
export class LineBuffer {
  private buffer: Buffer;
  private length = 0;

  constructor(expectedBytes = 1 << 16) {
    this.buffer = Buffer.allocUnsafe(expectedBytes);
  }

  append(payload: Payload): void {
    const most = typeof payload === 'string' ? payload.length * 3 + 1 : payload.length + 1;
    if (this.length + most > this.buffer.length) this.grow(this.length + most);
    this.length += typeof payload === 'string' ? this.buffer.write(payload, this.length) : payload.copy(this.buffer, this.length);
    this.buffer[this.length++] = 0x0a;
  }

  /**
   * Room for a record written byte by byte: returns the offset to write at in `buffer`, which
   * holds at least `most` more bytes; `commit(end)` then takes the bytes up to `end`.
   */
  reserve(most: number): number {
    if (this.length + most > this.buffer.length) this.grow(this.length + most);
    return this.length;
  }

  get raw(): Buffer {
    return this.buffer;
  }

  commit(end: number): void {
    this.length = end;
  }

  /** The bytes appended so far (a view, valid until the next append). */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  private grow(needed: number): void {
    const next = Buffer.allocUnsafe(Math.max(needed, this.buffer.length * 2));
    this.buffer.copy(next, 0, 0, this.length);
    this.buffer = next;
  }
}

/** Copies `bytes` into `b` at `at`, returning the offset after them; TypedArray#set is leaner than Buffer#copy for short runs. */
export function put(b: Uint8Array, at: number, bytes: Uint8Array): number {
  b.set(bytes, at);
  return at + bytes.length;
}

/** Joins a header and payloads into file bytes. */
export function joinLines(header: string | null, payloads: readonly Payload[]): Buffer {
  const lines = new LineBuffer();
  if (header !== null) lines.append(header);
  for (const payload of payloads) lines.append(payload);
  return Buffer.from(lines.bytes());
}
