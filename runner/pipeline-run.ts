import { sinkFor } from '../connectors/sinks/index.ts';
import { sourcesFor } from '../connectors/transports/index.ts';
import { HarnessError } from '../core/errors.ts';
import { HEARTBEAT_MS, isAlive, loadManifest, saveManifest, unfinishedGeneration } from '../runs/manifest.ts';
import { createGenerator } from '../generators/index.ts';
import { runPipeline, type PipelineResult } from '../pipeline/run-pipeline.ts';
import { generatorConfig } from '../scenarios/datasets.ts';
import { scenarioSchema, type ReferencePipelineSpec } from '../scenarios/schema.ts';
import { RunMonitor, type ProgressView } from './monitor.ts';
import { referencePipelineSettings } from './reference-pipeline.ts';
import { scenarioDatasets } from './scenario-datasets.ts';
import { sinkSetup } from './sink-setup.ts';

/**
 * `harness pipeline`: the reference pipeline alone, over a run's data (files or Kafka offsets),
 * into the run's sink. Resumes from the checkpoints in the sink, so it can be stopped, killed and
 * started again; it never drops tables.
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
  const lock = await sinkFor(scenario.sink).lock(manifest.sink, scenario.sink, env, { holder: `harness pipeline ${manifest.runId}`, runId: manifest.runId, log });
  // While following a live generation, stop (as unfinished) if its run dies instead of waiting forever.
  const stop = new AbortController();
  const abort = () => stop.abort();
  signal?.addEventListener('abort', abort);
  let died = false;
  const watch = unfinished && !options.follow
    ? setInterval(() => {
        const now = loadManifest(runDir);
        if (unfinishedGeneration(now) && !isAlive(now)) {
          died = true;
          stop.abort();
        }
      }, HEARTBEAT_MS)
    : null;
  if (unfinished) log(`${unfinished}; following it`);
  const spec: ReferencePipelineSpec =
    scenario.pipeline.type === 'reference' ? scenario.pipeline : (scenarioSchema.shape.pipeline.parse({ type: 'reference' }) as ReferencePipelineSpec);
  const generators = scenarioDatasets(scenario).map(([name, dataset]) => createGenerator(name, generatorConfig(manifest.seed, manifest.baseTimeMs, dataset)));
  const sink = await sinkFor(scenario.sink).openWriter(manifest.sink, scenario.sink, env, sinkSetup(scenario, false, log));
  // Production is over (or another process's): the monitor sees the pipeline's side only.
  const monitor = new RunMonitor(
    generators.map((g) => {
      const dataset = manifest.datasets[g.dataset];
      return { name: g.dataset, schedule: g.schedule, count: dataset?.records ?? 0, startedAtMs: () => dataset?.startedAtMs ?? Date.now(), files: dataset?.files ?? [] };
    }),
    scenario.slos.latency,
  );
  options.progress?.watch(monitor);
  try {
    const result = await runPipeline({
      sources: sourcesFor(manifest.transport, generators, { runId: manifest.runId, env, log }),
      sink,
      ...referencePipelineSettings(spec, scenario, env, manifest.runId, log),
      ...(options.progress?.batchLog ? { batchLog: options.progress.batchLog } : {}),
      onBatch: (dataset, batch) => monitor.batch(dataset, batch),
      signal: stop.signal,
    });
    if (died) throw new HarnessError('usage', `${unfinishedGeneration(loadManifest(runDir))}: its run stopped while the pipeline followed it; finish it with \`harness resume --run ${runDir}\``);
    if (result.completed) saveManifest(runDir, { ...loadManifest(runDir), pipeline: result });
    return result;
  } finally {
    if (watch) clearInterval(watch);
    options.progress?.stop();
    signal?.removeEventListener('abort', abort);
    await sink.close();
    await lock.release();
  }
}
