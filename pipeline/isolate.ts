import { messageOf } from '../core/errors.ts';
import { safeText } from './output.ts';
import type { DeadLetter, SinkBatch, SinkFailure } from './sink.ts';
import type { SourceRecord } from './source.ts';

/**
 * A batch on its way to the sink, with where each row and dead letter came from: the index in
 * `records` of its source record. Isolation moves whole records, so a LoL match's ten rows land or
 * are refused together.
 */
export interface IsolatingBatch extends SinkBatch {
  records: readonly SourceRecord[];
  /** For each row, the index of its record in `records`. */
  rowRecords: readonly number[];
  /** For each dead letter, the index of its record in `records`. */
  letterRecords: readonly number[];
}

/** A record the sink refused, and the dead letter that replaces everything it would have written. */
export interface Refusal {
  record: number;
  letter: DeadLetter;
}

export interface IsolationResult {
  inserted: number;
  /** Records the sink refused, in batch order; empty when the batch went in whole. */
  refused: Refusal[];
  /** Transactions the batch took (1 when nothing was refused). */
  writes: number;
  /** Rows and dead letters of the refused records that were not written. */
  refusedRows: number;
  refusedLetters: number;
}

export interface IsolationOptions {
  /** The sink's judgement of a write error: only `rejected` is isolated, anything else is thrown. */
  classify(error: unknown): SinkFailure;
  /** Called once the refused records are known, before the last part commits (publish them to a topic). */
  beforeCommit?(refused: Refusal[]): Promise<void>;
}

/**
 * Writes a batch, and when the sink refuses it for its content (`rejected`: SQLSTATE classes 22 and
 * 23) finds the records it refuses by halving: each half is written in a transaction of its own,
 * and a refused half is halved again until the refused record stands alone. Each refused record is
 * dead-lettered as `sink_rejected`, the sink's message as detail and its own bytes as raw; every
 * other record commits. k refused records among n cost about 2k log2(n) transactions.
 *
 * Only the last write carries the checkpoint (with the refused records' dead letters), so a crash
 * in the middle replays the whole batch and the keys absorb what had already landed. `write` is
 * one attempt as the caller wants it made (the pipeline waits out an outage per part). An error the
 * sink does not call `rejected`, or a refusal of the last write itself, is thrown.
 */
export async function writeIsolating(
  batch: IsolatingBatch,
  write: (part: SinkBatch) => Promise<{ inserted: number }>,
  options: IsolationOptions,
): Promise<IsolationResult> {
  const refusedOf = (error: unknown): string => {
    if (options.classify(error) !== 'rejected') throw error;
    return sinkMessage(error);
  };
  let firstRefusal: string;
  try {
    const { inserted } = await write(stripped(batch));
    return { inserted, refused: [], writes: 1, refusedRows: 0, refusedLetters: 0 };
  } catch (error) {
    firstRefusal = refusedOf(error);
  }

  const rowsOf = groupBy(batch.rowRecords);
  const lettersOf = groupBy(batch.letterRecords);
  const members = [...new Set([...batch.rowRecords, ...batch.letterRecords])].sort((a, b) => a - b);
  const refusals = new Map<number, string>();
  let inserted = 0;
  let writes = 1;
  const part = (records: number[]): SinkBatch => {
    const rowIndexes = records.flatMap((r) => rowsOf.get(r) ?? []);
    return {
      dataset: batch.dataset,
      rows: rowIndexes.map((i) => batch.rows[i]!),
      producedAtMs: rowIndexes.map((i) => batch.producedAtMs[i]!),
      deadLetters: records.flatMap((r) => lettersOf.get(r) ?? []).map((i) => batch.deadLetters[i]!),
      checkpoint: null,
    };
  };
  // `records` is known to be refused (with `message`): find which of them the sink refuses.
  const isolate = async (records: number[], message: string): Promise<void> => {
    if (records.length <= 1) {
      if (records.length === 1) refusals.set(records[0]!, message);
      return;
    }
    const middle = Math.ceil(records.length / 2);
    for (const half of [records.slice(0, middle), records.slice(middle)]) {
      writes++;
      try {
        inserted += (await write(part(half))).inserted;
      } catch (error) {
        await isolate(half, refusedOf(error));
      }
    }
  };
  await isolate(members, firstRefusal);

  const refused: Refusal[] = [...refusals]
    .sort(([a], [b]) => a - b)
    .map(([index, message]) => {
      const record = batch.records[index]!;
      return {
        record: index,
        letter: {
          source: record.source,
          position: record.position,
          recordIndex: record.recordIndex,
          reason: 'sink_rejected',
          detail: safeText(`the sink refused the record: ${message}`),
          raw: record.bytes,
        },
      };
    });
  await options.beforeCommit?.(refused);
  writes++;
  try {
    inserted += (await write({ dataset: batch.dataset, rows: [], producedAtMs: [], deadLetters: refused.map((r) => r.letter), checkpoint: batch.checkpoint }))
      .inserted;
  } catch (error) {
    throw options.classify(error) === 'rejected'
      ? new Error(`the sink refused the batch's checkpoint and dead letters: ${sinkMessage(error)}`, { cause: error })
      : error;
  }
  const count = (groups: Map<number, number[]>) => refused.reduce((n, r) => n + (groups.get(r.record)?.length ?? 0), 0);
  return { inserted, refused, writes, refusedRows: count(rowsOf), refusedLetters: count(lettersOf) };
}

/** The sink's message, with PostgreSQL's DETAIL when it has one. */
function sinkMessage(error: unknown): string {
  const detail = (error as { detail?: unknown }).detail;
  return typeof detail === 'string' && detail !== '' ? `${messageOf(error)} (${detail})` : messageOf(error);
}

function stripped(batch: IsolatingBatch): SinkBatch {
  const { dataset, rows, producedAtMs, deadLetters, checkpoint } = batch;
  return { dataset, rows, producedAtMs, deadLetters, checkpoint };
}

function groupBy(owners: readonly number[]): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  owners.forEach((owner, i) => {
    const group = groups.get(owner);
    if (group) group.push(i);
    else groups.set(owner, [i]);
  });
  return groups;
}
