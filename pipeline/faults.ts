import { hashString } from '../generators/random.ts';
import type { PipelineFaults } from '../scenarios/schema.ts';

export type PipelineFaultName = keyof PipelineFaults;

/**
 * Whether an injected pipeline fault hits this key. A pure function of fault and key, so a test can
 * compute exactly which records a faulty run must have lost, doubled or not dead-lettered.
 */
export function faultHits(fault: PipelineFaultName, share: number, key: string): boolean {
  return share > 0 && hashString(`${fault}\u0000${key}`) / 0x1_0000_0000 < share;
}

/** Dead letters have no key of their own; their place in the source stands in for one. */
export function positionKey(source: string, position: number): string {
  return `${source}#${position}`;
}
