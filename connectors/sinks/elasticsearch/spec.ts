import { z } from 'zod';
import { duration } from '../../../core/fields.ts';
import { partNames, statisticsSetting } from '../statistics.ts';

/**
 * An index name as Elasticsearch takes it: lower case, no `\ / * ? " < > | , #` or spaces, not
 * starting with `-`, `_` or `+` (nor `.`, which is for system indices), at most 255 bytes.
 */
const indexName = z
  .string()
  .max(255)
  .regex(/^[a-z0-9][a-z0-9_.-]*$/, 'expected an Elasticsearch index name: lower case letters, digits, _ . - (not first)');

/** A field name of a document the harness reads: no dots (they would name a field inside an object), not `_` first (metadata fields). */
const fieldName = z.string().regex(/^[A-Za-z0-9@][A-Za-z0-9_@-]*$/, 'expected a field name: letters, digits, _ @ - (not _ first), no dots');

/** The Elasticsearch sink's part of a scenario: which indices and how they are made, never how to reach the cluster (that is ES_URL). */
export const elasticsearchSinkSpec = z
  .object({
    type: z
      .literal('elasticsearch')
      .describe('Elasticsearch at ES_URL, authenticated by ES_API_KEY or ES_USERNAME/ES_PASSWORD, trusting ES_CA_FILE (see docs/elasticsearch.md).'),
    indices: z
      .object({
        ecommerce: indexName.default('user_events').describe('E-commerce events, one document per event, _id = event_id.'),
        lol: indexName.default('lol_matches_stream').describe('LoL matches, one document per participant, _id = match_id:participant_id (seed 002).'),
        dlq: indexName.default('harness_dead_letters').describe('Dead letters of every dataset, _id = dataset:source:position.'),
        checkpoints: indexName
          .default('harness_checkpoints')
          .describe("Where the reference pipeline keeps each source's position, written after the batch's documents."),
        locks: indexName.default('harness_locks').describe('One lock document per index a run writes, so two runs never write one index; never reset.'),
      })
      .strict()
      .prefault({})
      .describe('Index names per dataset, for dead letters, checkpoints and locks.'),
    statistics: statisticsSetting(
      (statistic) =>
        z
          .object({
            index: indexName.default(statistic.table).describe(`${statistic.description} One document per group and window, one per group in total.`),
            fields: partNames(statistic, 'Field', fieldName),
          })
          .strict()
          .prefault({}),
      '{ index, fields }',
      "Where the pipeline keeps each dataset's statistics (seed 002: champion and position stats per 5-minute window and in total, one index each; see docs/elasticsearch.md): per dataset and statistic, `{ index, fields }`. `false`: the pipeline under test keeps none, and the aggregates check does not apply.",
    ),
    shards: z.number().int().min(1).max(1024).default(3).describe('number_of_shards of a data index the harness creates (seed 002: 3).'),
    replicas: z
      .number()
      .int()
      .min(0)
      .max(16)
      .default(1)
      .describe('number_of_replicas of every index the harness creates (seed 002: 1; a one-node cluster stays yellow, which writes fine).'),
    refreshInterval: duration
      .prefault('5s')
      .describe(
        'refresh_interval of a data index the harness creates (seed 002: 5s); the writer refreshes once more at the end of a run and the verifier before it reads.',
      ),
    ingestPipeline: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/)
      .default('harness_ingested_at')
      .describe(
        "Ingest pipeline stamping ingested_at with the cluster's clock (a set processor from _ingest.timestamp); the default_pipeline of the data indices the harness creates.",
      ),
    reset: z
      .boolean()
      .default(true)
      .describe(
        'Delete and recreate the data, statistics, dead-letter and checkpoint indices at the start of a run (external pipelines: create them empty before producing). false keeps an index you made; its mapping is then checked, never changed.',
      ),
    outageLimit: duration
      .prefault('5m')
      .describe(
        'How long a lost cluster is waited out before the run fails (exit 3): connecting, bulk requests refused with 429 or 5xx, a lost connection and the verifier connecting retry with backoff (200 ms doubling to 5 s). Authentication failures are never retried.',
      ),
  })
  .strict();

export type ElasticsearchSinkSpec = z.output<typeof elasticsearchSinkSpec>;

/** How to reach a run's cluster again: its URL without user or password (credentials are re-read from the environment). */
export type ElasticsearchLocation = { kind: 'elasticsearch'; url: string };
