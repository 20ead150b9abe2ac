import type { PipelineOptions } from '../pipeline/run-pipeline.ts';
import type { ReferencePipelineSpec, Scenario } from '../scenarios/schema.ts';
import { deadLetterTopicFor } from './run-scenario.ts';

/** The sink keeps unique keys unless the scenario injects double writes past the dedup. */
export function uniqueKeysFor(spec: ReferencePipelineSpec): boolean {
  return !(spec.faults && spec.faults.duplicateWrite > 0);
}

/** The reference pipeline's settings from a scenario: what `run` and `harness pipeline` share. */
export function referencePipelineSettings(
  spec: ReferencePipelineSpec,
  scenario: Scenario,
  env: NodeJS.ProcessEnv,
  runId: string,
  log: (line: string) => void,
): Omit<PipelineOptions, 'sources' | 'sink' | 'signal'> {
  return {
    batchSize: spec.batchSize,
    futureToleranceMs: spec.futureTolerance,
    pollIntervalMs: spec.pollInterval,
    ...(spec.faults ? { faults: spec.faults } : {}),
    ...deadLetterTopicFor(scenario, env, runId, log),
    log,
  };
}
