import type { ObjectThreshold } from 'k6/options';
import { z } from 'zod';
import { duration, share } from '../core/fields.ts';
import { malformedRate, type MalformedKind } from '../generators/faults.ts';
import { datasetNames, type DatasetName } from '../generators/dataset-names.ts';
import { datasetSpecs } from '../generators/specs.ts';
import { loadProfileSpec, profileCount, profileSchedule, type LoadProfileSpec } from '../generators/load/index.ts';
import { transportSpecs } from '../connectors/transports/specs.ts';
import { sinkSpecs } from '../connectors/sinks/specs.ts';
import { pipelineSpec } from '../pipeline/spec.ts';

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

/** What the pipeline under test should do with each bad kind; the oracle and the checks follow it. */
function expectations(malformedKinds: readonly MalformedKind[]) {
  const perKind = Object.fromEntries(
    malformedKinds.map((k) => [
      k.kind,
      (k.repair ? z.enum(['dead-letter', 'repair', 'drop']) : z.enum(['dead-letter', 'drop']))
        .optional()
        .describe(`${k.description}: dead-letter (reason ${k.reason})${k.repair ? `, repair (${k.repair})` : ''} or drop.`),
    ]),
  );
  return z
    .object({
      duplicate: z
        .enum(['land-once', 'dead-letter'])
        .default('land-once')
        .describe('land-once: the copy is absorbed by the key; dead-letter: the copy is dead-lettered with reason duplicate.'),
      future: z.enum(['dead-letter', 'drop']).default('dead-letter').describe('Future-dated records: dead-letter (future_timestamp) or drop.'),
      malformed: z.object(perKind).strict().prefault({}).describe('Per malformed kind; unnamed kinds are dead-lettered.'),
    })
    .strict();
}

/** The most records one dataset may plan, whether counted or derived from a load profile. */
export const MAX_COUNT = 1e12;

function dataset<T extends z.ZodObject>(options: T, malformedKinds: readonly MalformedKind[]) {
  return z
    .object({
      count: z
        .number()
        .int()
        .min(1)
        .max(MAX_COUNT)
        .optional()
        .describe('Records to generate; with `load`, derived from it (the integral of its rate), and if given it must agree.'),
      rate: z.number().min(0).optional().describe('The simple load form: mean records per second to aim for; 0 (the default) = as fast as possible.'),
      seasonality: seasonality.optional().describe('The simple form: let the rate swing over a (daily) cycle around its mean; absent: flat.'),
      load: loadProfileSpec
        .optional()
        .describe("A load profile in k6's vocabulary (executor constant-arrival-rate or ramping-arrival-rate, startTime); instead of rate and seasonality."),
      faults: faultRates(malformedKinds).prefault({}).describe('Fault rates.'),
      duplicateDistance: duplicateDistance.optional().describe('How far back duplicates reach.'),
      futureOffset: duration.optional().describe('Date future records this far past their due time instead of 2099-01-01.'),
      options: options.prefault({} as z.input<T>).describe('Generator options.'),
      expect: expectations(malformedKinds)
        .prefault({})
        .describe('What a correct pipeline does with each bad kind (default: dead-letter all, land duplicates once).'),
    })
    .strict()
    .transform(withCount);
}

/**
 * The count a dataset's load gives: the one written, or the integral of its profile's rate. Both
 * written and disagreeing, or neither, is a problem at the fields concerned.
 */
function withCount<D extends { count?: number | undefined; rate?: number | undefined; seasonality?: unknown; load?: LoadProfileSpec | undefined }>(
  spec: D,
  ctx: z.core.$RefinementCtx<D>,
): Omit<D, 'count' | 'rate'> & { count: number; rate: number } {
  const problem = (path: string[], message: string) => {
    ctx.addIssue({ code: 'custom', path, message, input: spec });
    return z.NEVER;
  };
  const rate = spec.rate ?? 0;
  if (!spec.load)
    return spec.count === undefined
      ? problem(['count'], 'count is required (or a load profile, `load`, to derive it from)')
      : { ...spec, count: spec.count, rate };
  if (spec.rate !== undefined) return problem(['rate'], 'rate is the simple form of a load profile: give it or `load`, not both');
  if (spec.seasonality !== undefined) return problem(['seasonality'], 'seasonality belongs to the simple form (rate); `load` sets the rate over time itself');
  const derived = profileCount(spec.load);
  if (derived < 1) return problem(['load'], 'the profile produces no record: its rate is 0 throughout');
  if (derived > MAX_COUNT) return problem(['load'], `the profile produces ${derived} records, beyond the limit of ${MAX_COUNT} per dataset`);
  if (spec.count !== undefined && spec.count !== derived) {
    return problem(['count'], `count ${spec.count} disagrees with /load, whose rate integrates to ${derived} records; drop count or make them agree`);
  }
  return { ...spec, count: derived, rate };
}

