import type { DatasetName } from '../../generators/generator.ts';
import type { DatasetOutput } from '../output.ts';
import { ecommerceOutput } from './ecommerce-output.ts';
import { lolOutput } from './lol-output.ts';

/**
 * Each dataset's declared output: what its sink holds, field by field. Apart from the rules
 * (index.ts), so that the verifier and the sink readers load without the validation rules and
 * their CSV parser.
 */
export const datasetOutputs = { ecommerce: ecommerceOutput, lol: lolOutput } satisfies Record<DatasetName, DatasetOutput>;

/** A dataset's output as the seams see it, whichever dataset: its fields typed as field specs. */
export function outputOf(dataset: DatasetName): DatasetOutput {
  return datasetOutputs[dataset];
}
