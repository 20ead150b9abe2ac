import { sinkFor } from '../connectors/sinks/index.ts';
import { loadManifest } from '../runs/manifest.ts';
import { writeReports } from '../reports/index.ts';
import type { Report } from '../verifier/report.ts';
import { verifyRun } from '../verifier/verify.ts';

/** `harness verify`: reads the run's manifest, checks its sinks through their readers, writes the reports beside it. */
export async function verifyRunDir(runDir: string, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<Report> {
  const manifest = loadManifest(runDir);
  const nowMs = Date.now();
  const reader = await sinkFor(manifest.scenario.sink).openReader(manifest.sink, manifest.scenario.sink, env, log);
  try {
    const pipeline = manifest.scenario.pipeline;
    const report = await verifyRun(manifest, reader, { ...(pipeline.type === 'external' ? { waitForMs: pipeline.waitFor } : {}), log, nowMs });
    writeReports(runDir, report);
    return report;
  } finally {
    await reader.close();
  }
}
