import { join } from 'node:path';
import { sinkFor } from '../connectors/sinks/index.ts';
import { loadTransport } from '../connectors/transports/index.ts';
import { loadManifest } from '../runs/manifest.ts';
import { judgeAgainst, type Baseline } from '../reports/compare/baseline.ts';
import { writeReports } from '../reports/index.ts';
import type { Report } from '../verifier/report.ts';
import type { DeadLetterStream } from '../connectors/readers.ts';
import { verifyRun } from '../verifier/verify.ts';
import { runSummary } from './run-summary.ts';

/**
 * `harness verify`: reads the run's manifest, checks its sinks through their readers (and the
 * dead letters the transport also carried, when it did), judges it against `baseline` when given
 * (--baseline, --fail-on), writes the reports beside it.
 */
export async function verifyRunDir(runDir: string, env: NodeJS.ProcessEnv, log: (line: string) => void, baseline?: Baseline): Promise<Report> {
  const manifest = loadManifest(runDir);
  const nowMs = Date.now();
  // Opened first: a Kafka topic's consumer joins its group (seconds) while the sink is read.
  const transport = await loadTransport(manifest.transport.type);
  const location = manifest.transport;
  const deadLetters: DeadLetterStream | null = transport.deadLetterReader?.(location, { runId: manifest.runId, env, log }) ?? null;
  try {
    const reader = await (await sinkFor(manifest.scenario.sink)).openReader(manifest.sink, manifest.scenario.sink, env, log);
    try {
      const pipeline = manifest.scenario.pipeline;
      const verified = await verifyRun(manifest, reader, {
        ...(pipeline.type === 'external' ? { waitForMs: pipeline.waitFor } : {}),
        log,
        nowMs,
        deadLetters,
        positionConvention: transport.positionConvention,
        chunkPlan: (generator, count) => transport.chunkPlan(manifest.scenario.transport, generator, count),
      });
      const report: Report = { ...verified, run: runSummary(manifest, verified.sink, transport.describe(location)) };
      let judged = report;
      try {
        if (baseline) judged = judgeAgainst(report, join(runDir, 'report.json'), baseline, log);
      } finally {
        // Written even when the baselines prove not comparable (exit 2): the run's own verdict stands.
        writeReports(runDir, judged);
      }
      return judged;
    } finally {
      await reader.close();
    }
  } finally {
    await deadLetters?.close();
  }
}
