import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CsvTransport } from '../connectors/transports/csv/index.ts';
import type { SqlClient } from '../connectors/sinks/sql/client.ts';
import { sqlSinkSpec } from '../connectors/sinks/sql/spec.ts';
import { createGenerator } from '../generators/index.ts';
import { seedWord } from '../generators/random.ts';
import { runPipeline } from '../pipeline/run-pipeline.ts';
import { SqlSinkWriter } from '../connectors/sinks/sql/writer.ts';
import { printTable } from './table.ts';

const faults = { duplicate: 0.02, malformed: 0.02, future: 0.01, late: 0.02 };

/**
 * Unpaced figures: generation to CSV alone, then the reference pipeline draining the same files
 * into each SQL backend, in one process, so the ratios compare like with like.
 */
export async function benchPipeline(count: number, backends: { name: string; open: () => Promise<SqlClient> }[]): Promise<void> {
  const files = new CsvTransport(mkdtempSync(join(tmpdir(), 'harness-bench-')), { rotateRecords: 50_000, rotateInterval: 1000 });
  const generator = createGenerator('ecommerce', { seed: seedWord(1), baseTimeMs: Date.UTC(2026, 0, 1), rate: 0, faults, options: {} });
  const produced = await files.produce({ generator, count });
  const genRate = count / ((produced.finishedAtMs - produced.startedAtMs) / 1000);
  const rows: (string | number)[][] = [['generate e-commerce -> CSV (1 thread)', Math.round(genRate), '1.00']];
  for (const backend of backends) {
    const sink = new SqlSinkWriter(await backend.open(), {
      spec: sqlSinkSpec.parse({ type: 'sql', schema: `harness_bench_${backend.name}` }),
      datasets: ['ecommerce'],
      reset: true,
      uniqueKeys: true,
      uniqueDeadLetters: true,
    });
    const result = await runPipeline({
      sources: files.sources([generator]),
      sink,
      batchSize: 5000,
      futureToleranceMs: 3_600_000,
      pollIntervalMs: 10,
      log: () => {},
    });
    await sink.close();
    const rate = count / ((result.finishedAtMs - result.startedAtMs) / 1000);
    rows.push([`pipeline CSV -> ${backend.name}`, Math.round(rate), (rate / genRate).toFixed(2)]);
  }
  printTable(`unpaced, ${count.toLocaleString('en-US')} e-commerce events with faults`, ['stage', 'records/s', 'x generation'], rows);
}
