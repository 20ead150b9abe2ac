import type { DatasetName } from '../generators/index.ts';
import type { DatasetSpec, Scenario } from '../scenarios/schema.ts';

export function scenarioDatasets(scenario: Scenario): [DatasetName, DatasetSpec][] {
  return (Object.entries(scenario.datasets) as [DatasetName, DatasetSpec | undefined][]).filter(
    (entry): entry is [DatasetName, DatasetSpec] => entry[1] !== undefined,
  );
}
