import { mkdirSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sinkFor } from '../connectors/sinks/index.ts';
import { loadTransport, sourcesFor, type TransportLocation } from '../connectors/transports/index.ts';
import { HarnessError } from '../core/errors.ts';
import { HEARTBEAT_MS, isAlive, loadManifest, saveManifest, unfinishedGeneration } from '../runs/manifest.ts';
import { createGenerator } from '../generators/index.ts';
import { addStats, runPipeline, type DatasetStats, type PipelineResult } from '../pipeline/run-pipeline.ts';
import { generatorConfig } from '../scenarios/datasets.ts';
import { scenarioSchema, type ReferencePipelineSpec } from '../scenarios/schema.ts';
import { RunMonitor, type ProgressView } from './monitor.ts';
import { referencePipelineSettings } from './reference-pipeline.ts';
import { scenarioDatasets } from './scenario-datasets.ts';
import { sinkSetup } from './sink-setup.ts';

/**
 * `harness pipeline`: the reference pipeline alone, over a run's data (files or Kafka offsets),
 * into the run's sink. Resumes from the checkpoints in the sink, so it can be stopped, killed and
 * started again; it never drops tables. On Kafka it may run as several processes at once (on one
 * machine or several): they share the topic's partitions as the run's consumer group, and the
 * sink's lock, which admits every process of the run.
 */
export async function runPipelineForRun(
  runDir: string,
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
  signal?: AbortSignal,
  options: { follow?: boolean; progress?: ProgressView } = {},
): Promise<PipelineResult> {
  const manifest = loadManifest(runDir);
  const { scenario } = manifest;
  const unfinished = unfinishedGeneration(manifest);
  if (unfinished && !options.follow && !isAlive(manifest)) {
    throw new HarnessError('usage', `${unfinished}: finish it with \`harness resume --run ${runDir}\`, or wait for it on purpose with --follow`);
  }
  const sinkComponent = await sinkFor(scenario.sink);
  const lock = await sinkComponent.lock(manifest.sink, scenario.sink, env, { holder: `harness pipeline ${manifest.runId}`, runId: manifest.runId, log });
  // While following a live generation, stop (as unfinished) if its run dies instead of waiting forever.
  const stop = new AbortController();
  const abort = () => stop.abort();
  signal?.addEventListener('abort', abort);
  // An object, not a let: the compiler would narrow a let the timer sets to false for good.
  const watched = { died: false };
  const watch =
    unfinished && !options.follow
      ? setInterval(() => {
          const now = loadManifest(runDir);
          if (unfinishedGeneration(now) && !isAlive(now)) {
            watched.died = true;
            stop.abort();
          }
        }, HEARTBEAT_MS)
      : null;
  if (unfinished) log(`${unfinished}; following it`);
  const spec: ReferencePipelineSpec =
    scenario.pipeline.type === 'reference' ? scenario.pipeline : (scenarioSchema.shape.pipeline.parse({ type: 'reference' }) as ReferencePipelineSpec);
  const generators = scenarioDatasets(scenario).map(([name, dataset]) => createGenerator(name, generatorConfig(manifest.seed, manifest.baseTimeMs, dataset)));
  const sink = await sinkComponent.openWriter(manifest.sink, scenario.sink, env, sinkSetup(scenario, false, log));
  // Production is over (or another process's): the monitor sees the pipeline's side only.
  const monitor = new RunMonitor(
    generators.map((g) => {
      const dataset = manifest.datasets[g.dataset];
      return {
        name: g.dataset,
        schedule: g.schedule,
        count: dataset?.records ?? 0,
        startedAtMs: () => dataset?.startedAtMs ?? Date.now(),
        files: dataset?.files ?? [],
      };
    }),
    scenario.slos.latency,
  );
  options.progress?.watch(monitor);
  try {
    // A transport that cannot follow a live generation (Kafka: its end offsets are recorded when
    // the generation finishes) is read once that end is known; files are followed as they come.
    const follows = (await loadTransport(manifest.transport.type)).followsProduction;
    const transport = unfinished && !follows ? await generationEnd(runDir, stop.signal, log) : manifest.transport;
    const stoppedAtMs = Date.now();
    const result: PipelineResult = stop.signal.aborted
      ? { startedAtMs: stoppedAtMs, finishedAtMs: stoppedAtMs, completed: false, datasets: {} }
      : await runPipeline({
          sources: await sourcesFor(transport, generators, { runId: manifest.runId, env, log }),
          sink,
          ...(await referencePipelineSettings(spec, scenario, env, manifest.runId, log)),
          ...(options.progress?.batchLog ? { batchLog: options.progress.batchLog } : {}),
          onBatch: (dataset, batch) => monitor.batch(dataset, batch),
          beforeWrite: () => lock.hold(),
          signal: stop.signal,
        });
    if (watched.died)
      throw new HarnessError(
        'usage',
        `${unfinishedGeneration(loadManifest(runDir))}: its run stopped while the pipeline followed it; finish it with \`harness resume --run ${runDir}\``,
      );
    if (result.completed) recordPipeline(runDir, result);
    return result;
  } finally {
    if (watch) clearInterval(watch);
    options.progress?.stop();
    signal?.removeEventListener('abort', abort);
    await sink.close();
    await lock.release();
  }
}

/** The run's transport as its manifest records it once its generation has finished, or as it stands when `signal` stops the wait. */
async function generationEnd(runDir: string, signal: AbortSignal, log: (line: string) => void): Promise<TransportLocation> {
  log("waiting for the generation to finish: the run's transport records where its data ends then (a Kafka topic's end offsets)");
  for (;;) {
    const manifest = loadManifest(runDir);
    if (!unfinishedGeneration(manifest) || signal.aborted) return manifest.transport;
    await sleep(HEARTBEAT_MS, undefined, { signal }).catch(() => {});
  }
}

/** How long a process waits for another of the run to finish writing the manifest; a lock older than this is a dead process's. */
const MANIFEST_LOCK_MS = 10_000;

/**
 * Records a completed pipeline's figures in the manifest. Processes of one run that overlapped in
 * time (a consumer group) add theirs together. They finish within a moment of each other, and each
 * rewrites the whole manifest: one at a time, under a lock directory (mkdir is atomic).
 */
function recordPipeline(runDir: string, result: PipelineResult): void {
  const lock = join(runDir, 'manifest.lock');
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (const giveUpAt = Date.now() + MANIFEST_LOCK_MS; ;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > MANIFEST_LOCK_MS || Date.now() > giveUpAt) rmSync(lock, { recursive: true, force: true });
      else Atomics.wait(pause, 0, 0, 20);
    }
  }
  try {
    const manifest = loadManifest(runDir);
    saveManifest(runDir, { ...manifest, pipeline: together(manifest.pipeline, result) });
  } finally {
    rmdirSync(lock);
  }
}

/** One process's figures beside another's that ran at the same time: their sum over the span of both. An earlier, separate result gives way. */
function together(earlier: PipelineResult | null, result: PipelineResult): PipelineResult {
  if (!earlier?.completed || earlier.finishedAtMs < result.startedAtMs) return result;
  const datasets: PipelineResult['datasets'] = structuredClone(earlier.datasets);
  for (const [name, stats] of Object.entries(result.datasets) as [keyof PipelineResult['datasets'], DatasetStats][]) {
    const total = datasets[name];
    if (total) addStats(total, stats);
    else datasets[name] = stats;
  }
  return {
    startedAtMs: Math.min(earlier.startedAtMs, result.startedAtMs),
    finishedAtMs: Math.max(earlier.finishedAtMs, result.finishedAtMs),
    completed: true,
    datasets,
  };
}
