import type { DatasetName } from '../../generators/generator.ts';
import type { StatisticSpec } from '../statistics.ts';
import { lolStatistics } from './lol-statistics.ts';

/**
 * Each dataset's declared statistics (pipeline/statistics.ts): what a sink keeps beside its rows;
 * none for e-commerce. Apart from the rules (index.ts), so that a sink's scenario spec, which names
 * where each statistic is kept, loads without the rules and the generators.
 */
export const datasetStatistics = { ecommerce: [], lol: lolStatistics } satisfies Record<DatasetName, readonly StatisticSpec[]>;
