import type { RunManifest } from '../runs/manifest.ts';
import type { RunSummary } from '../verifier/report.ts';

/** What report.html shows of the run beside the checks; the sink as its reader described it, the transport as its component does. */
export function runSummary(manifest: RunManifest, sink: string, transport: string): RunSummary {
  return {
    scenario: manifest.scenario.name,
    scenarioPath: manifest.scenarioPath,
    seed: manifest.seed,
    baseTime: new Date(manifest.baseTimeMs).toISOString(),
    datasets: Object.fromEntries(Object.entries(manifest.datasets).map(([name, d]) => [name, d.count])),
    transport,
    sink,
    status: manifest.status,
    peakRssBytes: manifest.peakRssBytes ?? null,
    wallMs: Date.parse(manifest.updatedAt) - Date.parse(manifest.createdAt),
  };
}
