import type { ConstantArrivalRateScenario } from 'k6/options';
import { z } from 'zod';
import { positiveDuration, startTime, timeUnit, type K6Fields } from './fields.ts';
import { perSecond, type LoadProfileComponent } from './profile.ts';

/** k6's constant-arrival-rate: `rate` records per `timeUnit` for `duration`. */
export const constantArrivalRateSpec = z
  .object({
    executor: z.literal('constant-arrival-rate').describe("k6's constant-arrival-rate: a fixed rate for a duration."),
    rate: z.number().positive().describe('Records per timeUnit.'),
    timeUnit,
    duration: positiveDuration.describe('How long the rate is held.'),
    startTime,
  })
  .strict();

export type ConstantArrivalRateSpec = z.output<typeof constantArrivalRateSpec>;

// Every k6 constant-arrival-rate scenario's load fields are a valid profile here.
true satisfies K6Fields<ConstantArrivalRateScenario, 'rate' | 'timeUnit' | 'duration', z.input<typeof constantArrivalRateSpec>>;

export const constantArrivalRate = {
  executor: 'constant-arrival-rate',
  description: 'A fixed arrival rate for a duration.',
  spec: constantArrivalRateSpec,
  segments: (spec) => {
    const rate = perSecond(spec.rate, spec.timeUnit);
    return [{ durationMs: spec.duration, fromPerSec: rate, toPerSec: rate }];
  },
} satisfies LoadProfileComponent<'constant-arrival-rate', ConstantArrivalRateSpec>;
