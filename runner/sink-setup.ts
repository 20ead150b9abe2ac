import type { SinkSetup } from '../connectors/sinks/sink.ts';
import type { Scenario } from '../scenarios/schema.ts';
import { scenarioDatasets } from './scenario-datasets.ts';

/**
 * How a run's sink tables are set up: reset (a new run) or kept (`harness pipeline` resuming); keys
 * and dead letters unique, and statistics counted once, unless the reference pipeline injects
 * faults on purpose.
 */
export function sinkSetup(scenario: Scenario, reset: boolean, log: (line: string) => void): SinkSetup {
  const faults = scenario.pipeline.type === 'reference' ? scenario.pipeline.faults : undefined;
  return {
    datasets: scenarioDatasets(scenario).map(([name]) => name),
    reset,
    uniqueKeys: !(faults && faults.duplicateWrite > 0),
    uniqueDeadLetters: !(faults && faults.duplicateDeadLetter > 0),
    doubleCount: faults?.doubleCount ?? 0,
    log,
  };
}
