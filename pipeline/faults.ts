import { reasonCodes, type ReasonCode } from '../core/reasons.ts';
import { hashString } from '../generators/random.ts';
import type { PipelineFaults } from '../scenarios/schema.ts';
import type { FieldSpec, OutputRow } from './output.ts';

export type PipelineFaultName = Exclude<keyof PipelineFaults, 'corruptValue'> | `corruptValue.${string}`;

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
