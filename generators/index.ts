import { EcommerceGenerator, ecommerceOptions } from './ecommerce.ts';
import { LolGenerator, lolOptions } from './lol.ts';
import type { DatasetName, Generator, GeneratorConfig } from './generator.ts';

/** Every dataset the harness can generate: its generator and the schema of its options. */
export const generators = {
  ecommerce: { create: (config: GeneratorConfig) => new EcommerceGenerator(config), options: ecommerceOptions },
  lol: { create: (config: GeneratorConfig) => new LolGenerator(config), options: lolOptions },
} satisfies Record<DatasetName, { create: (config: GeneratorConfig) => Generator; options: unknown }>;

export function createGenerator(dataset: DatasetName, config: GeneratorConfig): Generator {
  return generators[dataset].create(config);
}

export type { DatasetName, Generator, GeneratorConfig } from './generator.ts';
export { datasetNames } from './generator.ts';
