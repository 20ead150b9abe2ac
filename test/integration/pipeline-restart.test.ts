import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CsvTransport } from '../../connectors/transports/csv/index.ts';
import { CsvFileSource } from '../../connectors/transports/csv/source.ts';
import type { ProduceOutcome } from '../../connectors/transports/transport.ts';
import type { SqlClient } from '../../connectors/sinks/sql/client.ts';
import { MANIFEST_VERSION, type RunManifest } from '../../runs/manifest.ts';
import { runPipeline } from '../../pipeline/run-pipeline.ts';
import { SqlSinkReader } from '../../connectors/sinks/sql/reader.ts';
import { SqlSinkWriter } from '../../connectors/sinks/sql/writer.ts';
import type { SqlSinkSpec as SinkSpec } from '../../connectors/sinks/sql/spec.ts';
import { scenarioSchema } from '../../scenarios/schema.ts';
import { verifyRun } from '../../verifier/verify.ts';
import { BASE_TIME, generator, someFaults } from '../helpers/generated.ts';
import { dropSchema } from '../helpers/postgres.ts';
import { tempDir } from '../helpers/scenario.ts';
import { backends, freshSinkSpec } from '../helpers/sinks.ts';

const COUNT = 3000;
const SEED = 42;

function manifestFor(spec: SinkSpec, produced: ProduceOutcome): RunManifest {
  const scenario = scenarioSchema.parse({
    name: 'restart',
    seed: SEED,
    sink: spec,
    datasets: { ecommerce: { count: COUNT, rate: 1000, faults: someFaults } },
  });
  return {
    manifestVersion: MANIFEST_VERSION,
    status: 'finished',
    process: { pid: 0, host: 'test' },
    updatedAt: new Date().toISOString(),
    runId: 'restart-test',
    createdAt: new Date(produced.startedAtMs).toISOString(),
    scenarioPath: 'inline',
    scenario,
    seed: generator('ecommerce', SEED).config.seed,
    baseTimeMs: BASE_TIME,
    transport: { type: 'csv', dir: '' },
    sink: { kind: 'pglite', dataDir: '' },
    datasets: {
      ecommerce: {
        count: COUNT,
        records: COUNT,
        complete: true,
        rate: 1000,
        startedAtMs: produced.startedAtMs,
        finishedAtMs: produced.finishedAtMs,
        files: produced.files,
      },
    },
    pipeline: null,
  };
}

describe.each(backends)('pipeline restart on $name (seed 001 test case 5)', ({ open }) => {
  let client: SqlClient;
  let spec: SinkSpec;

  afterEach(async () => {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset if the first test failed before opening it
    await client?.close();
    await dropSchema(spec.schema);
  });

  it('loses and doubles nothing when stopped mid-file and started again', async () => {
    const root = tempDir();
    const dir = join(root, 'ecommerce');
    const files = new CsvTransport(root, { rotateRecords: 1000, rotateInterval: 1000 });
    const produced = await files.produce({ generator: generator('ecommerce', SEED), count: COUNT, paced: false });
    client = await open();
    spec = { ...freshSinkSpec(), reset: false };
    const sink = () => new SqlSinkWriter(client, { spec, datasets: ['ecommerce'], reset: false, uniqueKeys: true, uniqueDeadLetters: true });
    const source = () => new CsvFileSource('ecommerce', dir, 1);
    const common = { batchSize: 300, futureToleranceMs: 3_600_000, pollIntervalMs: 5 };

    // First life: stopped after 5 batches. Batches never span files: 300+300+300+100 finish the
    // first file, the fifth stops 300 records into the second.
    const stop = new AbortController();
    let batches = 0;
    const first = await runPipeline({
      ...common,
      sources: [source()],
      sink: sink(),
      signal: stop.signal,
      log: () => {},
      batchLog: (line) => {
        if (line.includes(' batch ') && ++batches === 5) stop.abort();
      },
    });
    expect(first.completed).toBe(false);
    expect(first.datasets.ecommerce?.records).toBe(1300);
    const midway = await sink().checkpoints('ecommerce');
    expect(midway.get('ecommerce-000002.csv')).toMatchObject({ position: 301, done: false });

    // Second life resumes from the sink's checkpoints, not from the start.
    const second = await runPipeline({ ...common, sources: [source()], sink: sink(), log: () => {} });
    expect(second.completed).toBe(true);
    expect(second.datasets.ecommerce?.records).toBe(COUNT - 1300);
    expect(second.datasets.ecommerce?.duplicates).toBeLessThan(COUNT * someFaults.duplicate * 2);

    const report = await verifyRun(manifestFor(spec, produced), new SqlSinkReader(client, spec));
    const figures = Object.fromEntries(report.checks.map((c) => [c.name, c.figures]));
    expect(figures['exactly-once']).toMatchObject({ missing: 0, duplicateRows: 0, unexpected: 0 });
    expect(figures['dlq-capture']).toMatchObject({ missed: 0, wrongReason: 0, validDeadLettered: 0 });
    expect(report.verdict).toBe('pass');
  });
});
