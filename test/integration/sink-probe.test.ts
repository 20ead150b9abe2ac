import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { qualified } from '../../connectors/sinks/sql/ddl.ts';
import { sql } from '../../connectors/sinks/sql/index.ts';
import { openSql } from '../../connectors/sinks/sql/open.ts';
import type { SqlLocation, SqlSinkSpec } from '../../connectors/sinks/sql/spec.ts';
import type { SinkProbe } from '../../connectors/sinks/sink.ts';
import { CsvTransport } from '../../connectors/transports/csv/index.ts';
import { HarnessError } from '../../core/errors.ts';
import type { DatasetName } from '../../generators/generator.ts';
import { runPipeline } from '../../pipeline/run-pipeline.ts';
import type { Sink } from '../../pipeline/sink.ts';
import { feedMonitor, followExternalPipeline, followSink } from '../../runner/follow-sink.ts';
import { participant } from '../helpers/elasticsearch.ts';
import { generator, someFaults } from '../helpers/generated.ts';
import { dropSchema, PG_URL } from '../helpers/postgres.ts';
import { freshSinkSpec } from '../helpers/sinks.ts';
import { tempDir } from '../helpers/scenario.ts';

/** Where the probe is tested: PGlite always (the writer's own database, shared), the PostgreSQL server when PG_URL is set. */
const targets: { name: string; place: () => { location: SqlLocation; env: NodeJS.ProcessEnv } }[] = [
  { name: 'pglite', place: () => ({ location: { kind: 'pglite', dataDir: join(tempDir('harness-probe-'), 'db') }, env: {} }) },
  ...(PG_URL ? [{ name: 'postgres', place: () => ({ location: { kind: 'postgres' as const, url: PG_URL as string }, env: { PG_URL } }) }] : []),
];

const setup = (datasets: DatasetName[]) => ({ datasets, reset: true, uniqueKeys: true, uniqueDeadLetters: true, log: () => {} });

