import { EcommerceGenerator } from './ecommerce.ts';
import { LolGenerator } from './lol.ts';
import type { DatasetName, Generator, GeneratorConfig } from './generator.ts';
import { datasetSpecs } from './specs.ts';

/** Every dataset the harness can generate: its spec (specs.ts) and its generator. */
export const generators = {
  ecommerce: { ...datasetSpecs.ecommerce, create: (config: GeneratorConfig) => new EcommerceGenerator(config) },
  lol: { ...datasetSpecs.lol, create: (config: GeneratorConfig) => new LolGenerator(config) },
} satisfies Record<DatasetName, { create: (config: GeneratorConfig) => Generator }>;

export function createGenerator(dataset: DatasetName, config: GeneratorConfig): Generator {
  return generators[dataset].create(config);
}

export type { DatasetName, Generator, GeneratorConfig } from './generator.ts';
export { datasetNames } from './generator.ts';
