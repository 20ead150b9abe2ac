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
 * The injected capacity limit `maxRowsPerSec`: each batch takes its rows' share of a second at the
 * cap, after the batch before it, so the pipeline drains at exactly that rate whatever the sink
 * could do. Up to BURST_MS of time may be owed back, so the pipeline's own work between batches
 * runs within the slots rather than after them; idle time beyond that earns no credit, so a pipeline
 * that kept up at a low rate does not then burst above its cap (a real one has no store of speed,
 * and find-max's probe would read the burst as capacity).
 */
export class RowRateCap {
  /** When the slots taken so far end; null before the first batch, which starts with no credit. */
  private freeAtMs: number | null = null;

  constructor(private readonly rowsPerSec: number) {}

  async admit(rows: number, signal?: AbortSignal): Promise<void> {
    const now = Date.now();
    this.freeAtMs = (this.freeAtMs === null ? now : Math.max(this.freeAtMs, now - BURST_MS)) + (rows / this.rowsPerSec) * 1000;
    const wait = this.freeAtMs - now;
    if (wait > 0) await sleep(wait, undefined, signal ? { signal } : undefined).catch(() => {});
  }
}

/** How far behind its slots the capped pipeline may fall and catch up: its own work between batches, not a store of idle time. */
const BURST_MS = 250;

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
