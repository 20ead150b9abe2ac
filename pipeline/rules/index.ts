import type { DatasetName } from '../../generators/generator.ts';
import { ecommerceRules } from './ecommerce.ts';
import { lolRules } from './lol.ts';
import type { DatasetRules } from './rules.ts';
import type { DatasetOutput } from '../output.ts';

/** The reference pipeline's rule set per dataset. */
export const datasetRules = { ecommerce: ecommerceRules, lol: lolRules } satisfies Record<DatasetName, DatasetRules>;

/** Each dataset's declared output: what its sink holds, field by field. */
export const datasetOutputs = { ecommerce: ecommerceRules.output, lol: lolRules.output } satisfies Record<DatasetName, DatasetOutput>;

export { datasetStatistics } from './dataset-statistics.ts';