describe.each(targets)('the SQL sink progress probe on $name', ({ name, place }) => {
  let spec: SqlSinkSpec;
  const opened: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((o) => o.close()));
    await dropSchema(spec.schema);
  });

  async function open(datasets: DatasetName[]): Promise<{
    sink: Sink;
    probe: SinkProbe;
    truth: (dataset: DatasetName) => Promise<{ rows: number; deadLetters: number }>;
    location: SqlLocation;
    env: NodeJS.ProcessEnv;
  }> {
    spec = freshSinkSpec();
    const { location, env } = place();
    const sink = await sql.openWriter(location, spec, env, setup(datasets));
    opened.push(sink);
    await sink.connect();
    const probe = await sql.openProbe(location, spec, env);
    opened.push(probe);
    // What count(*) says, through a client of the test's own (on PGlite, the same shared database).
    const counter = await openSql(location, env);
    opened.push(counter);
    const truth = async (dataset: DatasetName) => {
      const count = async (from: string, where = '') =>
        Number((await counter.query<{ n: string | number }>(`SELECT count(*) AS n FROM ${from}${where}`, where ? [dataset] : [])).rows[0]?.n);
      return {
        rows: await count(qualified(spec.schema, spec.tables[dataset])),
        deadLetters: await count(qualified(spec.schema, spec.tables.dlq), ' WHERE dataset = $1'),
      };
    };
    return { sink, probe, truth, location, env };
  }

  it('reads 0 rows and 0 dead letters on empty tables, with the time of the read', async () => {
    const { probe } = await open(['ecommerce', 'lol']);
    const before = Date.now();
    for (const dataset of ['ecommerce', 'lol'] as const) {
      const read = await probe.read(dataset);
      expect(read).toMatchObject({ rows: 0, deadLetters: 0 });
      expect(read.atMs).toBeGreaterThanOrEqual(before);
      expect(read.atMs).toBeLessThanOrEqual(Date.now());
    }
  });

  it(
    "rises while a pipeline writes, then equals the tables' counts: rows (10 a LoL match) and each dataset's dead letters, duplicates absorbed by the key not counted",
    { timeout: 120_000 },
    async () => {
      const { sink, probe, truth } = await open(['ecommerce', 'lol']);
      const files = new CsvTransport(tempDir('harness-probe-files-'), { rotateRecords: 200, rotateInterval: 250 });
      // About 3 s of paced production with every fault kind: dead letters and duplicates in both datasets.
      const generators = [generator('ecommerce', 7, someFaults), generator('lol', 8, someFaults)];
      const counts = { ecommerce: 3000, lol: 600 };
      const producing = Promise.all(generators.map((g) => files.produce({ generator: g, count: counts[g.dataset] })));
      const pipeline = runPipeline({
        sources: files.sources(generators),
        sink,
        batchSize: 200,
        futureToleranceMs: 3_600_000,
        pollIntervalMs: 20,
        log: () => {},
      });
      const seen: number[] = [];
      let running = true;
      void pipeline.finally(() => (running = false));
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- pipeline.finally clears it, which TypeScript does not see
      while (running) {
        seen.push((await probe.read('ecommerce')).rows);
        await sleep(100);
      }
      await producing;
      const result = await pipeline;
      expect(result.completed).toBe(true);
      // A figure that rose between reads while the pipeline wrote, short of the end.
      const final = await truth('ecommerce');
      expect(seen.some((rows, i) => i > 0 && rows > (seen[i - 1] as number) && rows < final.rows)).toBe(true);
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
      await sink.close();
      // Once the writer's sessions are gone (PostgreSQL flushes a session's statistics as it exits), the figures are the counts.
      for (const dataset of ['ecommerce', 'lol'] as const) {
        const expected = await truth(dataset);
        expect(expected.deadLetters).toBeGreaterThan(0);
        expect(await eventually(() => probe.read(dataset), expected, 2_000)).toEqual(expected);
      }
      expect((await truth('lol')).rows).toBe(result.datasets.lol?.inserted);
      expect((await truth('lol')).rows % 10).toBe(0);
    },
  );

  it.runIf(name === 'postgres')(
    "is at most 10 s behind a writer that stays connected, idle (the server flushes an idle session's statistics after 10 s)",
    { timeout: 60_000 },
    async () => {
      const { sink, probe, truth } = await open(['ecommerce']);
      const files = new CsvTransport(tempDir('harness-probe-files-'), { rotateRecords: 500, rotateInterval: 250 });
      const gen = generator('ecommerce', 9, { duplicate: 0, malformed: 0, future: 0, late: 0 });
      await files.produce({ generator: gen, count: 1000, paced: false });
      // Two quick batches: the second commits within a second of the first flush, so its counts wait.
      await runPipeline({ sources: files.sources([gen]), sink, batchSize: 500, futureToleranceMs: 3_600_000, pollIntervalMs: 20, log: () => {} });
      const committedAt = Date.now();
      const expected = await truth('ecommerce');
      expect(expected.rows).toBe(1000);
      await eventually(() => probe.read('ecommerce'), expected, 12_000);
      expect(Date.now() - committedAt).toBeLessThanOrEqual(11_000);
    },
  );

  it('says which table is missing when it reads before the tables exist', async () => {
    spec = freshSinkSpec();
    const { location, env } = place();
    const probe = await sql.openProbe(location, spec, env);
    opened.push(probe);
    const error = await probe.read('ecommerce').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HarnessError);
    expect((error as HarnessError).message).toContain(`${qualified(spec.schema, spec.tables.ecommerce)} does not exist`);
  });
});

describe('the SQL sink progress probe on PGlite', () => {
  it('refuses a database that keeps no statistics (track_counts off), saying how to fix it', async () => {
    const spec = freshSinkSpec();
    const location: SqlLocation = { kind: 'pglite', dataDir: join(tempDir('harness-probe-'), 'db') };
    const sink = await sql.openWriter(location, spec, {}, setup(['ecommerce']));
    try {
      await sink.connect();
      // The writer's session is the probe's: PGlite is one session per database, shared in a process.
      const session = await openSql(location, {});
      await session.exec('SET track_counts = off');
      const error = await sql.openProbe(location, spec, {}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HarnessError);
      expect((error as HarnessError).message).toMatch(/track_counts off.*set track_counts = on/);
      await session.close();
    } finally {
      await sink.close();
    }
  });
});

