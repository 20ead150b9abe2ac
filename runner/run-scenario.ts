import { dirname, resolve } from 'node:path';
import { sinkFor } from '../connectors/sinks/index.ts';
import type { Shard } from '../connectors/transports/chunks.ts';
import { createTransport, describeLocation, type TransportLocation } from '../connectors/transports/index.ts';
import type { RunTransport } from '../connectors/transports/transport.ts';
import type { SinkLock } from '../connectors/sinks/sink.ts';
import { asError, HarnessError, isDiskFull, messageOf } from '../core/errors.ts';
import {
  countProduced,
  createRunDir,
  currentProcess,
  describeAbort,
  HEARTBEAT_MS,
  MANIFEST_VERSION,
  newRunId,
  saveManifest,
  type DatasetManifest,
  type RunManifest,
} from '../runs/manifest.ts';
import { createGenerator, type Generator } from '../generators/index.ts';
import { seedWord } from '../generators/random.ts';
import { runPipeline } from '../pipeline/run-pipeline.ts';
import type { Sink } from '../pipeline/sink.ts';
import { generatorConfig } from '../scenarios/datasets.ts';
import { overrideFaults } from '../scenarios/fault-overrides.ts';
import { loadScenario } from '../scenarios/load.ts';
import { crossFieldProblems, type Scenario } from '../scenarios/schema.ts';
import { followExternalPipeline } from './follow-sink.ts';
import { RunMonitor, type ProgressView } from './monitor.ts';
import { referencePipelineSettings } from './reference-pipeline.ts';
import { sinkSetup } from './sink-setup.ts';
import { scenarioDatasets } from './scenario-datasets.ts';

