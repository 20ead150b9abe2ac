import type { Client, estypes } from '@elastic/elasticsearch';
import { HarnessError } from '../../../core/errors.ts';
import type { DatasetName } from '../../../generators/generator.ts';
import { formatLimit } from '../../../pipeline/outage.ts';
import { datasetRules } from '../../../pipeline/rules/index.ts';
import { bodyOf, statusOf } from './failures.ts';
import {
  checkpointFields,
  checkpointMapping,
  datasetMapping,
  deadLetterFields,
  deadLetterMapping,
  mappingProblems,
  statisticsFields,
  statisticsMapping,
  writtenFields,
  type WantedField,
} from './mapping.ts';
import type { ElasticsearchSinkSpec } from './spec.ts';
import { statisticsIndices, statisticsPlace } from './statistics.ts';

/** One index the sink writes: how it is made when missing, and what an existing one must map. */
interface IndexPlan {
  name: string;
  /** For messages: what the index holds. */
  holds: string;
  /** Which scenario key names it, for messages. */
  key: string;
  settings: estypes.IndicesIndexSettings;
  mappings: estypes.MappingTypeMapping;
  wanted: WantedField[];
}

/** The indices a run writes: one per dataset, one per statistic a dataset keeps, the dead letters and the checkpoints. */
export function indexPlans(spec: ElasticsearchSinkSpec, datasets: readonly DatasetName[]): IndexPlan[] {
  // A statistic's index holds a few documents per group and window: one shard is plenty.
  const small: estypes.IndicesIndexSettings = { number_of_shards: 1, number_of_replicas: spec.replicas };
  const statistics = datasets.flatMap((dataset) =>
    (statisticsIndices(spec, dataset) ?? []).map((kept): IndexPlan => ({
      name: kept.where,
      ...statisticsPlace(kept, dataset),
      settings: small,
      mappings: statisticsMapping(kept),
      wanted: statisticsFields(kept),
    })),
  );
  return [
    ...datasets.map((dataset) => ({
      name: spec.indices[dataset],
      holds: `the ${dataset} rows`,
      key: `sink.indices.${dataset}`,
      settings: {
        number_of_shards: spec.shards,
        number_of_replicas: spec.replicas,
        refresh_interval: formatLimit(spec.refreshInterval),
        // So an external pipeline writing here gets ingested_at from the cluster's clock too.
        default_pipeline: spec.ingestPipeline,
      },
      mappings: datasetMapping(datasetRules[dataset].output),
      wanted: writtenFields(datasetRules[dataset].output),
    })),
    ...statistics,
    { name: spec.indices.dlq, holds: 'the dead letters', key: 'sink.indices.dlq', settings: small, mappings: deadLetterMapping, wanted: deadLetterFields },
    {
      name: spec.indices.checkpoints,
      holds: 'the checkpoints',
      key: 'sink.indices.checkpoints',
      settings: small,
      mappings: checkpointMapping,
      wanted: checkpointFields,
    },
  ];
}

/** The ingest pipeline that stamps `ingested_at` with the cluster's clock when a document arrives. */
export async function putIngestPipeline(client: Client, spec: ElasticsearchSinkSpec): Promise<void> {
  await client.ingest.putPipeline({
    id: spec.ingestPipeline,
    description: 'harness: ingested_at = when the document reached the cluster, stamped by the server (never by the writer)',
    processors: [{ set: { field: 'ingested_at', value: '{{{_ingest.timestamp}}}' } }],
  });
}

/**
 * Makes the run's indices ready: the ingest pipeline, then each index created when missing (with
 * `reset`, deleted first) or, when it exists, its mapping checked and left as it is. A mapping that
 * cannot hold the output is a configuration error naming the index and the field.
 */
export async function prepareIndices(
  client: Client,
  spec: ElasticsearchSinkSpec,
  datasets: readonly DatasetName[],
  options: { reset: boolean; description: string; log: (line: string) => void },
): Promise<string[]> {
  const plans = indexPlans(spec, datasets);
  await putIngestPipeline(client, spec);
  if (options.reset) {
    await client.indices.delete({ index: plans.map((p) => p.name), ignore_unavailable: true, allow_no_indices: true });
  }
  for (const plan of plans) {
    if (await createIfMissing(client, plan.name, plan.settings, plan.mappings)) options.log(`created index ${plan.name} on ${options.description}`);
    else await requireMapping(client, plan.name, plan.wanted, options.description, `${plan.holds} (${plan.key})`);
  }
  return plans.map((p) => p.name);
}

/** Creates the index unless it (or an alias of that name) exists; true when this call created it. */
export async function createIfMissing(
  client: Client,
  index: string,
  settings: estypes.IndicesIndexSettings,
  mappings: estypes.MappingTypeMapping,
): Promise<boolean> {
  if (await client.indices.exists({ index })) return false;
  try {
    await client.indices.create({ index, settings, mappings });
    return true;
  } catch (error) {
    // Another process created it between the two calls.
    const cause = bodyOf(error)?.error;
    if (statusOf(error) === 400 && typeof cause === 'object' && cause.type === 'resource_already_exists_exception') return false;
    throw error;
  }
}

/**
 * Fails with a configuration error naming the index and every field it lacks or maps as a type
 * that cannot hold it. An alias is checked through each index behind it. `otherwise` ends the
 * message for a missing index with what else the user may do.
 */
export async function requireMapping(
  client: Client,
  index: string,
  wanted: readonly WantedField[],
  description: string,
  holds: string,
  otherwise = '',
): Promise<void> {
  let mappings: estypes.IndicesGetMappingResponse;
  try {
    mappings = await client.indices.getMapping({ index });
  } catch (error) {
    if (statusOf(error) === 404) {
      throw new HarnessError(
        'config',
        `index ${index} does not exist on ${description}: nothing holds ${holds}. Let the harness create it (harness sink init, or a run with pipeline: reference), or point the scenario at yours${otherwise}`,
        { cause: error },
      );
    }
    throw error;
  }
  for (const [concrete, record] of Object.entries(mappings)) {
    const problems = mappingProblems(record.mappings.properties, wanted);
    if (problems.length > 0) {
      const name = concrete === index ? `index ${index}` : `index ${concrete} (behind ${index})`;
      throw new HarnessError(
        'config',
        `${name} on ${description} cannot hold ${holds}: ${problems.join('; ')}. The harness never changes an existing mapping: fix or delete the index (sink.reset: true recreates it), or point the scenario at another; see docs/elasticsearch.md`,
      );
    }
  }
}
