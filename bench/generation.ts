import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Faker, en } from '@faker-js/faker';
import { stringify } from 'csv-stringify/sync';
import { CsvTransport } from '../connectors/transports/csv/index.ts';
import { csvRow } from '../generators/csv-row.ts';
import type { DatasetName, GeneratorConfig } from '../generators/generator.ts';
import { createGenerator } from '../generators/index.ts';
import { seedWord } from '../generators/random.ts';
import { pair, printTable, type Pair } from './table.ts';

const faults = { duplicate: 0.02, malformed: 0.02, future: 0.01, late: 0.02 };

function config(): GeneratorConfig {
  return { seed: seedWord(1), baseTimeMs: Date.UTC(2026, 0, 1), rate: 0, faults, options: {} };
}

async function harnessRate(dataset: DatasetName, count: number, workers: number): Promise<number> {
  const files = new CsvTransport(mkdtempSync(join(tmpdir(), 'harness-bench-')), { rotateRecords: 100_000, rotateInterval: 1000 });
  const result = await files.produce({ generator: createGenerator(dataset, config()), count, workers, paced: false });
  return count / ((result.finishedAtMs - result.startedAtMs) / 1000);
}

/** What a generator looks like without pools and counters: faker per record, md5 ids, csv-stringify. */
async function naiveRate(count: number): Promise<number> {
  const faker = new Faker({ locale: [en] });
  faker.seed(1);
  const out = createWriteStream(join(mkdtempSync(join(tmpdir(), 'harness-bench-')), 'naive.csv'));
  const started = performance.now();
  let rows: string[][] = [];
  for (let i = 0; i < count; i++) {
    const user = `USER_${String(faker.number.int({ min: 1, max: 1000 })).padStart(6, '0')}`;
    const product = `PROD_${String(faker.number.int({ min: 1, max: 64 })).padStart(6, '0')}`;
    const timestamp = new Date(Date.UTC(2026, 0, 1) + i).toISOString();
    const purchase = faker.datatype.boolean(0.3);
    const hex = createHash('md5').update(`${user}_${product}_${timestamp}`).digest('hex');
    const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    rows.push([
      id,
      user,
      product,
      faker.commerce.productName(),
      faker.commerce.department(),
      purchase ? 'purchase' : 'view',
      purchase ? faker.commerce.price() : '',
      timestamp,
    ]);
    if (rows.length === 10_000) {
      out.write(stringify(rows));
      rows = [];
    }
  }
  out.end(stringify(rows));
  await new Promise<void>((resolve) => out.on('finish', () => resolve()));
  return count / ((performance.now() - started) / 1000);
}

function encoderRates(count: number): [number, number] {
  const generator = createGenerator('ecommerce', config()) as unknown as { event(i: number): Record<string, string> };
  const rows = Array.from({ length: 10_000 }, (_, i) => Object.values(generator.event(i)));
  let started = performance.now();
  for (let i = 0; i < count; i += rows.length) stringify(rows);
  const library = count / ((performance.now() - started) / 1000);
  started = performance.now();
  for (let i = 0; i < count; i += rows.length) for (const row of rows) csvRow(row);
  return [library, count / ((performance.now() - started) / 1000)];
}

/** Peak RSS of generating `count` records in a fresh process: flat memory means it barely grows with count. */
function childRss(count: number, workers: number): { rate: number; rssMiB: number } {
  const script = `
    const { CsvTransport } = await import(${JSON.stringify(new URL('../connectors/transports/csv/index.js', import.meta.url).href)});
    const { createGenerator } = await import(${JSON.stringify(new URL('../generators/index.js', import.meta.url).href)});
    const { seedWord } = await import(${JSON.stringify(new URL('../generators/random.js', import.meta.url).href)});
    const config = { seed: seedWord(1), baseTimeMs: Date.UTC(2026, 0, 1), rate: 0, faults: ${JSON.stringify(faults)}, options: {} };
    const files = new CsvTransport(${JSON.stringify(mkdtempSync(join(tmpdir(), 'harness-bench-')))}, { rotateRecords: 100000, rotateInterval: 1000 });
    const r = await files.produce({ generator: createGenerator('ecommerce', config), count: ${count}, workers: ${workers}, paced: false });
    console.log(JSON.stringify({ rate: r.records / ((r.finishedAtMs - r.startedAtMs) / 1000), rssMiB: process.resourceUsage().maxRSS / 1024 }));`;
  const file = join(mkdtempSync(join(tmpdir(), 'harness-bench-')), 'child.mjs');
  writeFileSync(file, script);
  const child = spawnSync(process.execPath, [file], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(child.stderr);
  return JSON.parse(child.stdout) as { rate: number; rssMiB: number };
}

export async function benchGeneration(): Promise<Pair[]> {
  const cores = availableParallelism();
  const all = await harnessRate('ecommerce', 3_000_000, cores);
  const one = await harnessRate('ecommerce', 1_000_000, 1);
  const naive = await naiveRate(100_000);
  printTable(
    'e-commerce generation to CSV files, deterministic ids and faults included',
    ['generator', 'events/s', 'x naive'],
    [
      [`harness, ${cores} workers (all cores)`, Math.round(all), (all / naive).toFixed(1)],
      ['harness, 1 worker', Math.round(one), (one / naive).toFixed(1)],
      ['naive: faker per record + md5 id + csv-stringify', Math.round(naive), '1.0'],
    ],
  );
  const [library, ours] = encoderRates(2_000_000);
  printTable(
    'CSV encoding of the same rows',
    ['encoder', 'rows/s', 'x csv-stringify'],
    [
      ['csv-stringify (10k rows a call)', Math.round(library), '1.0'],
      ['generators/csv-row.ts', Math.round(ours), (ours / library).toFixed(1)],
    ],
  );
  const lolOne = await harnessRate('lol', 50_000, 1);
  const lolAll = await harnessRate('lol', 100_000, cores);
  printTable(
    'LoL match generation (match-v5 JSON, ~4 KB each)',
    ['generator', 'matches/s'],
    [
      ['harness, 1 worker', Math.round(lolOne)],
      [`harness, ${cores} workers`, Math.round(lolAll)],
    ],
  );
  const small = childRss(1_000_000, cores);
  const large = childRss(5_000_000, cores);
  const bound = 768;
  printTable(
    `memory: e-commerce generation in a fresh process (bound ${bound} MiB)`,
    ['records', 'events/s', 'peak RSS MiB', 'within bound'],
    [
      ['1,000,000', Math.round(small.rate), Math.round(small.rssMiB), small.rssMiB <= bound ? 'yes' : 'NO'],
      ['5,000,000', Math.round(large.rate), Math.round(large.rssMiB), large.rssMiB <= bound ? 'yes' : 'NO'],
    ],
  );
  return [
    pair('e-commerce generation, 1 worker', [one, 'events/s'], [naive, 'events/s naive'], null),
    pair('generation peak RSS, 5M records vs 1M', [large.rssMiB, 'MiB'], [small.rssMiB, 'MiB'], { at: 'most', bound: 1.25 }),
  ];
}
