import { z } from 'zod';
import { duration, share } from './fields.ts';
import { malformedRate, type MalformedKind } from '../generators/faults.ts';
import { generators } from '../generators/index.ts';

/**
 * The scenario file format. Every field carries a description; the JSON Schema for editors
 * (`harness validate --print-schema`) and the README's reference are generated from here.
 * Objects are strict: an unknown key is an error, never silently ignored.
 */

function faultRates(malformedKinds: readonly MalformedKind[]) {
  const perKind = z
    .object(Object.fromEntries(malformedKinds.map((k) => [k.kind, share.optional().describe(`${k.description} (reason ${k.reason})`)])))
    .strict();
  return z
    .object({
      duplicate: share.default(0).describe('Share of records re-emitted exactly (same key and payload) later on.'),
      malformed: z
        .union([share, perKind])
        .default(0)
        .describe('Share of records broken (unparsable or violating the schema), shared by every kind; or a share per kind.'),
      future: share.default(0).describe('Share of records dated in the future (2099-01-01, or futureOffset ahead): must be dead-lettered.'),
      late: share.default(0).describe('Share of records whose event time lags 1-6 hours: valid, must land.'),
    })
    .strict();
}

const duplicateDistance = z
  .object({
    min: z.number().int().min(1).default(1).describe('Fewest records between a duplicate and its original.'),
    max: z.number().int().min(1).default(1000).describe('Most records between a duplicate and its original.'),
  })
  .strict();

const seasonality = z
  .object({
    amplitude: z.number().min(0).max(0.95).default(0.5).describe('Swing around the mean rate: 0.5 = peak 1.5x, trough 0.5x.'),
    period: duration.prefault('24h').describe('Length of one cycle.'),
    peak: duration.prefault('20h').describe('Time of day (UTC, into the period) of the peak.'),
  })
  .strict();

function dataset<T extends z.ZodObject>(options: T, malformedKinds: readonly MalformedKind[]) {
  return z
    .object({
      count: z.number().int().min(1).max(1e12).describe('Records to generate.'),
      rate: z.number().min(0).default(0).describe('Mean records per second to aim for; 0 = as fast as possible.'),
      seasonality: seasonality.optional().describe('Let the rate swing over a (daily) cycle around its mean; absent: flat.'),
      faults: faultRates(malformedKinds).prefault({}).describe('Fault rates.'),
      duplicateDistance: duplicateDistance.optional().describe('How far back duplicates reach.'),
      futureOffset: duration.optional().describe('Date future records this far past their due time instead of 2099-01-01.'),
      options: options.prefault({} as z.input<T>).describe('Generator options.'),
    })
    .strict();
}

const topic = (name: string) =>
  z
    .object({
      name: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/).default(name).describe('Topic name.'),
      partitions: z.number().int().min(1).max(10_000).default(3).describe('Partitions, when the harness creates the topic.'),
    })
    .strict()
    .prefault({});

const transport = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('kafka').describe('Kafka topics (brokers from KAFKA_BROKERS), keyed by record id, with headers.'),
      topics: z
        .object({ ecommerce: topic('user_events'), lol: topic('lol_matches') })
        .strict()
        .prefault({})
        .describe('Topic per dataset (seed 002: lol_matches, 3 partitions).'),
      batchSize: z.number().int().min(1).max(100_000).default(2000).describe('Messages per produce request.'),
      inFlight: z.number().int().min(1).max(64).default(4).describe('Produce requests outstanding at once, per producer.'),
      acks: z.union([z.literal(-1), z.literal(0), z.literal(1)]).default(-1).describe('-1: all in-sync replicas (safe); 1: leader; 0: none.'),
      compression: z.enum(['none', 'gzip']).default('none').describe('Batch compression.'),
      deadLetterTopic: z.boolean().default(true).describe('Also send dead letters to <topic>.dlq, key and headers kept, reason headers added.'),
      consumerGroup: z.string().min(1).optional().describe('Consumer group of the reference pipeline; default harness-<run id>.'),
    })
    .strict(),
  z
    .object({
      type: z.literal('csv').describe('Rotated files written atomically (temp name + rename).'),
      dir: z.string().optional().describe('Directory for the files; default: the run directory.'),
      rotateRecords: z.number().int().min(1).default(50_000).describe('Most records in one file.'),
      rotateInterval: duration
        .prefault('1s')
        .describe('With a rate, also start a new file after this much time, so no record waits long for its file.'),
    })
    .strict(),
]);

const pipelineFaults = z
  .object({
    drop: share.default(0).describe('Share of valid records the pipeline silently loses.'),
    duplicateWrite: share.default(0).describe('Share of valid rows written twice, past the dedup.'),
    skipDlq: share.default(0).describe('Share of bad records dropped instead of dead-lettered.'),
  })
  .strict();

const pipeline = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('reference').describe("The harness's own pipeline: validate, dead-letter, transform, sink."),
      batchSize: z.number().int().min(1).max(100_000).default(5000).describe('Records per sink transaction.'),
      futureTolerance: duration.prefault('1h').describe('Event times beyond now + this are future_timestamp.'),
      pollInterval: duration.prefault('100ms').describe('How often the source looks for new files.'),
      faults: pipelineFaults.optional().describe('Faults injected on purpose, to prove the verifier catches them.'),
    })
    .strict(),
  z
    .object({
      type: z.literal('external').describe('Your own pipeline consumes the data; the harness only generates and verifies.'),
      waitFor: duration.prefault('60s').describe('How long verify waits for the sink to reach the expected count.'),
    })
    .strict(),
]);

