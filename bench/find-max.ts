import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPglite } from '../connectors/sinks/sql/pglite.ts';
import { CsvTransport } from '../connectors/transports/csv/index.ts';
import { createGenerator } from '../generators/index.ts';
import { seedWord } from '../generators/random.ts';
import { probeLine } from '../reports/writers/find-max.ts';
import { findMax, type FindMaxResult } from '../runner/find-max/find-max.ts';
import { generatorConfig } from '../scenarios/datasets.ts';
import { parseScenario } from '../scenarios/load.ts';
import { drain, drainRate } from './pipeline.ts';
import { pair, printTable, type Pair } from './table.ts';

/** The scenario find-max searches: e-commerce with every fault kind into the embedded PGlite. */
const scenarioText = `name: find-max-bench
seed: 21
transport: { type: csv, rotateRecords: 20000, rotateInterval: 250ms }
pipeline: { type: reference, batchSize: 5000, pollInterval: 20ms }
datasets:
  ecommerce:
    count: 1
    faults: { duplicate: 0.02, malformed: 0.02, future: 0.005, late: 0.01 }
`;

/**
 * `npm run bench find-max`: the reference pipeline's drain rate (harness pipeline's engine over a
 * finished generation of the same data into PGlite, as fast as it goes) beside three find-max
 * searches of the same scenario with the default budget, in one run, each search beside the faster
 * of the drains measured just before and just after it. find-max is held to at least 0.85x that
 * drain rate and never above it (it also produces the data as it goes, on the same cores), and to a
 * spread within ±10% over the three.
 */
export async function benchFindMax(runs = Number(process.env.BENCH_FIND_MAX_RUNS ?? 3)): Promise<Pair[]> {
  const root = mkdtempSync(join(tmpdir(), 'harness-bench-find-max-'));
  const path = join(root, 'scenario.yaml');
  writeFileSync(path, scenarioText);
  const scenario = parseScenario(scenarioText, path);
  const spec = scenario.datasets.ecommerce!;
  const count = Number(process.env.BENCH_COUNT ?? 600_000);
  const files = new CsvTransport(join(root, 'data'), { rotateRecords: 20_000, rotateInterval: 250 });
  const generator = createGenerator('ecommerce', generatorConfig(seedWord(scenario.seed), Date.now(), spec));
  await files.produce({ generator, count, paced: false });
  // The steady drain: from the first batch's commit to the last, so that opening the database and
  // the first poll, which a find-max step's steady seconds leave out too, do not count against it.
  // Measured again around each search, into a new database: this machine's capacity for the same
  // pipeline moves by ±15% from minute to minute, and a search is judged against its neighbours.
  const drainOnce = async (i: number): Promise<number> => {
    const commits: { atMs: number; records: number }[] = [];
    const result = await drain(
      files.sources([generator]),
      () => openPglite(join(root, `drain-db-${i}`)),
      'harness_bench_drain',
      () => {},
      (_, batch) => commits.push({ atMs: batch.committedAtMs, records: batch.records.length }),
    );
    const first = commits[0] ?? { atMs: result.startedAtMs, records: 0 };
    return drainRate(count - first.records, result, first.atMs);
  };

  // A drain before the first search and one after each: search i lies between drains i and i + 1,
  // and is judged against the faster of the two, the pipeline's best rate around it.
  const around: number[] = [await drainOnce(0)];
  // As `harness find-max` does by default: generation on worker threads, off the pipeline's.
  const workers = Number(process.env.BENCH_FIND_MAX_WORKERS ?? 2);
  const results: FindMaxResult[] = [];
  for (let i = 0; i < runs; i++) {
    results.push(
      await findMax({
        scenarioPath: path,
        home: join(root, `home-${i}`),
        env: { ...process.env, PG_URL: '', DATABASE_URL: '' },
        fromPerSec: 2000,
        toPerSec: 1_000_000,
        budgetMs: 180_000,
        stepMs: 10_000,
        workers,
        log: () => {},
        onStep: (s) =>
          console.error(
            `  run ${i + 1}: ${s.targetPerSec} rec/s ${s.pass ? 'pass' : 'FAIL'}${s.confirming ? ' (confirming)' : ''}, achieved ${Math.round(s.achievedPerSec)}, ${Math.round(s.wallMs / 1000)} s${s.pass ? '' : ` (${s.reasons.join('; ')})`}`,
          ),
      }),
    );
    console.error(`  run ${i + 1}: ${probeLine(results[i] as FindMaxResult)}`);
    around.push(await drainOnce(i + 1));
  }
  const drains = results.map((_, i) => Math.max(around[i] as number, around[i + 1] as number));
  const answers = results.map((r) => r.answerPerSec ?? 0);
  const ratios = answers.map((a, i) => a / (drains[i] as number));
  const spreadOf = (xs: number[]) => {
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    return { mean, spread: Math.max(...xs.map((x) => Math.abs(x - mean) / mean)) };
  };
  const rates = spreadOf(answers);
  const relative = spreadOf(ratios);
  printTable(
    `find-max (default budget 3m, steps of 10 s, --workers ${workers}) beside the faster drain of ${count.toLocaleString('en-US')} records measured just before and just after it (same run, PGlite)`,
    ['run', 'find-max rec/s', 'steps', 'took s', 'ended', 'drains before, after rec/s', 'ratio'],
    results.map((r, i) => [
      i + 1,
      Math.round(answers[i] as number),
      r.steps.length,
      Math.round(r.elapsedMs / 1000),
      r.ended,
      `${Math.round(around[i] as number)}, ${Math.round(around[i + 1] as number)}`,
      (ratios[i] as number).toFixed(2),
    ]),
  );
  console.log(
    `spread over ${runs} runs: find-max ±${(rates.spread * 100).toFixed(1)}% of its mean ${Math.round(rates.mean)} rec/s; drain ±${(spreadOf(drains).spread * 100).toFixed(1)}%; the ratio ±${(relative.spread * 100).toFixed(1)}% of its mean ${relative.mean.toFixed(2)}`,
  );
  const slowest = Math.max(...results.map((r) => r.elapsedMs / 1000));
  const lowest = ratios.indexOf(Math.min(...ratios));
  const highest = ratios.indexOf(Math.max(...ratios));
  return [
    pair('find-max, lowest ratio of the runs', [answers[lowest] as number, 'rec/s'], [drains[lowest] as number, 'rec/s drained'], { at: 'least', bound: 0.85 }),
    pair('find-max, highest ratio of the runs', [answers[highest] as number, 'rec/s'], [drains[highest] as number, 'rec/s drained'], { at: 'most', bound: 1 }),
    pair('find-max, slowest search', [slowest, 's'], [180, 's default budget'], { at: 'most', bound: 1 }),
  ];
}
