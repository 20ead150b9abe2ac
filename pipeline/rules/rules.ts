import { messageOf } from '../../core/errors.ts';
import type { ReasonCode } from '../../core/reasons.ts';
import type { DatasetName } from '../../generators/generator.ts';
import { checkRow, type DatasetOutput, type OutputRow } from '../output.ts';

export type Verdict =
  | { ok: true; rows: OutputRow[] }
  | {
      ok: false;
      reason: ReasonCode;
      detail: string;
      /** The rows the record lands as when the scenario asks for a repair instead (seed 001 rule 6). */
      repaired?: OutputRow[];
    };

export interface ValidationContext {
  /** Wall clock of the batch, epoch ms. */
  nowMs: number;
  /** Event times beyond now + this are future-dated. */
  futureToleranceMs: number;
}

/**
 * A dataset's decode, validate and transform steps: raw bytes in, rows of its declared output or a
 * dead-letter reason out. Batches go in whole so a rule set can amortise parsing; one verdict per
 * line comes out.
 */
export interface DatasetRules {
  dataset: DatasetName;
  output: DatasetOutput;
  validateBatch(lines: readonly Buffer[], context: ValidationContext): Verdict[];
}

export function reject(reason: ReasonCode, detail: string): Verdict {
  return { ok: false, reason, detail };
}

/**
 * A rule set as the pipeline uses it: its verdicts bounded by its declared output, and never an
 * exception. Every row a verdict lands (or a repair would land) must fit its columns (checkRow),
 * else the record is `out_of_range` naming the field. If validating the batch throws, each line is
 * validated alone, and a line that still throws is `invalid_record` with the error's message: one
 * poison record never fails its batch.
 */
export function defineRules(rules: DatasetRules): DatasetRules {
  const { output } = rules;
  const validateOne = (line: Buffer, context: ValidationContext): Verdict => {
    try {
      const [verdict] = rules.validateBatch([line], context);
      return verdict ?? reject('invalid_record', 'the rules gave no verdict');
    } catch (error) {
      return reject('invalid_record', `validation failed: ${messageOf(error)}`);
    }
  };
  return {
    ...rules,
    validateBatch(lines, context) {
      let verdicts: Verdict[];
      try {
        verdicts = rules.validateBatch(lines, context);
        if (verdicts.length !== lines.length) throw new Error(`${verdicts.length} verdicts for ${lines.length} lines`);
      } catch {
        verdicts = lines.map((line) => validateOne(line, context));
      }
      return verdicts.map((verdict) => bounded(output, verdict));
    },
  };
}

function bounded(output: DatasetOutput, verdict: Verdict): Verdict {
  const rows = verdict.ok ? verdict.rows : verdict.repaired;
  if (!rows) return verdict;
  for (const row of rows) {
    const problem = checkRow(output, row);
    if (problem) return reject('out_of_range', problem.detail);
  }
  return verdict;
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * The bytes of a record to decode: a leading UTF-8 BOM (as editors put at the start of a file, so on
 * its first line) and one trailing CR (a CRLF line ending) removed. Each record's line ending is its
 * own, so a CRLF line never changes how its neighbours parse. The record's raw bytes, for its dead
 * letter, stay as read.
 */
export function recordText(bytes: Buffer): Buffer {
  const start = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? BOM.length : 0;
  const end = bytes.length > start && bytes[bytes.length - 1] === 0x0d ? bytes.length - 1 : bytes.length;
  return start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end);
}

/** A row's key as the verifier and the fault injection compare keys: key fields joined by ':'. */
export function rowKey(output: DatasetOutput, row: OutputRow): string {
  return output.key.map((name) => String(row[name])).join(':');
}
