import { reasonCodes, type ReasonCode } from '../core/reasons.ts';
import { hashString } from '../generators/random.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SharedPipelineFault } from './spec.ts';
import type { FieldSpec, OutputRow } from './output.ts';

export type PipelineFaultName = SharedPipelineFault | `corruptValue.${string}`;

/**
 * Whether an injected pipeline fault hits this key. A pure function of fault and key, so a test can
 * compute exactly which records a faulty run must have lost, doubled, corrupted or mislabelled.
 */
export function faultHits(fault: PipelineFaultName, share: number, key: string): boolean {
  return share > 0 && hashString(`${fault}\u0000${key}`) / 0x1_0000_0000 < share;
}

/** Dead letters have no key of their own; their place in the source stands in for one. */
export function positionKey(source: string, position: number): string {
  return `${source}#${position}`;
}

/** A value that is certainly not the right one, of the field's type. */
export function corrupted(field: FieldSpec, value: OutputRow[string]): string | number | boolean {
  switch (field.type) {
    case 'text':
      return `${String(value ?? '')}~`;
    case 'boolean':
      return !value;
    case 'timestamp':
      return (value as number) + 3_600_000;
    default:
      return value === null ? 1 : (value as number) + 1;
  }
}

/** Another reason than `reason`, deterministically. */
export function otherReason(reason: ReasonCode): ReasonCode {
  return reasonCodes[(reasonCodes.indexOf(reason) + 1) % reasonCodes.length] as ReasonCode;
}

/**
 * The injected capacity limit `maxRowsPerSec`: rows are admitted no faster than the cap since the
 * first batch, so the pipeline drains at exactly that rate whatever the sink could do.
 */
export class RowRateCap {
  private startedAtMs: number | null = null;
  private admitted = 0;

  constructor(private readonly rowsPerSec: number) {}

  async admit(rows: number, signal?: AbortSignal): Promise<void> {
    this.startedAtMs ??= Date.now();
    this.admitted += rows;
    const wait = this.startedAtMs + (this.admitted / this.rowsPerSec) * 1000 - Date.now();
    if (wait > 0) await sleep(wait, undefined, signal ? { signal } : undefined).catch(() => {});
  }
}

/** The injected stall `pauseAt`: once `after` ms have passed since `startedAtMs`, the caller takes no batch for `for` ms, once. */
export class Pause {
  private done = false;

  constructor(
    private readonly startedAtMs: number,
    private readonly spec: { after: number; for: number },
  ) {}

  /** False at once, except the one time the pause is due: then true once it is over (or the signal fired). */
  async hold(signal?: AbortSignal): Promise<boolean> {
    if (this.done || Date.now() < this.startedAtMs + this.spec.after) return false;
    this.done = true;
    await sleep(this.spec.for, undefined, signal ? { signal } : undefined).catch(() => {});
    return true;
  }
}
