import type { GeneratorConfig } from '../generators/generator.ts';
import type { DatasetSpec } from './schema.ts';

/** The generator config a scenario's dataset block stands for; run and verify must agree on it. */
export function generatorConfig(seed: number, baseTimeMs: number, spec: DatasetSpec): GeneratorConfig {
  return {
    seed,
    baseTimeMs,
    rate: spec.rate,
    ...(spec.load ? { load: spec.load } : {}),
    faults: spec.faults,
    ...(spec.duplicateDistance ? { duplicateDistance: spec.duplicateDistance } : {}),
    ...(spec.futureOffset !== undefined ? { futureOffsetMs: spec.futureOffset } : {}),
    ...(spec.seasonality ? { seasonality: { amplitude: spec.seasonality.amplitude, periodMs: spec.seasonality.period, peakMs: spec.seasonality.peak } } : {}),
    options: spec.options,
  };
}
