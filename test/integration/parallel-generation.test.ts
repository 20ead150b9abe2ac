import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { wholeDataset } from '../../connectors/transports/chunks.ts';
import { csv, CsvTransport } from '../../connectors/transports/csv/index.ts';
import type { CsvWriterOptions } from '../../connectors/transports/csv/writer.ts';
import { produceChunks } from '../../connectors/transports/engine.ts';
import type { ChunkWriterFactory } from '../../connectors/transports/transport.ts';
import { isFinished } from '../../connectors/transports/csv/line-reader.ts';
import type { DatasetName } from '../../generators/generator.ts';
import { createGenerator } from '../../generators/index.ts';
import { loadProfileSpec, profileCount } from '../../generators/load/index.ts';
import { seedWord } from '../../generators/random.ts';
import { BASE_TIME, generator, someFaults } from '../helpers/generated.ts';
import { tempDir } from '../helpers/scenario.ts';

/** Every data line of every file under `dirs`, headers dropped, sorted: the content, whatever the layout. */
function sortedLines(dirs: string[], headerLines: number): Buffer {
  const lines: Buffer[] = [];
  for (const dir of dirs) {
    for (const name of readdirSync(dir).filter((n) => !n.startsWith('_') && !n.startsWith('.'))) {
      const data = readFileSync(join(dir, name));
      let start = 0;
      let line = 0;
      for (let end = data.indexOf(0x0a); end !== -1; end = data.indexOf(0x0a, start)) {
        if (line++ >= headerLines) lines.push(data.subarray(start, end));
        start = end + 1;
      }
    }
  }
  lines.sort((a, b) => Buffer.compare(a, b));
  return Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')]));
}

describe.each([
  ['ecommerce', 12_000, 1],
  ['lol', 600, 0],
] as [DatasetName, number, number][])('%s generation in parallel', (dataset, count, headerLines) => {
  /** Writes the dataset's files under `root`/`dir`; they land in `root`/`dir`/<dataset>. */
  const produce = (root: string, dir: string, workers: number, shard?: { index: number; count: number }) =>
    new CsvTransport(join(root, dir), { rotateRecords: Math.ceil(count / 7), rotateInterval: 1000 }).produce({
      generator: generator(dataset, 77, someFaults),
      count,
      workers,
      paced: false,
      ...(shard ? { shard } : {}),
    });
  const dataDir = (root: string, dir: string) => join(root, dir, dataset);

  it('gives the same bytes with 1 worker, 2 workers, and 3 shards put together', async () => {
    const root = tempDir();
    const one = await produce(root, 'one', 1);
    const two = await produce(root, 'two', 2);
    const shards = await Promise.all([1, 2, 3].map((k) => produce(root, `shard${k}`, 1, { index: k, count: 3 })));

    expect(one.records).toBe(count);
    expect(two.records).toBe(count);
    expect(shards.reduce((n, s) => n + s.records, 0)).toBe(count);
    // Shards split the files, file f going to shard f mod 3, and do not repeat them.
    const files = one.files.length;
    expect(shards.map((s) => s.files.length)).toEqual([0, 1, 2].map((k) => Math.ceil((files - k) / 3)));
    expect(shards[1]!.files.map((f) => f.name)).toEqual(one.files.filter((_, f) => f % 3 === 1).map((f) => f.name));

    const reference = sortedLines([dataDir(root, 'one')], headerLines);
    expect(sortedLines([dataDir(root, 'two')], headerLines)).toEqual(reference);
    expect(
      sortedLines(
        [1, 2, 3].map((k) => dataDir(root, `shard${k}`)),
        headerLines,
      ),
    ).toEqual(reference);
    // Same file names and contents too, not only the same lines.
    expect(readFileSync(join(dataDir(root, 'two'), one.files[4]!.name))).toEqual(readFileSync(join(dataDir(root, 'one'), one.files[4]!.name)));
    expect(one.files.map((f) => f.firstIndex)).toEqual(two.files.map((f) => f.firstIndex));
  });

  it('marks a directory finished only when every shard writing into it is done', async () => {
    const root = tempDir();
    await produce(root, 'out', 1, { index: 1, count: 2 });
    expect(isFinished(dataDir(root, 'out'))).toBe(false);
    await produce(root, 'out', 1, { index: 2, count: 2 });
    expect(isFinished(dataDir(root, 'out'))).toBe(true);
  });
});