export interface RunOptions {
  scenarioPath: string;
  /** The scenario already loaded (and derived from that file, e.g. one step of find-max); default: read scenarioPath. */
  scenario?: Scenario;
  /** Told the run's directory once its sink and transport are ready, before anything is produced (find-max starts an external pipeline there). */
  onReady?: (runDir: string) => void;
  /** The harness's own directory (`.harness`): runs go under it. */
  home: string;
  env: NodeJS.ProcessEnv;
  /** Pins the event time of record 0 (ISO 8601), for byte-identical output. */
  baseTime?: string;
  log: (line: string) => void;
  signal?: AbortSignal;
  /** Worker threads per dataset for generation. */
  workers?: number;
  /** Records of each dataset encoded before its time zero (ProduceRequest.encodeAhead; files only): find-max's steps. */
  encodeAhead?: number;
  /** `--faults`: replaces the scenario's fault rates (see overrideFaults). */
  faults?: string;
  /** `--shard k/n`: produce only this shard; the pipeline is left to run on its own. */
  shard?: Shard;
  /** The live view, given the run's monitor once producing starts (and the pipeline's line per batch, with `--verbose`). */
  progress?: ProgressView;
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
 * `harness run`: writes the run's intent (every dataset, count, seed, base time) into its manifest
 * before anything else, then generates every dataset at its load profile into the transport while
 * the reference pipeline consumes it, keeping the manifest current as it goes.
 */
export async function runScenario(options: RunOptions): Promise<RunOutcome> {
  const scenario = withFaultOverrides(options.scenario ?? loadScenario(options.scenarioPath, options.env).scenario, options.faults);
  const runId = newRunId();
  const seed = seedWord(scenario.seed);
  const baseTimeMs = resolveBaseTime(scenario, options.baseTime);
  const sinkComponent = await sinkFor(scenario.sink);
  const runsPipeline = scenario.pipeline.type === 'reference' && !options.shard;
  const runDir = createRunDir(options.home, runId);
  const sinkLocation = sinkComponent.locate(options.env, runDir);
  if (!runsPipeline && !sinkComponent.shared(sinkLocation)) {
    throw new HarnessError('config', 'pipeline: external (or --shard) needs a sink that pipeline can reach: set PG_URL (or DATABASE_URL)');
  }
  const transport = await createTransport(scenario.transport, { runDir, runId, env: options.env, log: options.log });
  const now = Date.now();
  const manifest: RunManifest = {
    manifestVersion: MANIFEST_VERSION,
    runId,
    createdAt: new Date(now).toISOString(),
    scenarioPath: resolve(options.scenarioPath),
    scenario,
    seed,
    baseTimeMs,
    transport: transport.location(),
    sink: sinkLocation,
    datasets: Object.fromEntries(
      scenarioDatasets(scenario).map(([name, spec]) => [
        name,
        { count: spec.count, records: 0, complete: false, rate: spec.rate, startedAtMs: now, finishedAtMs: now, files: [] },
      ]),
    ),
    pipeline: null,
    status: 'running',
    updatedAt: new Date(now).toISOString(),
    process: currentProcess(),
  };
  saveManifest(runDir, manifest);
  options.log(`run ${runId}: scenario ${scenario.name}, seed ${String(scenario.seed)}, base time ${new Date(baseTimeMs).toISOString()}`);
  return executeRun({ ...options, manifest, runDir, transport, resume: false });
}

export interface ExecuteOptions extends Pick<RunOptions, 'env' | 'log' | 'signal' | 'workers' | 'encodeAhead' | 'shard' | 'progress' | 'onReady'> {
  manifest: RunManifest;
  runDir: string;
  transport: RunTransport<TransportLocation>;
  /** Finishing an interrupted run: produce only what is missing, keep the sink's tables and checkpoints. */
  resume: boolean;
}

/**
 * The body of `run` and `resume`: holds the sink's schema, produces what is due, runs the reference
 * pipeline beside it, and keeps the manifest current (a heartbeat every second), so a run that dies
 * leaves a manifest that says so and how far it got.
 */
export async function executeRun(options: ExecuteOptions): Promise<RunOutcome> {
  const { manifest, runDir, transport, log } = options;
  const { scenario, runId } = manifest;
  const sinkComponent = await sinkFor(scenario.sink);
  const pipelineSpec = scenario.pipeline;
  const runsPipeline = pipelineSpec.type === 'reference' && !options.shard;
  const save = () => {
    manifest.updatedAt = new Date().toISOString();
    saveManifest(runDir, manifest);
  };
  const stop = new AbortController();
  // abortOnFail: the producers stop for good; the pipeline finishes what they produced, so nothing written is lost.
  const halt = new AbortController();
  let monitor: RunMonitor | null = null;
  const judge = () => {
    const breach = manifest.aborted ? null : monitor?.breach();
    if (!breach) return;
    manifest.aborted = breach;
    monitor?.producersStopped();
    log(`${describeAbort(breach)}: producers stop${runsPipeline ? '; the pipeline finishes what they produced' : ''}`);
    halt.abort();
  };
  // A heartbeat that cannot write the manifest (a full disk) stops the run as failed, rather than
  // throwing from a timer where nothing would close the sink, the workers and the broker clients.
  const failed: { fatal: Error | null } = { fatal: null };
  let lock: SinkLock | null = null;
  // pipeline: external: this process writes nothing, so no write takes the schema lock again after
  // an outage ended its session. The heartbeat does; another run that took the schema meanwhile
  // stops this one (exit 3), and a server still away is tried again at the next beat.
  let holding: Promise<void> | null = null;
  const holdLock = () => {
    if (!lock || runsPipeline || holding) return;
    holding = lock.hold().then(
      () => {
        holding = null;
      },
      (error: unknown) => {
        holding = null;
        if (!(error instanceof HarnessError)) return;
        failed.fatal ??= error;
        stop.abort();
      },
    );
  };
  const heartbeat = setInterval(() => {
    try {
      judge();
      holdLock();
      save();
    } catch (error) {
      failed.fatal ??= asError(error);
      stop.abort();
    }
  }, HEARTBEAT_MS);
  const onAbort = () => stop.abort();
  options.signal?.addEventListener('abort', onAbort);
  let sink: Sink | null = null;
  // pipeline: external: the pipeline under test seen through a probe on its sink (follow-sink.ts).
  const unfollow = new AbortController();
  let following: Promise<void> = Promise.resolve();
  try {
    const writes = runsPipeline || (pipelineSpec.type === 'external' && !options.shard);
    if (writes)
      lock = await sinkComponent.lock(manifest.sink, scenario.sink, options.env, {
        holder: `harness ${options.resume ? 'resume' : 'run'} ${runId}`,
        runId,
        log,
      });
    // The sink before any data: an unreachable sink stops the run before it generates anything.
    const reset = scenario.sink.reset && !options.resume;
    if (runsPipeline) sink = await sinkComponent.openWriter(manifest.sink, scenario.sink, options.env, sinkSetup(scenario, reset, log));
    else if (pipelineSpec.type === 'external' && !options.shard) {
      // The pipeline under test finds its tables ready (and, with sink.reset, empty) before any record exists.
      const where = await sinkComponent.init(manifest.sink, scenario.sink, options.env, sinkSetup(scenario, reset, log));
      log(`sink tables ready${reset ? ' and empty' : ''}: ${where}`);
    }
    if (!options.resume) await transport.prepare(scenarioDatasets(scenario).map(([name]) => name));
    manifest.transport = transport.location();
    log(`sink: ${sink?.description ?? 'left to another pipeline'}; transport: ${await describeLocation(manifest.transport)}`);
    save();
    options.onReady?.(runDir);

    const generators = scenarioDatasets(scenario).map(([name, spec]) => createGenerator(name, generatorConfig(manifest.seed, manifest.baseTimeMs, spec)));
    const watched = new RunMonitor(
      generators.map((g) => {
        const dataset = manifest.datasets[g.dataset] as DatasetManifest;
        return { name: g.dataset, schedule: g.schedule, count: dataset.count, startedAtMs: () => dataset.startedAtMs, files: dataset.files };
      }),
      scenario.slos.latency,
    );
    monitor = watched;
    if (pipelineSpec.type === 'external' && !options.shard) {
      const open = () => sinkComponent.openProbe(manifest.sink, scenario.sink, options.env);
      following = followExternalPipeline(
        open,
        generators.map((g) => g.dataset),
        watched,
        unfollow.signal,
        log,
      );
    }
    options.progress?.watch(watched);
    const producing = { stop: AbortSignal.any([stop.signal, halt.signal]), halt: halt.signal };
    // Before producing: a dead-letter topic that cannot be opened stops the run with nothing in flight.
    const settings = sink && pipelineSpec.type === 'reference' ? await referencePipelineSettings(pipelineSpec, scenario, options.env, runId, log) : null;
    const generation = Promise.all(generators.map((generator) => produceDataset(options, generator, producing, watched))).then(() => transport.finish());
    const pipeline =
      sink && settings
        ? runPipeline({
            sources: transport.sources(generators),
            sink,
            ...settings,
            ...(options.progress?.batchLog ? { batchLog: options.progress.batchLog } : {}),
            onBatch: (dataset, batch) => watched.batch(dataset, batch),
            beforeWrite: async () => {
              await lock?.hold();
            },
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
    if (failed.fatal) throw failed.fatal;
    manifest.transport = transport.location();
    manifest.pipeline = pipelineResult;
    manifest.status = options.signal?.aborted ? 'interrupted' : manifest.aborted ? 'aborted' : 'finished';
    return { runDir, manifest };
  } catch (caught) {
    const error = failed.fatal ?? caught;
    manifest.status = options.signal?.aborted ? 'interrupted' : 'failed';
    manifest.error = messageOf(error);
    throw isDiskFull(error) ? diskFull(error, runDir) : error;
  } finally {
    clearInterval(heartbeat);
    unfollow.abort();
    await following;
    options.progress?.stop();
    options.signal?.removeEventListener('abort', onAbort);
    manifest.peakRssBytes = process.resourceUsage().maxRSS * 1024;
    // Whatever failed, everything opened is closed, so the process can end: a manifest that cannot
    // be written (the disk that failed the run) leaves the last heartbeat's, which `harness resume` reads.
    const closing: [string, () => unknown][] = [
      ['updating the manifest', save],
      ['closing the transport', () => transport.close()],
      ['closing the sink', () => sink?.close()],
      ['releasing the sink lock', () => lock?.release()],
    ];
    for (const [what, step] of closing) {
      try {
        await step();
      } catch (error) {
        log(`${what} failed: ${messageOf(error)}`);
      }
    }
  }
}

/** Produces one dataset (what is missing of it, when resuming), counting into the manifest as chunks land. */
async function produceDataset(
  options: ExecuteOptions,
  generator: Generator,
  producing: { stop: AbortSignal; halt: AbortSignal },
  monitor: RunMonitor,
): Promise<void> {
  const signal = producing.stop;
  const dataset = options.manifest.datasets[generator.dataset] as DatasetManifest;
  if (options.resume && dataset.complete) return;
  // Until the producing threads are ready and the schedule starts (onStarted): a figure for the heartbeat.
  if (!options.resume) dataset.startedAtMs = Date.now();
  const result = await options.transport.produce({
    generator,
    count: dataset.count,
    workers: options.workers ?? 1,
    ...(options.shard ? { shard: options.shard } : {}),
    ...(options.encodeAhead ? { encodeAhead: options.encodeAhead } : {}),
    signal,
    endEarly: producing.halt,
    onDelivered: (records, file) => {
      monitor.delivered(generator.dataset, records, file);
      dataset.records += records;
      countProduced(dataset, records, Date.now());
      if (file) dataset.files.push(file);
    },
    onStarted: (startedAtMs) => {
      if (!options.resume) dataset.startedAtMs = startedAtMs;
    },
    ...(options.resume ? { resume: { startedAtMs: dataset.startedAtMs } } : {}),
  });
  const seconds = (result.finishedAtMs - result.startedAtMs) / 1000;
  options.log(`[${generator.dataset}] ${options.resume ? 'produced what was missing' : 'produced'}: ${result.records} records in ${seconds.toFixed(2)} s`);
  dataset.records = result.records;
  dataset.files = result.files;
  dataset.finishedAtMs = result.finishedAtMs;
  dataset.complete = !signal.aborted && result.records === dataset.count;
}

/** A full disk during a run, as the user needs it: where, and that `harness resume` finishes the run once there is room. */
function diskFull(error: unknown, runDir: string): HarnessError {
  const path = (error as { path?: unknown }).path;
  const where = typeof path === 'string' ? path : runDir;
  return new HarnessError(
    'disk',
    `no space left on the device writing ${where} (${messageOf(error)}); the run stopped and is recorded as failed where its manifest could still be written. ` +
      `Free space there (df -h ${dirname(where)}), then \`harness resume --run ${runDir}\` finishes it`,
    { cause: error },
  );
}
