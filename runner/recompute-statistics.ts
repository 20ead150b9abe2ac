import { sinkFor } from '../connectors/sinks/index.ts';
import { HarnessError } from '../core/errors.ts';
import { waitOutOutage } from '../pipeline/outage.ts';
import { loadManifest } from '../runs/manifest.ts';
import { scenarioDatasets } from './scenario-datasets.ts';
import { sinkSetup } from './sink-setup.ts';

/**
 * `harness pipeline --recompute-statistics`: the statistics the reference pipeline keeps beside a
 * run's rows (seed 002's champion and position statistics) rebuilt from the rows in its sink. The
 * SQL sink adds each batch's rows to them as it inserts them, and has no other way back to the
 * truth once they drift (a row changed by hand, a table restored apart, a bug); Elasticsearch
 * recomputes the documents a batch touched, and no others. This rebuilds every one.
 *
 * It takes the run's sink lock as `harness pipeline` does: another run cannot write meanwhile, and
 * pipelines of this run may (each sink makes the rebuild and their batches land one after the
 * other). An outage is waited out up to sink.outageLimit, the rebuild then done again whole.
 * Returns a line per table or index rebuilt.
 */
export async function recomputeStatisticsForRun(runDir: string, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<string[]> {
  const manifest = loadManifest(runDir);
  const { scenario } = manifest;
  if (scenario.pipeline.type !== 'reference') {
    throw new HarnessError(
      'usage',
      `run ${manifest.runId} has pipeline: ${scenario.pipeline.type}: its statistics are the pipeline under test's, which harness verify judges and the harness never rewrites`,
    );
  }
  const component = await sinkFor(scenario.sink);
  const lock = await component.lock(manifest.sink, scenario.sink, env, { holder: `harness pipeline ${manifest.runId}`, runId: manifest.runId, log });
  try {
    const sink = await component.openWriter(manifest.sink, scenario.sink, env, sinkSetup(scenario, false, log));
    try {
      const policy = { limitMs: scenario.sink.outageLimit };
      const held =
        <T>(operation: () => Promise<T>) =>
        async () => {
          await lock.hold();
          return operation();
        };
      await waitOutOutage(
        sink,
        'sink connect',
        held(() => sink.connect()),
        policy,
        log,
      );
      const lines: string[] = [];
      for (const [dataset] of scenarioDatasets(scenario)) {
        lines.push(
          ...(await waitOutOutage(
            sink,
            `[${dataset}] recomputing statistics`,
            held(() => sink.recomputeStatistics(dataset)),
            policy,
            log,
          )),
        );
      }
      return lines;
    } finally {
      await sink.close();
    }
  } finally {
    await lock.release();
  }
}
