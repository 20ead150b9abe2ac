import type { DatasetName } from '../../generators/generator.ts';
import { ecommerceRules } from './ecommerce.ts';
import { lolRules } from './lol.ts';
import type { DatasetRules } from './rules.ts';

/** The reference pipeline's rule set per dataset. */
export const datasetRules = { ecommerce: ecommerceRules, lol: lolRules } satisfies Record<DatasetName, DatasetRules>;

export { datasetOutputs, outputOf } from './outputs.ts';
export { datasetStatistics } from './dataset-statistics.ts';