describe('generation under a ramping load profile', () => {
  // 2,000 records over 8 s, from 50/s to 450/s: files follow the ramp (few records at its low end).
  const load = loadProfileSpec.parse({ executor: 'ramping-arrival-rate', startRate: 50, stages: [{ target: 450, duration: '8s' }] });
  const rampGenerator = () => createGenerator('ecommerce', { seed: seedWord(5), baseTimeMs: BASE_TIME, rate: 0, load, faults: someFaults, options: {} });
  const count = profileCount(load);
  const produce = (dir: string, workers: number, extra: { shard?: { index: number; count: number }; resume?: { startedAtMs: number } } = {}) =>
    new CsvTransport(dir, { rotateRecords: 10_000, rotateInterval: 500 }).produce({ generator: rampGenerator(), count, workers, paced: false, ...extra });

  it('gives the same files whole, on 2 workers, in 3 shards, and resumed after losing files', async () => {
    const root = tempDir();
    const one = await produce(join(root, 'one'), 1);
    expect(one.records).toBe(2000);
    // 500 ms of schedule a file: about 25 records at the start, about 225 at the end.
    expect(one.files[0]!.count).toBeLessThan(40);
    expect(one.files.at(-1)!.count).toBeGreaterThan(200);
    await produce(join(root, 'two'), 2);
    await Promise.all([1, 2, 3].map((k) => produce(join(root, `shard${k}`), 1, { shard: { index: k, count: 3 } })));
    const reference = sortedLines([join(root, 'one/ecommerce')], 1);
    expect(sortedLines([join(root, 'two/ecommerce')], 1)).toEqual(reference);
    expect(
      sortedLines(
        [1, 2, 3].map((k) => join(root, `shard${k}/ecommerce`)),
        1,
      ),
    ).toEqual(reference);

    // A run that lost three files (killed before they were committed) is finished by resume.
    for (const file of [one.files[0]!, one.files[5]!, one.files.at(-1)!]) rmSync(join(root, 'one/ecommerce', file.name));
    const resumed = await produce(join(root, 'one'), 1, { resume: { startedAtMs: Date.now() } });
    expect(resumed.records).toBe(2000);
    expect(resumed.files.map((f) => f.name)).toEqual(one.files.map((f) => f.name));
    expect(sortedLines([join(root, 'one/ecommerce')], 1)).toEqual(reference);
  });
});

describe('records encoded ahead of time zero (find-max steps)', () => {
  const count = 5000;
  /** The real CSV writer, with the order of chunk preparations and time zero noted. */
  const noting = (events: string[]): ChunkWriterFactory<CsvWriterOptions> => ({
    type: 'csv',
    async openWriter(options, context) {
      const writer = await csv.openWriter(options, context);
      return {
        prepare: (chunk) => {
          events.push(`prepare ${chunk.number}`);
          return writer.prepare(chunk);
        },
        close: () => writer.close(),
      };
    },
  });
  const produce = (dir: string, encodeAhead?: number) => {
    const events: string[] = [];
    const gen = generator('ecommerce', 5);
    const done = produceChunks<CsvWriterOptions>({
      transport: noting(events),
      writerOptions: { dir },
      generator: gen,
      plan: { count, size: 1000 },
      shard: wholeDataset,
      workers: 1,
      paced: false,
      inFlight: 1,
      log: () => {},
      onStarted: () => events.push('time zero'),
      ...(encodeAhead === undefined ? {} : { encodeAhead }),
    });
    return done.then((result) => ({ result, events }));
  };

  it('prepares up to that many records before time zero, then the rest as before, into the same bytes', async () => {
    const root = tempDir();
    const plain = await produce(join(root, 'plain'));
    expect(plain.events).toEqual(['time zero', 'prepare 0', 'prepare 1', 'prepare 2', 'prepare 3', 'prepare 4']);
    // 2,500 records: the first two chunks of 1,000 whole, not a part of the third.
    const ahead = await produce(join(root, 'ahead'), 2500);
    expect(ahead.events).toEqual(['prepare 0', 'prepare 1', 'time zero', 'prepare 2', 'prepare 3', 'prepare 4']);
    expect(ahead.result.records).toBe(count);
    expect(sortedLines([join(root, 'ahead')], 1)).toEqual(sortedLines([join(root, 'plain')], 1));
    expect(readdirSync(join(root, 'ahead'))).toEqual(readdirSync(join(root, 'plain')));
  });
});
