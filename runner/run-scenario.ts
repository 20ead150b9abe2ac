import { resolve } from 'node:path';
import { sinkFor } from '../connectors/sinks/index.ts';
import type { Shard } from '../connectors/transports/chunks.ts';
import { createTransport } from '../connectors/transports/index.ts';
import { HarnessError } from '../core/errors.ts';
import { createRunDir, newRunId, saveManifest, type RunManifest } from '../runs/manifest.ts';
import { createGenerator } from '../generators/index.ts';
import { seedWord } from '../generators/random.ts';
import { runPipeline } from '../pipeline/run-pipeline.ts';
import { generatorConfig } from '../scenarios/datasets.ts';
import { overrideFaults } from '../scenarios/fault-overrides.ts';
import { loadScenario } from '../scenarios/load.ts';
import { crossFieldProblems, type DatasetSpec, type Scenario } from '../scenarios/schema.ts';
import { referencePipelineSettings } from './reference-pipeline.ts';
import { sinkSetup } from './sink-setup.ts';
import { scenarioDatasets } from './scenario-datasets.ts';

export interface RunOptions {
  scenarioPath: string;
  /** The harness's own directory (`.harness`): runs go under it. */
  home: string;
  env: NodeJS.ProcessEnv;
  /** Pins the event time of record 0 (ISO 8601), for byte-identical output. */
  baseTime?: string;
  log: (line: string) => void;
  signal?: AbortSignal;
  /** Worker threads per dataset for generation. */
  workers?: number;
  /** `--faults`: replaces the scenario's fault rates (see overrideFaults). */
  faults?: string;
  /** `--shard k/n`: produce only this shard; the pipeline is left to run on its own. */
  shard?: Shard;
}

export interface RunOutcome {
  runDir: string;
  manifest: RunManifest;
}

export function resolveBaseTime(scenario: Scenario, override: string | undefined, now = Date.now()): number {
  const text = override ?? scenario.baseTime;
  if (text === undefined) return Math.floor(now / 1000) * 1000;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new HarnessError('usage', `--base-time "${text}" is not an ISO 8601 time`);
  return ms;
}

/** Applies `--faults` and checks the result as the scenario file itself is checked. */
export function withFaultOverrides(scenario: Scenario, faults: string | undefined): Scenario {
  if (faults === undefined) return scenario;
  const overridden = overrideFaults(scenario, faults);
  const problems = crossFieldProblems(overridden);
  if (problems.length > 0) throw new HarnessError('usage', `--faults: ${problems.map((p) => `/${p.path.join('/')}: ${p.message}`).join('; ')}`);
  return overridden;
}


/**
 * `harness run`: generates every dataset at its load profile into the transport while the reference
 * pipeline consumes it, then records the manifest the verifier works from.
 */
export async function runScenario(options: RunOptions): Promise<RunOutcome> {
  const scenario = withFaultOverrides(loadScenario(options.scenarioPath, options.env).scenario, options.faults);
  const runId = newRunId();
  const runDir = createRunDir(options.home, runId);
  const datasets = scenarioDatasets(scenario);
  const seed = seedWord(scenario.seed);
  const baseTimeMs = resolveBaseTime(scenario, options.baseTime);
  const transport = createTransport(scenario.transport, { runDir, runId, env: options.env, log: options.log });
  const sinkComponent = sinkFor(scenario.sink);
  const sinkLocation = sinkComponent.locate(options.env, runDir);
  const pipelineSpec = scenario.pipeline;
  const runsPipeline = pipelineSpec.type === 'reference' && !options.shard;
  if (!runsPipeline && !sinkComponent.shared(sinkLocation)) {
    throw new HarnessError('config', 'pipeline: external (or --shard) needs a sink that pipeline can reach: set PG_URL (or DATABASE_URL)');
  }
  options.log(`run ${runId}: scenario ${scenario.name}, seed ${String(scenario.seed)}, base time ${new Date(baseTimeMs).toISOString()}`);

  // Connect first: an unreachable sink should stop the run before any data is generated.
  const sink =
    runsPipeline && pipelineSpec.type === 'reference'
      ? await sinkComponent.openWriter(sinkLocation, scenario.sink, options.env, sinkSetup(scenario, scenario.sink.reset, options.log))
      : null;
  if (pipelineSpec.type === 'external' && !options.shard) {
    // The pipeline under test finds its tables ready (and, with sink.reset, empty) before any record exists.
    const where = await sinkComponent.init(sinkLocation, scenario.sink, options.env, sinkSetup(scenario, scenario.sink.reset, options.log));
    options.log(`sink tables ready${scenario.sink.reset ? ' and empty' : ''}: ${where}`);
  }
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  options.signal?.addEventListener('abort', onAbort);
  try {
    await transport.prepare(datasets.map(([name]) => name));
    const manifest: RunManifest = {
      manifestVersion: 1,
      runId,
      createdAt: new Date().toISOString(),
      scenarioPath: resolve(options.scenarioPath),
      scenario,
      seed,
      baseTimeMs,
      transport: transport.location(),
      sink: sinkLocation,
      datasets: {},
      pipeline: null,
    };
    options.log(`sink: ${sink?.description ?? 'left to another pipeline'}; transport: ${describeTransport(manifest)}`);
    saveManifest(runDir, manifest);

    const generators = datasets.map(([name, spec]) => createGenerator(name, generatorConfig(seed, baseTimeMs, spec)));
    const generation = Promise.all(
      generators.map(async (generator) => {
        const spec = scenario.datasets[generator.dataset] as DatasetSpec;
        const result = await transport.produce({ generator, count: spec.count, workers: options.workers ?? 1, ...(options.shard ? { shard: options.shard } : {}), signal: stop.signal });
        const seconds = (result.finishedAtMs - result.startedAtMs) / 1000;
        options.log(`[${generator.dataset}] produced ${result.records} records in ${seconds.toFixed(2)} s, ${Math.round(result.records / seconds)} rec/s`);
        manifest.datasets[generator.dataset] = { count: spec.count, records: result.records, rate: spec.rate, startedAtMs: result.startedAtMs, finishedAtMs: result.finishedAtMs, files: result.files };
      }),
    ).then(() => transport.finish());
    const pipeline =
      sink && pipelineSpec.type === 'reference'
        ? runPipeline({
            sources: transport.sources(generators),
            sink,
            ...referencePipelineSettings(pipelineSpec, scenario, options.env, runId, options.log),
            signal: stop.signal,
          })
        : Promise.resolve(null);
    // A failure on either side stops the other, instead of leaving it working for nobody.
    const failFast = <T>(work: Promise<T>) =>
      work.catch((error: unknown) => {
        stop.abort();
        throw error;
      });
    const [, pipelineResult] = await Promise.all([failFast(generation), failFast(pipeline)]);
    manifest.transport = transport.location();
    manifest.pipeline = pipelineResult;
    manifest.peakRssBytes = process.resourceUsage().maxRSS * 1024;
    saveManifest(runDir, manifest);
    return { runDir, manifest };
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await transport.close();
    await sink?.close();
  }
}

function describeTransport(manifest: RunManifest): string {
  const t = manifest.transport;
  return t.type === 'csv' ? t.dir : `kafka ${t.brokers.join(',')} (${Object.values(t.topics).map((x) => x?.name).join(', ')})`;
}
