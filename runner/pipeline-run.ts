import { sinkFor } from '../connectors/sinks/index.ts';
import { sourcesFor } from '../connectors/transports/index.ts';
import { loadManifest, saveManifest } from '../runs/manifest.ts';
import { createGenerator } from '../generators/index.ts';
import { runPipeline, type PipelineResult } from '../pipeline/run-pipeline.ts';
import { generatorConfig } from '../scenarios/datasets.ts';
import { scenarioSchema, type ReferencePipelineSpec } from '../scenarios/schema.ts';
import { referencePipelineSettings } from './reference-pipeline.ts';
import { scenarioDatasets } from './scenario-datasets.ts';
import { sinkSetup } from './sink-setup.ts';

/**
 * `harness pipeline`: the reference pipeline alone, over a run's data (files or Kafka offsets),
 * into the run's sink. Resumes from the checkpoints in the sink, so it can be stopped, killed and
 * started again; it never drops tables.
 */
export async function runPipelineForRun(runDir: string, env: NodeJS.ProcessEnv, log: (line: string) => void, signal?: AbortSignal): Promise<PipelineResult> {
  const manifest = loadManifest(runDir);
  const { scenario } = manifest;
  const spec: ReferencePipelineSpec =
    scenario.pipeline.type === 'reference' ? scenario.pipeline : (scenarioSchema.shape.pipeline.parse({ type: 'reference' }) as ReferencePipelineSpec);
  const generators = scenarioDatasets(scenario).map(([name, dataset]) => createGenerator(name, generatorConfig(manifest.seed, manifest.baseTimeMs, dataset)));
  const sink = await sinkFor(scenario.sink).openWriter(manifest.sink, scenario.sink, env, sinkSetup(scenario, false, log));
  try {
    const result = await runPipeline({
      sources: sourcesFor(manifest.transport, generators, { runId: manifest.runId, env, log }),
      sink,
      ...referencePipelineSettings(spec, scenario, env, manifest.runId, log),
      ...(signal ? { signal } : {}),
    });
    if (result.completed) saveManifest(runDir, { ...loadManifest(runDir), pipeline: result });
    return result;
  } finally {
    await sink.close();
  }
}
