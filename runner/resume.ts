import { reopenTransport } from '../connectors/transports/index.ts';
import { HarnessError } from '../core/errors.ts';
import { currentProcess, describeAbort, isAlive, loadManifest } from '../runs/manifest.ts';
import type { ProgressView } from './monitor.ts';
import { executeRun, type RunOutcome } from './run-scenario.ts';

export interface ResumeOptions {
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  signal?: AbortSignal;
  workers?: number;
  progress?: ProgressView;
}

/**
 * `harness resume`: finishes a run that was killed, crashed or interrupted. Every record is a pure
 * function of its index, so what was not produced is generated again (on the original schedule:
 * what was due long ago goes at once and is judged from its intended time, honestly); the pipeline
 * continues from the checkpoints its sink holds; the sink's tables are kept.
 */
export async function resumeRun(runDir: string, options: ResumeOptions): Promise<RunOutcome & { resumed: boolean }> {
  const manifest = loadManifest(runDir);
  if (isAlive(manifest)) {
    throw new HarnessError(
      'usage',
      `run ${manifest.runId} is still running (its manifest was updated at ${manifest.updatedAt}): there is nothing to resume yet`,
    );
  }
  if (manifest.status === 'aborted') {
    // Stopped on purpose because an SLO was already lost: finishing it would judge a different run.
    options.log(`run ${manifest.runId} was ${manifest.aborted ? describeAbort(manifest.aborted) : 'aborted'}; an aborted run is not resumed: start a new one`);
    return { runDir, manifest, resumed: false };
  }
  const generated = Object.values(manifest.datasets).every((d) => d.complete);
  const consumed = manifest.scenario.pipeline.type === 'external' || manifest.pipeline?.completed === true;
  if (manifest.status === 'finished' && generated && consumed) {
    options.log(`run ${manifest.runId} finished: nothing to resume`);
    return { runDir, manifest, resumed: false };
  }
  options.log(
    `resuming run ${manifest.runId} (${manifest.status}): ${Object.entries(manifest.datasets)
      .map(([name, d]) => `${name} ${d.records} of ${d.count}`)
      .join(', ')}`,
  );
  const transport = await reopenTransport(manifest.scenario.transport, manifest.transport, { runId: manifest.runId, env: options.env, log: options.log });
  manifest.status = 'running';
  manifest.process = currentProcess();
  delete manifest.error;
  const outcome = await executeRun({ ...options, manifest, runDir, transport, resume: true });
  return { ...outcome, resumed: true };
}
