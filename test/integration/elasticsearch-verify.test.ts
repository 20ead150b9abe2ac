import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CsvTransport } from '../../connectors/transports/csv/index.ts';
import { CsvFileSource } from '../../connectors/transports/csv/source.ts';
import type { ProduceOutcome } from '../../connectors/transports/transport.ts';
import type { ElasticsearchSinkSpec } from '../../connectors/sinks/elasticsearch/spec.ts';
import type { DatasetName } from '../../generators/generator.ts';
import { Oracle } from '../../generators/oracle.ts';
import { faultHits } from '../../pipeline/faults.ts';
import type { OutputRow } from '../../pipeline/output.ts';
import { datasetOutputs, datasetStatistics } from '../../pipeline/rules/index.ts';
import { statisticsOf } from '../../pipeline/statistics.ts';
import { runPipeline, type PipelineOptions } from '../../pipeline/run-pipeline.ts';
import { MANIFEST_VERSION, type RunManifest } from '../../runs/manifest.ts';
import { scenarioSchema } from '../../scenarios/schema.ts';
import type { Report } from '../../verifier/report.ts';
import { verifyRun } from '../../verifier/verify.ts';
import { esBackends, setupFor, type EsTarget } from '../helpers/elasticsearch.ts';
import { BASE_TIME, generator, someFaults } from '../helpers/generated.ts';
import { tempDir } from '../helpers/scenario.ts';

const SEED = 202;
const COUNT = 300;

/**
 * The whole loop on Elasticsearch: seed 002 matches with every fault kind, through the reference
 * pipeline into the sink, read back by the reader, judged by the verifier's checks unchanged. A
 * replay of everything (checkpoints lost) must overwrite in place: the same verdict, the rewritten
 * rows counted apart from duplicates, the statistics recomputed to the same figures. A pipeline that
 * writes past the key must fail exactly-once; one whose statistics count matches twice, aggregates.
 */