describe('following a sink (followSink) and feeding a run monitor (feedMonitor), on PGlite', () => {
  const location = (): SqlLocation => ({ kind: 'pglite', dataDir: join(tempDir('harness-probe-'), 'db') });
  const letter = (position: number) => ({
    source: 'lol_matches:0',
    position,
    recordIndex: position,
    reason: 'json_parse' as const,
    detail: 'truncated',
    raw: Buffer.from('{'),
  });
  const matchRows = (id: string) => Array.from({ length: 10 }, (_, i) => participant(id, i + 1));
  const lolBatch = (ids: string[], deadLetters: ReturnType<typeof letter>[]) => {
    const rows = ids.flatMap(matchRows);
    return { dataset: 'lol' as const, rows, producedAtMs: rows.map(() => Date.now()), deadLetters, checkpoint: null };
  };

  it('reads every dataset each round until aborted, and the monitor gets the records handled since the last read (10 rows a LoL match, plus dead letters)', async () => {
    const spec = freshSinkSpec();
    const where = location();
    const sink = await sql.openWriter(where, spec, {}, setup(['lol', 'ecommerce']));
    await sink.connect();
    const probe = await sql.openProbe(where, spec, {});
    try {
      await sink.writeBatch(lolBatch(['M1', 'M2'], [letter(1)]));
      const calls: [DatasetName, number][] = [];
      const stop = new AbortController();
      const following = followSink(probe, ['lol', 'ecommerce'], feedMonitor({ ingested: (dataset, records) => calls.push([dataset, records]) }), stop.signal, {
        everyMs: 20,
      });
      const until = async (n: number) => {
        while (calls.length < n) await sleep(10);
      };
      await until(2);
      await sleep(100); // rounds that find nothing new tell the monitor nothing
      expect(calls).toEqual([
        ['lol', 3],
        ['ecommerce', 0],
      ]);
      await sink.writeBatch(lolBatch(['M3'], []));
      await until(3);
      expect(calls[2]).toEqual(['lol', 1]);
      stop.abort();
      await following;
      const settled = calls.length;
      await sleep(60);
      expect(calls.length).toBe(settled);
    } finally {
      await probe.close();
      await sink.close();
    }
  });

  it("goes on past a failed read when told of failures, and without onError ends with the read's error", async () => {
    const probe = await sql.openProbe(location(), freshSinkSpec(), {});
    try {
      const errors: unknown[] = [];
      const stop = new AbortController();
      const following = followSink(probe, ['ecommerce'], () => {}, stop.signal, { everyMs: 10, onError: (error) => errors.push(error) });
      while (errors.length < 3) await sleep(10);
      stop.abort();
      await following;
      expect(errors[0]).toBeInstanceOf(HarnessError);
      const ended = await followSink(probe, ['ecommerce'], () => {}, new AbortController().signal).catch((e: unknown) => e);
      expect((ended as Error).message).toMatch(/does not exist/);
    } finally {
      await probe.close();
    }
  });
});

describe('followExternalPipeline: the ingestion figures of a pipeline harness does not run', () => {
  it('a sink that cannot be probed costs the run its figures, said once; reads that keep failing are said once', { timeout: 30_000 }, async () => {
    const lines: string[] = [];
    const monitor = { ingested: () => {} };
    const unreachable = () => sql.openProbe({ kind: 'postgres', url: 'postgres://elsewhere/db' }, freshSinkSpec(), {});
    await followExternalPipeline(unreachable, ['ecommerce'], monitor, new AbortController().signal, (line) => lines.push(line));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^no ingestion figures for the pipeline under test: its sink cannot be probed \(.*set PG_URL/);

    lines.length = 0;
    const stop = new AbortController();
    const tablesMissing = () => sql.openProbe({ kind: 'pglite', dataDir: join(tempDir('harness-probe-'), 'db') }, freshSinkSpec(), {});
    const following = followExternalPipeline(tablesMissing, ['ecommerce'], monitor, stop.signal, (line) => lines.push(line));
    await sleep(5_000); // several reads, a second apart, every one failing
    stop.abort();
    await following;
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^reading the sink's progress failed \(.*does not exist.*\); the ingestion figures wait for a read that succeeds$/);
  });
});

/** Reads until the figure is `expected` or `withinMs` has passed; the last figure read. */
async function eventually(read: () => Promise<{ rows: number; deadLetters: number }>, expected: { rows: number; deadLetters: number }, withinMs: number) {
  const until = Date.now() + withinMs;
  for (;;) {
    const { rows, deadLetters } = await read();
    if ((rows === expected.rows && deadLetters === expected.deadLetters) || Date.now() > until) return { rows, deadLetters };
    await sleep(100);
  }
}
