import type { ReasonCode } from '../../core/reasons.ts';
import type { DatasetName } from '../../generators/generator.ts';
import type { DatasetOutput, OutputRow } from '../output.ts';

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

/** A row's key as the verifier and the fault injection compare keys: key fields joined by ':'. */
export function rowKey(output: DatasetOutput, row: OutputRow): string {
  return output.key.map((name) => String(row[name])).join(':');
}