describe.each(esBackends)('verifying an Elasticsearch sink ($name)', ({ target }) => {
  let es: EsTarget;

  afterEach(async () => {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset if the first test failed before target()
    await es?.cleanup();
  });

  async function produce(dataset: DatasetName): Promise<{ dir: string; produced: ProduceOutcome }> {
    const root = tempDir();
    const files = new CsvTransport(root, { rotateRecords: 120, rotateInterval: 1000 });
    const produced = await files.produce({ generator: generator(dataset, SEED), count: COUNT, paced: false });
    return { dir: join(root, dataset), produced };
  }

  function manifestFor(spec: ElasticsearchSinkSpec, dataset: DatasetName, produced: ProduceOutcome): RunManifest {
    const scenario = scenarioSchema.parse({
      name: 'es-verify',
      seed: SEED,
      sink: spec,
      datasets: { [dataset]: { count: COUNT, rate: 1000, faults: someFaults } },
    });
    return {
      manifestVersion: MANIFEST_VERSION,
      status: 'finished',
      process: { pid: 0, host: 'test' },
      updatedAt: new Date().toISOString(),
      runId: 'es-verify',
      createdAt: new Date(produced.startedAtMs).toISOString(),
      scenarioPath: 'inline',
      scenario,
      seed: generator(dataset, SEED).config.seed,
      baseTimeMs: BASE_TIME,
      transport: { type: 'csv', dir: '' },
      sink: es.location,
      datasets: {
        [dataset]: {
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

  async function pipeline(dataset: DatasetName, dir: string, extra: Partial<PipelineOptions> = {}, setup = setupFor([dataset])) {
    const sink = await es.component.openWriter(es.location, es.spec, es.env, setup);
    try {
      return await runPipeline({
        sources: [new CsvFileSource(dataset, dir, dataset === 'lol' ? 0 : 1)],
        sink,
        batchSize: 100,
        futureToleranceMs: 3_600_000,
        pollIntervalMs: 5,
        log: () => {},
        ...extra,
      });
    } finally {
      await sink.close();
    }
  }

  async function verify(manifest: RunManifest): Promise<Report> {
    const reader = await es.component.openReader(es.location, es.spec, es.env, () => {});
    try {
      return await verifyRun(manifest, reader);
    } finally {
      await reader.close();
    }
  }

  const figures = (report: Report, check: string) => report.checks.find((c) => c.name === check)?.figures;
  /** Checks that did not pass, `aggregates` (the champion and position statistics) among them. */
  const failed = (report: Report) => report.checks.filter((c) => c.status !== 'pass').map((c) => `${c.name}: ${c.summary}`);

  /** The participant rows of every match that must land, regenerated. */
  function truthRows(): OutputRow[] {
    const gen = generator('lol', SEED);
    const output = datasetOutputs.lol;
    const oracle = new Oracle(gen, COUNT, undefined, output.rowsPerRecord);
    const rows: OutputRow[] = [];
    for (let index = 0; index < COUNT; index++) {
      const outcome = oracle.outcome(index);
      if (outcome.type === 'land') rows.push(...output.expectedRows(gen, index, outcome.plan));
    }
    return rows;
  }

  it.each(['lol', 'ecommerce'] as const)(
    '%s: every check passes, and passes again after a full replay that rewrote every document in place',
    async (dataset) => {
      es = await target();
      const { dir, produced } = await produce(dataset);
      const first = await pipeline(dataset, dir);
      expect(first.completed).toBe(true);
      const manifest = manifestFor(es.spec, dataset, produced);
      const clean = await verify(manifest);
      expect(clean.checks.length).toBeGreaterThan(5);
      expect(failed(clean)).toEqual([]);
      const rows = figures(clean, 'exactly-once')?.rows ?? 0;
      expect(rows).toBe(first.datasets[dataset]?.inserted);
      // Generator duplicates land on their original's id: overwritten in place, never a second document.
      expect(figures(clean, 'exactly-once')).toMatchObject({ missing: 0, duplicateRows: 0, unexpected: 0, rewrittenRows: first.datasets[dataset]?.duplicates });

      // The checkpoints are lost: the pipeline reads everything again and writes every document again.
      await es.client.deleteByQuery({ index: es.spec.indices.checkpoints, query: { match_all: {} }, refresh: true });
      const replay = await pipeline(dataset, dir, {}, setupFor([dataset], { reset: false }));
      expect(replay.datasets[dataset]?.inserted).toBe(0);
      const again = await verify(manifest);
      expect(failed(again)).toEqual([]);
      // The statistics were recomputed from the rewritten rows: every group compared, each once.
      if (dataset === 'lol')
        expect(figures(again, 'aggregates')).toMatchObject({
          groupsWrong: 0,
          missing: 0,
          extra: 0,
          groupsCompared: figures(clean, 'aggregates')?.groupsExpected,
        });
      expect(figures(again, 'exactly-once')).toMatchObject({ rows, missing: 0, duplicateRows: 0, rewrittenRows: rows });
      expect(figures(again, 'dlq-capture')).toMatchObject({ missed: 0, validDeadLettered: 0 });
    },
  );

  it('a pipeline whose statistics count some matches twice (doubleCount) fails exactly aggregates, with every group those matches fall in', async () => {
    es = await target();
    const { dir, produced } = await produce('lol');
    const share = 0.05;
    const faults = scenarioSchema.shape.pipeline.parse({ type: 'reference', faults: { doubleCount: share } });
    await pipeline('lol', dir, { faults: faults.type === 'reference' ? faults.faults : undefined }, setupFor(['lol'], { doubleCount: share }));
    const report = await verify(manifestFor(es.spec, 'lol', produced));
    expect(failed(report).map((line) => line.split(':')[0])).toEqual(['aggregates']);
    const doubled = truthRows().filter((row) => faultHits('doubleCount', share, String(row.match_id)));
    expect(doubled.length).toBeGreaterThan(0);
    // Each statistic's group in the doubled rows' windows, and its total: the groups they make wrong.
    const touched = datasetStatistics.lol.flatMap((statistic) => statisticsOf(statistic, doubled)).length;
    expect(figures(report, 'aggregates')).toMatchObject({ groupsWrong: touched, missing: 0, extra: 0 });
    // The rows themselves landed once.
    expect(figures(report, 'exactly-once')).toMatchObject({ missing: 0, duplicateRows: 0 });
  });

  it('a pipeline that writes rows past the key fails exactly-once with the duplicates, apart from rows rewritten in place', async () => {
    es = await target();
    const { dir, produced } = await produce('lol');
    const faults = scenarioSchema.shape.pipeline.parse({ type: 'reference', faults: { duplicateWrite: 0.05 } });
    await pipeline('lol', dir, { faults: faults.type === 'reference' ? faults.faults : undefined }, setupFor(['lol'], { uniqueKeys: false }));
    const report = await verify(manifestFor(es.spec, 'lol', produced));
    const exactlyOnce = report.checks.find((c) => c.name === 'exactly-once');
    expect(exactlyOnce?.status).toBe('fail');
    expect(exactlyOnce?.figures.duplicateRows).toBeGreaterThan(0);
    expect(exactlyOnce?.figures.rewrittenRows).toBe(0);
  });
});
