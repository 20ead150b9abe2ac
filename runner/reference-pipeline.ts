import { deadLetterPublisherFor } from '../connectors/transports/index.ts';
import type { ReasonCode } from '../core/reasons.ts';
import { generators } from '../generators/index.ts';
import type { BadRecordAction, PipelineOptions } from '../pipeline/run-pipeline.ts';
import type { ReferencePipelineSpec, Scenario } from '../scenarios/schema.ts';
import { scenarioDatasets } from './scenario-datasets.ts';

/** What the pipeline does per reason a record fails on, from the scenario's `expect` per bad kind. */
export function actionsFor(scenario: Scenario): NonNullable<PipelineOptions['actions']> {
  const actions: NonNullable<PipelineOptions['actions']> = {};
  for (const [name, dataset] of scenarioDatasets(scenario)) {
    const perReason: Partial<Record<ReasonCode, BadRecordAction>> = { future_timestamp: dataset.expect.future };
    for (const kind of generators[name].malformedKinds) {
      const action = (dataset.expect.malformed as Record<string, BadRecordAction | undefined>)[kind.kind];
      if (action) perReason[kind.reason] = action;
    }
    actions[name] = perReason;
  }
  return actions;
}

/** The reference pipeline's settings from a scenario: what `run` and `harness pipeline` share. */
export async function referencePipelineSettings(
  spec: ReferencePipelineSpec,
  scenario: Scenario,
  env: NodeJS.ProcessEnv,
  runId: string,
  log: (line: string) => void,
): Promise<Omit<PipelineOptions, 'sources' | 'sink' | 'signal'>> {
  const deadLetterTopic = await deadLetterPublisherFor(scenario.transport, { runId, env, log });
  return {
    batchSize: spec.batchSize,
    futureToleranceMs: spec.futureTolerance,
    pollIntervalMs: spec.pollInterval,
    ...(spec.faults ? { faults: spec.faults } : {}),
    ...(deadLetterTopic ? { deadLetterTopic } : {}),
    actions: actionsFor(scenario),
    outageLimitMs: scenario.sink.outageLimit,
    log,
  };
}
