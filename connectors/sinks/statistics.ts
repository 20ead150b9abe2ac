import { z } from 'zod';
import type { DatasetName } from '../../generators/generator.ts';
import { datasetStatistics } from '../../pipeline/rules/dataset-statistics.ts';
import { measureUnit, WINDOW_START, type Measure, type StatisticSpec } from '../../pipeline/statistics.ts';

/**
 * What every sink's statistics share (pipeline/statistics.ts declares them): the scenario's
 * `sink.statistics` setting, which names where each statistic is kept (a SQL table, an
 * Elasticsearch index) and what its parts are called there, or says the pipeline under test keeps
 * none (`false`); and the names of the reference pipeline's own measures.
 */

/** The parts of a statistic a pipeline may call otherwise: the group, the window start, each declared field; with what each holds. */
function renamableParts(statistic: StatisticSpec): [string, string][] {
  return [
    [statistic.groupBy, `The group (${statistic.groupBy}).`],
    [WINDOW_START, `Start of the ${statistic.windowMs / 60_000}-minute event-time window; null on the group's total.`],
    ...Object.entries(statistic.fields).map(([name, f]): [string, string] => [name, f.spec.description]),
  ];
}

/**
 * `{ <declared>: <yours> }` for one statistic's parts (a SQL sink's `columns`, an Elasticsearch
 * sink's `fields`), each defaulting to its declared name. `noun` says what a part is: "Column".
 */
export function partNames(statistic: StatisticSpec, noun: string, name: z.ZodString) {
  return z
    .object(
      Object.fromEntries(
        renamableParts(statistic).map(([declared, holds]) => [declared, name.default(declared).describe(`${noun} holding ${declared}: ${holds}`)]),
      ),
    )
    .strict()
    .prefault({})
    .describe(`${noun} names, where yours differ from the declared names.`);
}

/**
 * A sink's `statistics` setting: `false`, or per dataset that declares statistics and per
 * statistic, where it is kept (`place`: the sink's object for one statistic, whose shape `entry`
 * shows in the error for a value that is neither, e.g. "{ table, columns }").
 */
export function statisticsSetting<T extends z.ZodType>(place: (statistic: StatisticSpec) => T, entry: string, description: string) {
  const mapping = z
    .object(
      Object.fromEntries(
        Object.entries(datasetStatistics)
          .filter(([, statistics]) => statistics.length > 0)
          .map(([dataset, statistics]: [string, readonly StatisticSpec[]]) => [
            dataset,
            z
              .object(Object.fromEntries(statistics.map((s) => [s.name, place(s).describe(`The ${s.name} statistics of ${dataset}.`)])))
              .strict()
              .prefault({})
              .describe(`Statistics of ${dataset}, by statistic.`),
          ]),
      ),
    )
    .strict();
  return z
    .union([z.literal(false, { error: `expected false (the pipeline keeps no statistics) or, per dataset and statistic, ${entry}` }), mapping])
    .prefault({})
    .describe(description);
}

/** A declared statistic where a sink keeps it. */
export interface KeptStatistic {
  readonly statistic: StatisticSpec;
  /** The table or index holding it. */
  readonly where: string;
  /** What the sink calls a part (the group field, `window_start`, a declared field), as the scenario maps it. */
  readonly name: (declared: string) => string;
}

/**
 * The dataset's statistics where the setting keeps them (none when it declares none), or null when
 * the scenario says the pipeline keeps none (`statistics: false`). `read` takes one statistic's
 * entry (absent only in a setting that was not parsed) apart into where and its names.
 */
export function keptStatistics<K>(
  setting: false | Readonly<Record<string, Readonly<Record<string, K>> | undefined>>,
  dataset: DatasetName,
  read: (entry: K) => { where: string; names: Readonly<Record<string, string>> },
): KeptStatistic[] | null {
  if (setting === false) return null;
  const mapping = setting[dataset];
  return datasetStatistics[dataset].map((statistic) => {
    const entry = mapping?.[statistic.name];
    const { where, names } = entry === undefined ? { where: statistic.table, names: {} } : read(entry);
    return { statistic, where, name: (declared) => names[declared] ?? declared };
  });
}

/**
 * Where the reference pipeline keeps a measure beside the declared fields, named with its unit
 * (`sum_kda_x100`: kda summed in hundredths): its own bookkeeping, never read by the verifier, so a
 * pipeline of your own may leave them out.
 */
export function measureColumn(name: string, m: Measure): string {
  const unit = measureUnit(m);
  return unit === 1 ? `sum_${name}` : `sum_${name}_x${unit}`;
}

/**
 * What keeps each dataset's statistics in a sink, by dataset, for the datasets whose statistics it
 * keeps: `kept` says where (null or none: the dataset has none there), `make` builds the keeper.
 */
export function statisticsKeepers<Place, Keeper>(
  datasets: readonly DatasetName[],
  kept: (dataset: DatasetName) => Place[] | null,
  make: (dataset: DatasetName, places: Place[]) => Keeper,
): Partial<Record<DatasetName, Keeper>> {
  const keepers: Partial<Record<DatasetName, Keeper>> = {};
  for (const dataset of datasets) {
    const places = kept(dataset);
    if (places && places.length > 0) keepers[dataset] = make(dataset, places);
  }
  return keepers;
}
