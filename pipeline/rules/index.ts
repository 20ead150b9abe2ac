import type { DatasetName } from '../../generators/generator.ts';
import { ecommerceRules } from './ecommerce.ts';
import { lolRules } from './lol.ts';
import { lolStatistics } from './lol-statistics.ts';
import type { DatasetRules } from './rules.ts';
import type { DatasetOutput } from '../output.ts';
import type { StatisticSpec } from '../statistics.ts';

/** The reference pipeline's rule set per dataset. */
export const datasetRules = { ecommerce: ecommerceRules, lol: lolRules } satisfies Record<DatasetName, DatasetRules>;

/** Each dataset's declared output: what its sink holds, field by field. */
export const datasetOutputs = { ecommerce: ecommerceRules.output, lol: lolRules.output } satisfies Record<DatasetName, DatasetOutput>;

/** Each dataset's declared statistics (pipeline/statistics.ts): what a sink keeps beside its rows; none for e-commerce. */
export const datasetStatistics = { ecommerce: [], lol: lolStatistics } satisfies Record<DatasetName, readonly StatisticSpec[]>;