/** Each transport owns its spec (connectors/transports/<type>/spec.ts, listed in specs.ts); `type` tells them apart. */
const transport = z.discriminatedUnion('type', transportSpecs);

/** The sink's `type` defaults to sql, the embedded default's kind. */
const sink = z.preprocess(
  (value) => (typeof value === 'object' && value !== null && !('type' in value) ? { ...value, type: 'sql' } : value),
  z.discriminatedUnion('type', sinkSpecs),
);

/** An SLO of one stage of a load profile, judged on that stage alone (the `series` check). */
const stageSlo = z
  .object({
    dataset: z.enum(datasetNames).optional().describe('The dataset whose stage it is; absent: every dataset whose load profile has that stage.'),
    stage: z.number().int().min(1).describe("The stage, numbered from 1 as reports name it (the profile's stages in order; the simple form `rate` has one)."),
    latency: z
      .object({
        p50: duration.optional().describe('Median.'),
        p90: duration.optional().describe('90th percentile.'),
        p99: duration.optional().describe('99th percentile.'),
        max: duration.optional().describe('Slowest row.'),
      })
      .strict()
      .prefault({})
      .describe('Upper bounds on the corrected latency (ingest minus intended send time) of rows whose intended send time falls in the stage.'),
    minAchievedRatio: z
      .number()
      .positive()
      .optional()
      .describe(
        'Lowest achieved / target rate over the stage (e.g. 0.95), both counted in records that have an outcome of their own (a row or a dead letter).',
      ),
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
    maxDlqDuplicates: z.number().int().min(0).default(0).describe('Dead letters written more than once for one record (the table is exactly once).'),
    maxDlqRawMismatches: z.number().int().min(0).default(0).describe('Dead letters whose raw bytes differ from what was sent.'),
    maxValueMismatches: z.number().int().min(0).default(0).describe('Rows with a field that differs from the regenerated record.'),
    latency: z
      .object({
        p50: duration.optional().describe('Median.'),
        p90: duration.optional().describe('90th percentile.'),
        p99: duration.optional().describe('99th percentile.'),
        p999: duration.optional().describe('99.9th percentile.'),
        max: duration.optional().describe('Slowest row.'),
        abortOnFail: z
          .boolean()
          .default(false)
          .describe(
            "k6's abortOnFail: stop the run once a bound is broken over the last few seconds (checked every second), instead of running on with the SLO already lost.",
          ),
        delayAbortEval: duration
          .prefault('0s')
          .describe("k6's delayAbortEval: how long after the run starts the bounds begin to be checked for abortOnFail (a warm-up may be slow)."),
      })
      .strict()
      .prefault({})
      .describe('Upper bounds on ingest time minus send time.'),
    throughput: z
      .object({ minIngestedPerSec: z.number().min(0).optional().describe('Sustained sink rows per second.') })
      .strict()
      .prefault({})
      .describe('Lower bounds on rates.'),
    stages: z
      .array(stageSlo)
      .default([])
      .describe('SLOs per stage of a load profile (a spike may allow a higher p99); the verdict names the stage that broke one.'),
  })
  .strict();

export const scenarioSchema = z
  .object({
    name: z.string().min(1).describe('Scenario name, used in reports.'),
    description: z.string().optional().describe('What the scenario is for.'),
    seed: z
      .union([z.number().int(), z.string().min(1)])
      .default(1)
      .describe('Same seed, same bytes.'),
    baseTime: z.iso.datetime({ offset: true }).optional().describe('Event time of record 0; default: the run start.'),
    transport: transport.prefault({ type: 'csv' }).describe('Where generated records go.'),
    pipeline: pipelineSpec.prefault({ type: 'reference' }).describe('Which pipeline consumes them.'),
    sink: sink.prefault({}).describe('Where the pipeline writes (connection from the environment).'),
    datasets: z
      .object({
        ecommerce: dataset(datasetSpecs.ecommerce.options, datasetSpecs.ecommerce.malformedKinds).optional().describe('Seed 001 e-commerce events (CSV).'),
        lol: dataset(datasetSpecs.lol.options, datasetSpecs.lol.malformedKinds)
          .optional()
          .describe('Seed 002 League of Legends matches, Riot match-v5 (JSON lines).'),
      })
      .strict()
      .describe('The datasets to generate, each with its volume, load profile and faults.'),
    slos: slos.prefault({}).describe('Service-level objectives that decide the verdict.'),
  })
  .strict();

