import { EcommerceGenerator, ecommerceMalformed, ecommerceOptions } from './ecommerce.ts';
import type { MalformedKind } from './faults.ts';
import { LolGenerator, lolMalformed, lolOptions } from './lol.ts';
import type { DatasetName, Generator, GeneratorConfig } from './generator.ts';

/** Every dataset the harness can generate: its generator, the schema of its options, its malformed kinds. */
export const generators = {
  ecommerce: { create: (config: GeneratorConfig) => new EcommerceGenerator(config), options: ecommerceOptions, malformedKinds: ecommerceMalformed },
  lol: { create: (config: GeneratorConfig) => new LolGenerator(config), options: lolOptions, malformedKinds: lolMalformed },
} satisfies Record<DatasetName, { create: (config: GeneratorConfig) => Generator; options: unknown; malformedKinds: readonly MalformedKind[] }>;

export function createGenerator(dataset: DatasetName, config: GeneratorConfig): Generator {
  return generators[dataset].create(config);
}

export type { DatasetName, Generator, GeneratorConfig } from './generator.ts';
export { datasetNames } from './generator.ts';
