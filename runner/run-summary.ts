import type { TransportLocation } from '../connectors/transports/index.ts';
import type { RunManifest } from '../runs/manifest.ts';
import type { RunSummary } from '../verifier/report.ts';

function describeTransport(location: TransportLocation): string {
  return location.type === 'csv' ? `csv files in ${location.dir}` : `kafka ${location.brokers.join(',')}`;
}

/** What report.html shows of the run beside the checks; the sink as its reader described it. */
export function runSummary(manifest: RunManifest, sink: string): RunSummary {
  return {
    scenario: manifest.scenario.name,
    scenarioPath: manifest.scenarioPath,
    seed: manifest.seed,
    baseTime: new Date(manifest.baseTimeMs).toISOString(),
    datasets: Object.fromEntries(Object.entries(manifest.datasets).map(([name, d]) => [name, d?.count ?? 0])),
    transport: describeTransport(manifest.transport),
    sink,
    status: manifest.status,
    peakRssBytes: manifest.peakRssBytes ?? null,
    wallMs: Date.parse(manifest.updatedAt) - Date.parse(manifest.createdAt),
  };
}