export type Scenario = z.output<typeof scenarioSchema>;
export type DatasetSpec = NonNullable<Scenario['datasets']['ecommerce']> | NonNullable<Scenario['datasets']['lol']>;
export type { PipelineSpec, ReferencePipelineSpec } from '../pipeline/spec.ts';
export type SinkSpec = Scenario['sink'];
export type TransportSpec = Scenario['transport'];
export type KafkaTransportSpec = Extract<TransportSpec, { type: 'kafka' }>;
export type Slos = Scenario['slos'];

// k6's threshold options read as they do in k6 (ObjectThreshold: abortOnFail, delayAbortEval).
true satisfies Required<Pick<ObjectThreshold, 'abortOnFail' | 'delayAbortEval'>> extends Pick<
  z.input<typeof slos>['latency'] & object,
  'abortOnFail' | 'delayAbortEval'
>
  ? true
  : false;

/** Cross-field rules, checked once the shape is right. Each returns a path and a message. */
export function crossFieldProblems(scenario: Scenario): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const entries = Object.entries(scenario.datasets);
  if (entries.length === 0) problems.push({ path: ['datasets'], message: 'at least one dataset (ecommerce or lol) is needed' });
  for (const [name, spec] of entries) {
    const { duplicate, future, late } = spec.faults;
    const total = duplicate + malformedRate(spec.faults) + future + late;
    if (total > 1) {
      problems.push({ path: ['datasets', name, 'faults'], message: `fault rates add up to ${total}, more than 1` });
    }
    if (spec.duplicateDistance && spec.duplicateDistance.min > spec.duplicateDistance.max) {
      problems.push({ path: ['datasets', name, 'duplicateDistance'], message: 'min is larger than max' });
    }
    if (scenario.pipeline.type === 'reference') problems.push(...referenceExpectationProblems(name as DatasetName, spec));
  }
  problems.push(...stageSloProblems(scenario));
  const lolCount = scenario.datasets.lol?.count;
  if (lolCount !== undefined && lolCount > 0x1_0000_0000) {
    problems.push({
      path: ['datasets', 'lol', 'count'],
      message: `count ${lolCount} is too large: the LoL match id space holds 2^32 (4294967296) matches, each needs its own id`,
    });
  }
  return problems;
}

/** Each stage SLO names a stage that exists: in its dataset, or (without one) in at least one dataset. */
function stageSloProblems(scenario: Scenario): { path: (string | number)[]; message: string }[] {
  const stageCounts = new Map(
    Object.entries(scenario.datasets).map(([name, spec]) => [name, spec.load ? profileSchedule(spec.load).stages.length : 1] as const),
  );
  return scenario.slos.stages.flatMap((entry, i) => {
    const at = ['slos', 'stages', i];
    const { latency } = entry;
    if (entry.minAchievedRatio === undefined && !Object.values(latency).some((bound) => typeof bound === 'number')) {
      return [{ path: at, message: 'sets no bound: give latency (p50, p90, p99, max) or minAchievedRatio' }];
    }
    if (entry.dataset !== undefined) {
      const stages = stageCounts.get(entry.dataset);
      if (stages === undefined) return [{ path: [...at, 'dataset'], message: `${entry.dataset} is not a dataset of this scenario` }];
      return entry.stage > stages
        ? [{ path: [...at, 'stage'], message: `${entry.dataset}'s load has ${stages} stage(s); there is no stage ${entry.stage}` }]
        : [];
    }
    const most = Math.max(0, ...stageCounts.values());
    return entry.stage > most ? [{ path: [...at, 'stage'], message: `no dataset has a stage ${entry.stage} (the most stages any load has is ${most})` }] : [];
  });
}

/**
 * The reference pipeline sees a record's reason, not the kind the generator broke it with, and dedups
 * by key: kinds that share a reason must share an action, and duplicates land once.
 */
function referenceExpectationProblems(name: DatasetName, spec: DatasetSpec): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  if (spec.expect.duplicate === 'dead-letter') {
    problems.push({
      path: ['datasets', name, 'expect', 'duplicate'],
      message: 'the reference pipeline lands duplicates once; dead-letter is for a pipeline of your own (pipeline: external)',
    });
  }
  const actions = spec.expect.malformed as Record<string, string | undefined>;
  const byReason = new Map<string, string[]>();
  for (const kind of datasetSpecs[name].malformedKinds) byReason.set(kind.reason, [...(byReason.get(kind.reason) ?? []), kind.kind]);
  for (const [reason, kinds] of byReason) {
    const chosen = new Set(kinds.map((kind) => actions[kind] ?? 'dead-letter'));
    if (chosen.size > 1) {
      problems.push({
        path: ['datasets', name, 'expect', 'malformed'],
        message: `${kinds.join(' and ')} share reason ${reason}: the reference pipeline cannot tell them apart, give them the same action`,
      });
    }
  }
  return problems;
}

/** JSON Schema of the scenario format, for editors (yaml-language-server). */
export function scenarioJsonSchema(): unknown {
  return z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any' });
}
