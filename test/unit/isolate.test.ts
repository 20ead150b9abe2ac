import { describe, expect, it } from 'vitest';
import { writeIsolating, type IsolatingBatch } from '../../pipeline/isolate.ts';
import type { OutputRow } from '../../pipeline/output.ts';
import type { DeadLetter, SinkBatch, SinkFailure } from '../../pipeline/sink.ts';
import type { SourceRecord } from '../../pipeline/source.ts';

/** A sink in memory with PostgreSQL's manners: a transaction commits whole or not at all; keys absorb replays. */
class MemorySink {
  rows = new Map<string, OutputRow>();
  letters = new Map<number, DeadLetter>();
  checkpoint: number | null = null;
  writes: { rows: number; letters: number; checkpoint: boolean }[] = [];
  /** Fails the write with this number (1-based) as an outage. */
  crashAt = 0;

  async writeBatch(batch: SinkBatch): Promise<{ inserted: number }> {
    this.writes.push({ rows: batch.rows.length, letters: batch.deadLetters.length, checkpoint: batch.checkpoint !== null });
    if (this.writes.length === this.crashAt) throw Object.assign(new Error('connection terminated'), { code: '57P01' });
    const bad = batch.rows.find((row) => String(row.name).includes('\u0000'));
    if (bad) throw Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' });
    let inserted = 0;
    for (const row of batch.rows) {
      if (!this.rows.has(String(row.id))) inserted++;
      if (!this.rows.has(String(row.id))) this.rows.set(String(row.id), row);
    }
    for (const letter of batch.deadLetters) if (!this.letters.has(letter.position)) this.letters.set(letter.position, letter);
    if (batch.checkpoint) this.checkpoint = batch.checkpoint.position;
    return { inserted };
  }
}

const classify = (error: unknown): SinkFailure => ((error as { code?: string }).code?.startsWith('22') ? 'rejected' : 'unavailable');

/** `n` records; those in `poison` carry a NUL; every fifth is a dead letter; record 3 yields two rows (a LoL match has ten). */
function batchOf(n: number, poison: number[]): IsolatingBatch {
  const records: SourceRecord[] = Array.from({ length: n }, (_, i) => ({
    bytes: Buffer.from(`line ${i}`),
    source: 'f.csv',
    position: i + 1,
    producedAtMs: 0,
    recordIndex: null,
  }));
  const batch: IsolatingBatch = {
    dataset: 'ecommerce',
    rows: [],
    producedAtMs: [],
    deadLetters: [],
    checkpoint: { source: 'f.csv', position: n, done: true },
    records,
    rowRecords: [],
    letterRecords: [],
  };
  const rowRecords = batch.rowRecords as number[];
  const letterRecords = batch.letterRecords as number[];
  records.forEach((record, i) => {
    if (i % 5 === 4) {
      batch.deadLetters.push({ source: record.source, position: record.position, recordIndex: null, reason: 'column_count', detail: '', raw: record.bytes });
      letterRecords.push(i);
      return;
    }
    for (let slot = 0; slot < (i === 3 ? 2 : 1); slot++) {
      batch.rows.push({ id: `${i}.${slot}`, name: poison.includes(i) && slot === 1 - Number(i !== 3) ? 'a\u0000b' : `name ${i}` });
      batch.producedAtMs.push(0);
      rowRecords.push(i);
    }
  });
  return batch;
}

describe('writeIsolating', () => {
  it('writes a batch the sink accepts in one transaction', async () => {
    const sink = new MemorySink();
    const result = await writeIsolating(batchOf(20, []), (part) => sink.writeBatch(part), { classify });
    expect(result).toMatchObject({ inserted: 17, refused: [], writes: 1 });
    expect(sink.writes).toEqual([{ rows: 17, letters: 4, checkpoint: true }]);
  });

  it('finds the refused records by halving, dead-letters them, commits the rest, the checkpoint last', async () => {
    const sink = new MemorySink();
    const batch = batchOf(100, [3, 57, 58]);
    const result = await writeIsolating(batch, (part) => sink.writeBatch(part), { classify });
    expect(result.refused.map((r) => r.record)).toEqual([3, 57, 58]);
    expect(result.refused[0]!.letter).toMatchObject({ reason: 'sink_rejected', position: 4, raw: Buffer.from('line 3') });
    expect(result.refused[0]!.letter.detail).toContain('0x00');
    // Record 3's two rows are refused together: none of them lands.
    expect(sink.rows.has('3.0')).toBe(false);
    expect(sink.rows.size).toBe(80 + 1 - 3 - 1);
    expect(result).toMatchObject({ inserted: sink.rows.size, refusedRows: 4, refusedLetters: 0 });
    expect(sink.letters.size).toBe(20 + 3);
    expect(sink.checkpoint).toBe(100);
    expect(sink.writes.filter((w) => w.checkpoint)).toHaveLength(2); // the whole batch (refused) and the last part
    expect(sink.writes.at(-1)).toEqual({ rows: 0, letters: 3, checkpoint: true });
    expect(result.writes).toBe(sink.writes.length);
    expect(result.writes).toBeLessThan(2 * 3 * Math.log2(100) + 2);
  });

  it('a crash in the middle leaves the checkpoint where it was; the replay lands each record once', async () => {
    const sink = new MemorySink();
    sink.crashAt = 4;
    await expect(writeIsolating(batchOf(40, [10]), (part) => sink.writeBatch(part), { classify })).rejects.toThrow('connection terminated');
    expect(sink.checkpoint).toBeNull();
    expect(sink.rows.size).toBeGreaterThan(0);
    sink.crashAt = 0;
    const replay = await writeIsolating(batchOf(40, [10]), (part) => sink.writeBatch(part), { classify });
    expect(replay.refused.map((r) => r.record)).toEqual([10]);
    expect(sink.rows.size).toBe(40 - 8 + 1 - 1);
    expect(sink.letters.size).toBe(8 + 1);
    expect(sink.checkpoint).toBe(40);
  });

  it('throws what is not the content: an outage, or a refused last part', async () => {
    const sink = new MemorySink();
    sink.crashAt = 1;
    await expect(writeIsolating(batchOf(5, [1]), (part) => sink.writeBatch(part), { classify })).rejects.toThrow('connection terminated');
    const refuseAll = async () => {
      throw Object.assign(new Error('value too long'), { code: '22001' });
    };
    await expect(writeIsolating(batchOf(5, []), refuseAll, { classify })).rejects.toThrow(
      "the sink refused the batch's checkpoint and dead letters: value too long",
    );
  });

  it('hands the refused records over before the last part commits', async () => {
    const sink = new MemorySink();
    const seen: number[] = [];
    await writeIsolating(batchOf(10, [6]), (part) => sink.writeBatch(part), {
      classify,
      beforeCommit: async (refused) => {
        expect(sink.checkpoint).toBeNull();
        seen.push(...refused.map((r) => r.record));
      },
    });
    expect(seen).toEqual([6]);
  });
});
