import { openSql } from '../connectors/sql/open.ts';
import { loadManifest } from '../runs/manifest.ts';
import { writeReports } from '../reports/index.ts';
import type { Report } from '../verifier/report.ts';
import { verifyRun } from '../verifier/verify.ts';

/** `harness verify`: reads the run's manifest, checks its sinks, writes the reports beside it. */
export async function verifyRunDir(runDir: string, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<Report> {
  const manifest = loadManifest(runDir);
  const client = await openSql(manifest.sink, env, { log });
  try {
    const pipeline = manifest.scenario.pipeline;
    const report = await verifyRun(manifest, client, { ...(pipeline.type === 'external' ? { waitForMs: pipeline.waitFor } : {}), log });
    writeReports(runDir, report);
    return report;
  } finally {
    await client.close();
  }
}
