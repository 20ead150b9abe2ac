import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { produceToFiles } from '../connectors/files/file-producer.ts';
import type { SqlClient } from '../connectors/sql/client.ts';
import { createGenerator } from '../generators/index.ts';
import { seedWord } from '../generators/random.ts';
import { runPipeline } from '../pipeline/run-pipeline.ts';
import { SqlSink } from '../pipeline/sinks/sql.ts';
import { CsvFileSource } from '../pipeline/sources/csv-files.ts';
import { scenarioSchema } from '../scenarios/schema.ts';
import { printTable } from './table.ts';

const faults = { duplicate: 0.02, malformed: 0.02, future: 0.01, late: 0.02 };

/**
 * Unpaced figures: generation to CSV alone, then the reference pipeline draining the same files
 * into each SQL backend, in one process, so the ratios compare like with like.
 */
export async function benchPipeline(count: number, backends: { name: string; open: () => Promise<SqlClient> }[]): Promise<void> {
  const dir = join(mkdtempSync(join(tmpdir(), 'harness-bench-')), 'ecommerce');
  const generator = createGenerator('ecommerce', { seed: seedWord(1), baseTimeMs: Date.UTC(2026, 0, 1), rate: 0, faults, options: {} });
  const produced = await produceToFiles({ dataset: 'ecommerce', config: generator.config, dir, count, rotateRecords: 50_000, rotateIntervalMs: 1000 });
  const genRate = count / ((produced.finishedAtMs - produced.startedAtMs) / 1000);
  const rows: (string | number)[][] = [['generate e-commerce -> CSV (1 thread)', Math.round(genRate), '1.00']];
  for (const backend of backends) {
    const sink = new SqlSink(await backend.open(), {
      spec: scenarioSchema.shape.sink.parse({ schema: `harness_bench_${backend.name}` }),
      datasets: ['ecommerce'],
      uniqueKeys: true,
    });
    const result = await runPipeline({
      sources: [new CsvFileSource('ecommerce', dir, 1)],
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
