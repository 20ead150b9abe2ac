import type { ReasonCode } from '../../core/reasons.ts';
import type { DatasetName } from '../../generators/generator.ts';

/** A value bound for a sink column, as text parameters are cast by the column's SQL type. */
export type CellValue = string | number | boolean | null;

export type Verdict =
  | { ok: true; rows: CellValue[][]; keys: string[] }
  | { ok: false; reason: ReasonCode; detail: string };

export interface ValidationContext {
  /** Wall clock of the batch, epoch ms. */
  nowMs: number;
  /** Event times beyond now + this are future-dated. */
  futureToleranceMs: number;
}

/**
 * A dataset's decode, validate and transform steps: raw bytes in, sink rows or a dead-letter
 * reason out. Batches go in whole so a rule set can amortise parsing; one verdict per line comes out.
 */
export interface DatasetRules {
  dataset: DatasetName;
  validateBatch(lines: readonly Buffer[], context: ValidationContext): Verdict[];
}

export function reject(reason: ReasonCode, detail: string): Verdict {
  return { ok: false, reason, detail };
}
