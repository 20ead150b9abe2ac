import type { RampingArrivalRateScenario, Stage } from 'k6/options';
import { z } from 'zod';
import { positiveDuration, startTime, timeUnit, type K6Fields } from './fields.ts';
import { perSecond, type LoadProfileComponent } from './profile.ts';

const stage = z
  .object({
    target: z.number().min(0).describe('Records per timeUnit reached at the end of the stage (a step: a short stage; a pause: 0).'),
    duration: positiveDuration.describe('How long the stage takes to move the rate linearly to its target.'),
  })
  .strict();

/** k6's ramping-arrival-rate: from `startRate`, each stage moves the rate linearly to its target. */
export const rampingArrivalRateSpec = z
  .object({
    executor: z.literal('ramping-arrival-rate').describe("k6's ramping-arrival-rate: stages that ramp the rate linearly."),
    startRate: z.number().min(0).default(0).describe('Records per timeUnit at the start.'),
    timeUnit,
    stages: z.array(stage).min(1, 'a ramping-arrival-rate profile needs at least one stage').describe('The stages, in order.'),
    startTime,
  })
  .strict();

export type RampingArrivalRateSpec = z.output<typeof rampingArrivalRateSpec>;

true satisfies K6Fields<RampingArrivalRateScenario, 'startRate' | 'timeUnit', z.input<typeof rampingArrivalRateSpec>>;
true satisfies Stage extends z.input<typeof stage> ? true : false;

export const rampingArrivalRate = {
  executor: 'ramping-arrival-rate',
  description: 'Stages that each move the arrival rate linearly to a target.',
  spec: rampingArrivalRateSpec,
  segments: (spec) => {
    let from = perSecond(spec.startRate, spec.timeUnit);
    return spec.stages.map((s) => {
      const to = perSecond(s.target, spec.timeUnit);
      const segment = { durationMs: s.duration, fromPerSec: from, toPerSec: to };
      from = to;
      return segment;
    });
  },
} satisfies LoadProfileComponent<'ramping-arrival-rate', RampingArrivalRateSpec>;
