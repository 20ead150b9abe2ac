import { z } from 'zod';
import { constantArrivalRate, type ConstantArrivalRateSpec } from './constant-arrival-rate.ts';
import { PiecewiseSchedule } from './piecewise.ts';
import { rampingArrivalRate, type RampingArrivalRateSpec } from './ramping-arrival-rate.ts';
import type { Schedule } from './schedule.ts';
import { SteadySchedule, type Seasonality } from './steady.ts';

export type LoadProfileSpec = ConstantArrivalRateSpec | RampingArrivalRateSpec;

/** Every load profile executor, by k6's name. A new one is one file plus one line here. */
export const loadProfiles = {
  'constant-arrival-rate': constantArrivalRate,
  'ramping-arrival-rate': rampingArrivalRate,
} as const;

/** k6 executors that are not open-model arrival rates, and why a generator cannot take them. */
const closedModel: Record<string, string> = {
  'constant-vus': 'a closed-model executor',
  'ramping-vus': 'a closed-model executor',
  'shared-iterations': 'a closed-model executor',
  'per-vu-iterations': 'a closed-model executor',
  'externally-controlled': 'controlled from outside at run time',
};

function executorProblem(executor: unknown): string {
  const known = Object.keys(loadProfiles).join(', ');
  if (typeof executor === 'string' && executor in closedModel) {
    return `executor ${executor} is ${closedModel[executor]}: k6's virtual users wait for each response, and a data generator has no response to wait for, so its rate would be whatever the sink allows. Use an arrival-rate executor (${known}), which says when each record is due`;
  }
  return `unknown executor ${JSON.stringify(executor)}; expected one of ${known}`;
}

/** `load:` in a dataset: one executor's spec, told apart by `executor`. */
export const loadProfileSpec = z.discriminatedUnion('executor', [constantArrivalRate.spec, rampingArrivalRate.spec], {
  error: (issue) => executorProblem((issue.input as { executor?: unknown } | undefined)?.executor),
});

/** What decides a dataset's schedule: a load profile, or the simple rate (+ seasonality). */
export interface Pacing {
  rate: number;
  seasonality?: Seasonality;
  load?: LoadProfileSpec;
}

export function profileSchedule(load: LoadProfileSpec): PiecewiseSchedule {
  const component = loadProfiles[load.executor] as { segments(spec: LoadProfileSpec): ReturnType<typeof constantArrivalRate.segments> };
  return new PiecewiseSchedule(component.segments(load), load.startTime);
}

/** The schedule of a dataset; `startMs` (epoch ms of offset 0) anchors seasonality to the clock. */
export function scheduleFor(pacing: Pacing, startMs: number): Schedule {
  return pacing.load ? profileSchedule(pacing.load) : new SteadySchedule(pacing.rate, pacing.seasonality ?? null, startMs);
}

/** Records a profile produces: the integral of its rate up to its end. */
export function profileCount(load: LoadProfileSpec): number {
  return profileSchedule(load).count;
}

export type { Schedule, StageWindow } from './schedule.ts';
export type { Seasonality } from './steady.ts';
export { NOMINAL_RATE } from './schedule.ts';
