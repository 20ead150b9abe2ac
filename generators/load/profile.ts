import type { z } from 'zod';
import type { Segment } from './piecewise.ts';

/**
 * A load profile executor, as in k6 (lib/executor/*.go): its scenario spec and the rate it asks
 * for over time. The schedule (index -> intended send time, and its inverse) is built from the
 * segments by PiecewiseSchedule, so a new executor is one file plus one line in ./index.ts.
 */
export interface LoadProfileComponent<Executor extends string, Spec extends { executor: Executor; startTime: number }> {
  executor: Executor;
  /** One line for the reference docs. */
  description: string;
  spec: z.ZodType<Spec>;
  /** The target rate over time, after `startTime`. */
  segments(spec: Spec): Segment[];
}

/** Records per second from k6's `rate` per `timeUnit`. */
export function perSecond(rate: number, timeUnitMs: number): number {
  return (rate * 1000) / timeUnitMs;
}