const sink = z
  .object({
    type: z.literal('sql').default('sql').describe('PostgreSQL through pg when PG_URL/DATABASE_URL is set, else embedded PGlite.'),
    schema: z.string().regex(/^[a-z_][a-z0-9_]*$/).default('harness').describe('Database schema holding the tables.'),
    reset: z.boolean().default(true).describe('Drop and recreate the tables at the start of a run.'),
    tables: z
      .object({
        ecommerce: z.string().regex(/^[a-z_][a-z0-9_]*$/).default('user_events').describe('E-commerce events, one row per event.'),
        lol: z.string().regex(/^[a-z_][a-z0-9_]*$/).default('lol_participants').describe('LoL matches, one row per participant.'),
        dlq: z.string().regex(/^[a-z_][a-z0-9_]*$/).default('dead_letters').describe('Dead letters of every dataset.'),
      })
      .strict()
      .prefault({})
      .describe('Table names per dataset, and the dead-letter table.'),
  })
  .strict();

const slos = z
  .object({
    maxMissing: z.number().int().min(0).default(0).describe('Valid records absent from the sink.'),
    maxDuplicates: z.number().int().min(0).default(0).describe('Keys present more than once in the sink.'),
    maxUnexpected: z.number().int().min(0).default(0).describe('Sink rows no valid record explains.'),
    maxDlqMissed: z.number().int().min(0).default(0).describe('Bad records not dead-lettered.'),
    maxDlqWrongReason: z.number().int().min(0).default(0).describe('Dead-lettered with another reason than expected.'),
    maxValidDeadLettered: z.number().int().min(0).default(0).describe('Valid records wrongly dead-lettered.'),
    latency: z
      .object({
        p50: duration.optional().describe('Median.'),
        p90: duration.optional().describe('90th percentile.'),
        p99: duration.optional().describe('99th percentile.'),
        p999: duration.optional().describe('99.9th percentile.'),
        max: duration.optional().describe('Slowest row.'),
      })
      .strict()
      .prefault({})
      .describe('Upper bounds on ingest time minus send time.'),
    throughput: z
      .object({ minIngestedPerSec: z.number().min(0).optional().describe('Sustained sink rows per second.') })
      .strict()
      .prefault({})
      .describe('Lower bounds on rates.'),
  })
  .strict();

export const scenarioSchema = z
  .object({
    name: z.string().min(1).describe('Scenario name, used in reports.'),
    description: z.string().optional().describe('What the scenario is for.'),
    seed: z.union([z.number().int(), z.string().min(1)]).default(1).describe('Same seed, same bytes.'),
    baseTime: z.iso.datetime({ offset: true }).optional().describe('Event time of record 0; default: the run start.'),
    transport: transport.prefault({ type: 'csv' }).describe('Where generated records go.'),
    pipeline: pipeline.prefault({ type: 'reference' }).describe('Which pipeline consumes them.'),
    sink: sink.prefault({}).describe('Where the pipeline writes (connection from the environment).'),
    datasets: z
      .object({
        ecommerce: dataset(generators.ecommerce.options, generators.ecommerce.malformedKinds).optional().describe('Seed 001 e-commerce events (CSV).'),
        lol: dataset(generators.lol.options, generators.lol.malformedKinds).optional().describe('Seed 002 League of Legends matches, Riot match-v5 (JSON lines).'),
      })
      .strict()
      .describe('The datasets to generate, each with its volume, load profile and faults.'),
    slos: slos.prefault({}).describe('Service-level objectives that decide the verdict.'),
  })
  .strict();

export type Scenario = z.output<typeof scenarioSchema>;
export type DatasetSpec = NonNullable<Scenario['datasets']['ecommerce']> | NonNullable<Scenario['datasets']['lol']>;
export type PipelineSpec = Scenario['pipeline'];
export type ReferencePipelineSpec = Extract<PipelineSpec, { type: 'reference' }>;
export type SinkSpec = Scenario['sink'];
export type TransportSpec = Scenario['transport'];
export type KafkaTransportSpec = Extract<TransportSpec, { type: 'kafka' }>;
export type Slos = Scenario['slos'];
export type PipelineFaults = z.output<typeof pipelineFaults>;

/** Cross-field rules, checked once the shape is right. Each returns a path and a message. */
export function crossFieldProblems(scenario: Scenario): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const entries = Object.entries(scenario.datasets).filter(([, spec]) => spec !== undefined);
  if (entries.length === 0) problems.push({ path: ['datasets'], message: 'at least one dataset (ecommerce or lol) is needed' });
  for (const [name, spec] of entries) {
    if (!spec) continue;
    const { duplicate, future, late } = spec.faults;
    const total = duplicate + malformedRate(spec.faults) + future + late;
    if (total > 1) {
      problems.push({ path: ['datasets', name, 'faults'], message: `fault rates add up to ${total}, more than 1` });
    }
    if (spec.duplicateDistance && spec.duplicateDistance.min > spec.duplicateDistance.max) {
      problems.push({ path: ['datasets', name, 'duplicateDistance'], message: 'min is larger than max' });
    }
  }
  return problems;
}

/** JSON Schema of the scenario format, for editors (yaml-language-server). */
export function scenarioJsonSchema(): unknown {
  return z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any' });
}
