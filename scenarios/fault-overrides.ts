import { HarnessError } from '../core/errors.ts';
import type { FaultRates } from '../generators/faults.ts';
import { datasetSpecs } from '../generators/specs.ts';
import type { DatasetName } from '../generators/generator.ts';
import type { Scenario } from './schema.ts';

const basic = ['duplicate', 'malformed', 'future', 'late'] as const;

/**
 * `--faults none` or `--faults duplicate=0.01,click_event=0.02,...`: replaces the scenario's fault
 * rates for every dataset. Naming malformed kinds gives each its own rate; a kind applies to the
 * datasets that have it. Unnamed rates become 0.
 */
export function overrideFaults(scenario: Scenario, text: string): Scenario {
  const entries = text.trim() === 'none' ? [] : text.split(',').map((part) => parseEntry(part));
  const allKinds = new Set<string>(Object.values(datasetSpecs).flatMap((g) => g.malformedKinds.map((k) => k.kind)));
  for (const [name] of entries) {
    if (!(basic as readonly string[]).includes(name) && !allKinds.has(name)) {
      throw new HarnessError('usage', `--faults: unknown fault "${name}"; use ${basic.join(', ')} or a malformed kind (${[...allKinds].join(', ')})`);
    }
  }
  const datasets: Scenario['datasets'] = {};
  for (const name of Object.keys(scenario.datasets) as DatasetName[]) {
    const spec = scenario.datasets[name];
    if (!spec) continue;
    const kinds = new Set<string>(datasetSpecs[name].malformedKinds.map((k) => k.kind));
    const rate = (key: string) => entries.find(([n]) => n === key)?.[1] ?? 0;
    const perKind = entries.filter(([n]) => kinds.has(n));
    const faults: FaultRates = {
      duplicate: rate('duplicate'),
      malformed: perKind.length > 0 ? Object.fromEntries(perKind) : rate('malformed'),
      future: rate('future'),
      late: rate('late'),
    };
    Object.assign(datasets, { [name]: { ...spec, faults } });
  }
  return { ...scenario, datasets };
}

function parseEntry(part: string): [string, number] {
  const [name, value] = part.split('=').map((s) => s.trim());
  const rate = Number(value);
  if (!name || value === undefined || !Number.isFinite(rate) || rate < 0 || rate > 1) {
    throw new HarnessError('usage', `--faults: expected name=rate with a rate from 0 to 1, got "${part}"`);
  }
  return [name, rate];
}
