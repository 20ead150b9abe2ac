import { join, resolve } from 'node:path';
import { datasetDir, produceToFiles, type ProduceResult } from '../connectors/files/file-producer.ts';
import { openSql, sinkLocationFor } from '../connectors/sql/open.ts';
import { HarnessError } from '../core/errors.ts';
import { createRunDir, newRunId, saveManifest, type RunManifest } from '../core/run-manifest.ts';
import { createGenerator, type DatasetName } from '../generators/index.ts';
import { seedWord } from '../generators/random.ts';
import { runPipeline } from '../pipeline/run-pipeline.ts';
import { SqlSink } from '../pipeline/sinks/sql.ts';
import { CsvFileSource } from '../pipeline/sources/csv-files.ts';
import { generatorConfig } from '../scenarios/datasets.ts';
import { loadScenario } from '../scenarios/load.ts';
import { overrideFaults } from '../scenarios/fault-overrides.ts';
import { crossFieldProblems, type DatasetSpec, type Scenario } from '../scenarios/schema.ts';

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

export function scenarioDatasets(scenario: Scenario): [DatasetName, DatasetSpec][] {
  return (Object.entries(scenario.datasets) as [DatasetName, DatasetSpec | undefined][]).filter(
    (entry): entry is [DatasetName, DatasetSpec] => entry[1] !== undefined,
  );
}

/**
 * `harness run`: generates every dataset at its load profile while the reference pipeline consumes
 * the files as they land, then records the manifest the verifier works from.
 */
export async function runScenario(options: RunOptions): Promise<RunOutcome> {
  const scenario = withFaultOverrides(loadScenario(options.scenarioPath, options.env).scenario, options.faults);
  const runId = newRunId();
  const runDir = createRunDir(options.home, runId);
  const dataRoot = resolve(scenario.transport.dir ?? join(runDir, 'data'));
  const datasets = scenarioDatasets(scenario);
  const seed = seedWord(scenario.seed);
  const baseTimeMs = resolveBaseTime(scenario, options.baseTime);
  const manifest: RunManifest = {
    manifestVersion: 1,
    runId,
    createdAt: new Date().toISOString(),
    scenarioPath: resolve(options.scenarioPath),
    scenario,
    seed,
    baseTimeMs,
    transport: { type: 'csv', dir: dataRoot },
    sink: sinkLocationFor(options.env, runDir),
    datasets: {},
    pipeline: null,
  };
  options.log(`run ${runId}: scenario ${scenario.name}, seed ${String(scenario.seed)}, base time ${new Date(baseTimeMs).toISOString()}`);

  const pipelineSpec = scenario.pipeline;
  if (pipelineSpec.type === 'external' && manifest.sink.kind === 'pglite') {
    throw new HarnessError('config', 'pipeline: external needs a sink your pipeline can reach: set PG_URL (or DATABASE_URL)');
  }
  // Connect first: an unreachable sink should stop the run before any data is generated.
  const sink =
    pipelineSpec.type === 'reference'
      ? new SqlSink(await openSql(manifest.sink, options.env, { log: options.log }), {
          spec: scenario.sink,
          datasets: datasets.map(([name]) => name),
          uniqueKeys: !(pipelineSpec.faults && pipelineSpec.faults.duplicateWrite > 0),
        })
      : null;
  options.log(`sink: ${sink?.description ?? 'external pipeline'}; data: ${dataRoot}`);
  saveManifest(runDir, manifest);

  // A failing pipeline stops the generators too, instead of leaving them writing for nobody.
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  options.signal?.addEventListener('abort', onAbort);
  const generators = datasets.map(([name, spec]) => createGenerator(name, generatorConfig(seed, baseTimeMs, spec)));
  try {
    const generation = Promise.all(
      generators.map(async (generator, i): Promise<[DatasetName, ProduceResult]> => {
        const [name, spec] = datasets[i] as [DatasetName, DatasetSpec];
        const result = await produceToFiles({
          dataset: name,
          config: generator.config,
          dir: datasetDir(dataRoot, name),
          count: spec.count,
          rotateRecords: scenario.transport.rotateRecords,
          rotateIntervalMs: scenario.transport.rotateInterval,
          workers: options.workers ?? 1,
          signal: stop.signal,
        });
        const seconds = (result.finishedAtMs - result.startedAtMs) / 1000;
        options.log(`[${name}] generated ${result.records} records in ${result.files.length} files, ${seconds.toFixed(2)} s, ${Math.round(result.records / seconds)} rec/s`);
        return [name, result];
      }),
    );
    const pipeline =
      sink && pipelineSpec.type === 'reference'
        ? runPipeline({
            sources: generators.map(
              (generator) => new CsvFileSource(generator.dataset, datasetDir(dataRoot, generator.dataset), generator.header === null ? 0 : 1),
            ),
            sink,
            batchSize: pipelineSpec.batchSize,
            futureToleranceMs: pipelineSpec.futureTolerance,
            pollIntervalMs: pipelineSpec.pollInterval,
            ...(pipelineSpec.faults ? { faults: pipelineSpec.faults } : {}),
            log: options.log,
            signal: stop.signal,
          }).catch((error: unknown) => {
            stop.abort();
            throw error;
          })
        : Promise.resolve(null);
    const [produced, pipelineResult] = await Promise.all([generation, pipeline]);
    for (const [name, result] of produced) {
      manifest.datasets[name] = {
        count: result.records,
        rate: scenario.datasets[name]?.rate ?? 0,
        startedAtMs: result.startedAtMs,
        finishedAtMs: result.finishedAtMs,
        files: result.files,
      };
    }
    manifest.pipeline = pipelineResult;
    manifest.peakRssBytes = process.resourceUsage().maxRSS * 1024;
    saveManifest(runDir, manifest);
    return { runDir, manifest };
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await sink?.close();
  }
}
