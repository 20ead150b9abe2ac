import type { z } from 'zod';
import { ecommerceMalformed, ecommerceOptions } from './ecommerce-spec.ts';
import type { MalformedKind } from './faults.ts';
import type { DatasetName } from './generator.ts';
import { lolMalformed, lolOptions } from './lol-spec.ts';

/**
 * Every dataset as a scenario names it: the schema of its generator options and its malformed
 * kinds. The scenario schema is built from this registry alone; the generators themselves
 * (index.ts) are loaded only by the commands that generate or verify.
 */
export const datasetSpecs = {
  ecommerce: { options: ecommerceOptions, malformedKinds: ecommerceMalformed },
  lol: { options: lolOptions, malformedKinds: lolMalformed },
} satisfies Record<DatasetName, { options: z.ZodObject; malformedKinds: readonly MalformedKind[] }>;
