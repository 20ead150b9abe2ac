import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SqlClient } from '../../connectors/sinks/sql/client.ts';
import { qualified } from '../../connectors/sinks/sql/ddl.ts';
import { SqlSinkReader } from '../../connectors/sinks/sql/reader.ts';
import { SqlSinkWriter } from '../../connectors/sinks/sql/writer.ts';
import { CsvFileSource } from '../../connectors/transports/csv/source.ts';
import type { OutputRow } from '../../pipeline/output.ts';
import { datasetOutputs } from '../../pipeline/rules/index.ts';
import { runPipeline } from '../../pipeline/run-pipeline.ts';
import type { SqlSinkSpec as SinkSpec } from '../../connectors/sinks/sql/spec.ts';
import { BATCH, corpusProblems, ecommerceKinds, lolKinds, REFUSED, writeCorpus } from '../helpers/hostile-corpus.ts';
import { dropSchema } from '../helpers/postgres.ts';
import { tempDir } from '../helpers/scenario.ts';
import { backends, freshSinkSpec } from '../helpers/sinks.ts';

/** The hostile-input corpus (test/helpers/hostile-corpus.ts) through the reference pipeline. */

describe('the corpus', () => {
  it('has at least 30 kinds, over both datasets', () => {
    expect(ecommerceKinds.length + lolKinds.length).toBeGreaterThanOrEqual(30);
    expect(ecommerceKinds.length).toBeGreaterThanOrEqual(30);
    expect(lolKinds.length).toBeGreaterThanOrEqual(25);
    expect(new Set([...ecommerceKinds, ...lolKinds].map((k) => `${k.dataset} ${k.kind}`)).size).toBe(ecommerceKinds.length + lolKinds.length);
  });
});

describe.each(backends)('hostile input on $name', ({ open }) => {
  let client: SqlClient;
  let spec: SinkSpec;

  afterEach(async () => {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset if the first test failed before opening it
    await client?.close();
    await dropSchema(spec.schema);
  });

  it('lands every line intact or dead-letters it with its reason: never a crash, never a stall', { timeout: 180_000 }, async () => {
    const root = tempDir('harness-corpus-');
    const placed = {
      ecommerce: writeCorpus(join(root, 'ecommerce'), 'ecommerce', ecommerceKinds),
      lol: writeCorpus(join(root, 'lol'), 'lol', lolKinds),
    };
    client = await open();
    spec = { ...freshSinkSpec(), reset: false };
    const sink = new SqlSinkWriter(client, { spec, datasets: ['ecommerce', 'lol'], reset: false, uniqueKeys: true, uniqueDeadLetters: true });
    await sink.connect();
    // Content the rules accept and the database refuses: what isolation is for.
    await client.exec(
      `ALTER TABLE ${qualified(spec.schema, spec.tables.ecommerce)} ADD CONSTRAINT corpus_refuse CHECK (product_name <> '${REFUSED}');
       ALTER TABLE ${qualified(spec.schema, spec.tables.lol)} ADD CONSTRAINT corpus_refuse CHECK (summoner_name <> '${REFUSED}')`,
    );
    const started = Date.now();
    const result = await runPipeline({
      sources: [new CsvFileSource('ecommerce', join(root, 'ecommerce'), 1), new CsvFileSource('lol', join(root, 'lol'), 0)],
      sink,
      batchSize: BATCH,
      futureToleranceMs: 3_600_000,
      pollIntervalMs: 5,
      outageLimitMs: 2_000,
      log: () => {},
    });
    expect(result.completed).toBe(true);
    expect(Date.now() - started).toBeLessThan(120_000);

    const reader = new SqlSinkReader(client, spec);
    for (const dataset of ['ecommerce', 'lol'] as const) {
      const output = datasetOutputs[dataset];
      const rows = new Map<string, OutputRow>();
      await reader.scanRows(dataset, (page) => page.forEach((r) => rows.set(output.key.map((k) => String(r.values[k])).join(':'), r.values)));
      const letters = new Map<string, { reason: string; raw: Buffer }>();
      await reader.scanDeadLetters(dataset, (page) => page.forEach((l) => letters.set(`${l.source}#${l.position}`, l)));

      const { problems, expectedRows, expectedLetters } = corpusProblems(placed[dataset], output, rows, letters);
      expect(problems).toEqual([]);
      // Every line accounted for, nothing else in the sink.
      expect(rows.size).toBe(expectedRows);
      expect(letters.size).toBe(expectedLetters);
      expect(result.datasets[dataset]).toMatchObject({
        records: placed[dataset].length,
        deadLettered: expectedLetters,
        // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- vitest types its asymmetric matchers (expect.any...) as any
        byReason: expect.objectContaining({ sink_rejected: 1 }),
      });
    }
    const { rows: details } = await client.query<{ detail: string }>(
      `SELECT detail FROM ${qualified(spec.schema, spec.tables.dlq)} WHERE reason = 'sink_rejected'`,
    );
    expect(details.map((d) => d.detail)).toEqual([expect.stringContaining('corpus_refuse'), expect.stringContaining('corpus_refuse')]);
  });
});
