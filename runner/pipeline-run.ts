import { openSql } from '../connectors/sql/open.ts';
import { loadManifest, saveManifest } from '../runs/manifest.ts';
import { createGenerator } from '../generators/index.ts';
import { runPipeline, type PipelineResult } from '../pipeline/run-pipeline.ts';
import { SqlSink } from '../pipeline/sinks/sql.ts';
import { generatorConfig } from '../scenarios/datasets.ts';
import { scenarioSchema, type ReferencePipelineSpec } from '../scenarios/schema.ts';
import { referencePipelineSettings, uniqueKeysFor } from './reference-pipeline.ts';
import { scenarioDatasets } from './run-scenario.ts';
import { sourcesFromManifest } from './transports.ts';

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
  const sink = new SqlSink(await openSql(manifest.sink, env, { log }), {
    spec: { ...scenario.sink, reset: false },
    datasets: generators.map((g) => g.dataset),
    uniqueKeys: uniqueKeysFor(spec),
  });
  try {
    const result = await runPipeline({
      sources: sourcesFromManifest(manifest, generators, env, log),
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
