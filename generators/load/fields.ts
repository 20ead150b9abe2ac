import { duration } from '../../core/fields.ts';

/** Fields every executor shares, named and read as k6 does. */
export const positiveDuration = duration.refine((ms) => ms > 0, 'expected a duration above 0');

export const timeUnit = positiveDuration.prefault('1s').describe('The period `rate`, `startRate` and stage targets count records per (k6: default 1s).');

export const startTime = duration.prefault('0s').describe('How long after the run starts this dataset begins (k6: startTime).');

/** `true` when k6's own scenario fields `Keys` (and startTime) all fit the profile's input type. */
export type K6Fields<Scenario, Keys extends keyof Scenario, Input> =
  Required<Pick<Scenario, Keys | ('startTime' extends keyof Scenario ? 'startTime' : never)>> extends Pick<Input, Extract<Keys, keyof Input>> ? true : false;
