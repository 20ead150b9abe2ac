import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Report } from '../verifier/report.ts';
import { pair, printTable, type Pair } from './table.ts';

/**
 * `npm run bench spark`: the Spark example's jobs (examples/spark, docs/spark.md) beside the
 * reference pipeline on the same data, both as `harness verify` measures them: ingest rate (rows
 * per second between the first and the last ingested_at) and latency (ingested_at - produced_at,
 * p50 and p99). Three runs of each pipeline, all into the PostgreSQL server:
 *
 * - e-commerce CSV paced at BENCH_SPARK_RATE records/s (default 2,000) for BENCH_SPARK_SECONDS
 *   (default 30): the latency of a pipeline that keeps up. Each Spark job is started first, its
 *   stream already polling the run's directory, so Spark's start is not in the figures;
 * - the same data as fast as possible (BENCH_COUNT records, default 200,000): the ingest rate;
 * - LoL matches through Kafka as fast as possible (a tenth of BENCH_COUNT): seed 002's job, started
 *   before the run (`--next-run`) like the others.
 */

interface Figures {
  verdict: string;
  ingestedPerSec: number;
  p50: number;
  p99: number;
}

const root = (() => {
  let dir = import.meta.dirname;
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
})();
/** The built CLI (npm run bench builds it), also when the bench runs from its sources. */
const harnessBin = join(root, 'dist/cli/bin.js');
const sparkRun = join(root, 'examples/spark/run.sh');

function spawnLogged(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): { exited: Promise<number | null>; output: () => string; child: ReturnType<typeof spawn> } {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => chunks.push(c));
  child.stderr.on('data', (c: Buffer) => chunks.push(c));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { exited, output: () => Buffer.concat(chunks).toString('utf8'), child };
}

function figuresOf(runDir: string): Figures {
  const report = JSON.parse(readFileSync(join(runDir, 'report.json'), 'utf8')) as Report;
  const figure = (check: string, name: string) => report.checks.find((c) => c.name === check)?.figures[name] ?? Number.NaN;
  return {
    verdict: report.verdict,
    ingestedPerSec: figure('throughput', 'ingestedPerSec'),
    p50: figure('latency', 'p50_ms'),
    p99: figure('latency', 'p99_ms'),
  };
}

function latestRun(home: string): string | null {
  const runs = join(home, 'runs');
  if (!existsSync(runs)) return null;
  const last = readdirSync(runs).sort().at(-1);
  return last && existsSync(join(runs, last, 'manifest.json')) ? join(runs, last) : null;
}

interface Case {
  name: string;
  dataset: 'ecommerce' | 'lol';
  transport: (dir: string) => string;
  count: number;
  rate: number;
  /** The Spark job's arguments over the run: its data directory, or the harness home its run will be in (Kafka). */
  sparkArgs: (dataDir: string, home: string) => string[];
}

function scenario(c: Case, dir: string, schema: string, pipeline: string): string {
  return [
    `name: bench-spark-${c.dataset}`,
    'seed: 19',
    `transport: ${c.transport(dir)}`,
    `pipeline: ${pipeline}`,
    `sink: { schema: ${schema} }`,
    'datasets:',
    `  ${c.dataset}:`,
    `    count: ${c.count}`,
    `    rate: ${c.rate}`,
    '    faults: { duplicate: 0.02, malformed: 0.02, future: 0.01, late: 0.01 }',
    '',
  ].join('\n');
}

async function runSpark(c: Case, env: NodeJS.ProcessEnv): Promise<Figures> {
  const work = mkdtempSync(join(tmpdir(), 'harness-bench-spark-'));
  const home = join(work, 'home');
  const file = join(work, 'scenario.yaml');
  writeFileSync(file, scenario(c, join(work, 'data'), 'harness_bench_spark', '{ type: external, waitFor: 5m }'));
  const runEnv = { ...process.env, ...env };
  // The job starts first, its stream running over the (empty) directory or waiting for the run, so
  // that Spark's start is not in the figures.
  mkdirSync(join(work, 'data', c.dataset), { recursive: true });
  const spark = spawnLogged(
    'bash',
    [sparkRun, ...c.sparkArgs(join(work, 'data', c.dataset), home), '--schema', 'harness_bench_spark', '--checkpoint', join(work, 'checkpoint')],
    runEnv,
  );
  while (!/^(waiting for the next run|started) /m.test(spark.output())) {
    if (spark.child.exitCode !== null) throw new Error(`the Spark job exited at start:\n${spark.output()}`);
    await sleep(200);
  }
  const run = spawnLogged(process.execPath, [harnessBin, '--home', home, 'run', file, '--quiet'], runEnv);
  const code = await run.exited;
  // A run that failed never finishes: the job would wait for it.
  if (code !== 0 && code !== 1) spark.child.kill('SIGTERM');
  const sparkCode = await spark.exited;
  const runDir = latestRun(home);
  if (!runDir || !existsSync(join(runDir, 'report.json'))) throw new Error(`harness run exited ${code} without a report:\n${run.output()}\n${spark.output()}`);
  if (sparkCode !== 0) console.log(`spark exited ${sparkCode}:\n${spark.output().split('\n').slice(-20).join('\n')}`);
  return figuresOf(runDir);
}

async function runReference(c: Case, env: NodeJS.ProcessEnv): Promise<Figures> {
  const work = mkdtempSync(join(tmpdir(), 'harness-bench-spark-'));
  const home = join(work, 'home');
  const file = join(work, 'scenario.yaml');
  writeFileSync(file, scenario(c, join(work, 'data'), 'harness_bench_reference', '{ type: reference }'));
  const run = spawnLogged(process.execPath, [harnessBin, '--home', home, 'run', file, '--quiet'], { ...process.env, ...env });
  const code = await run.exited;
  const runDir = latestRun(home);
  if (!runDir || !existsSync(join(runDir, 'report.json'))) throw new Error(`harness run exited ${code} without a report:\n${run.output()}`);
  return figuresOf(runDir);
}

export async function benchSpark(options: { pgUrl: string; brokers: string[] | null; count: number; rate: number; seconds: number }): Promise<Pair[]> {
  const env = { PG_URL: options.pgUrl, ...(options.brokers ? { KAFKA_BROKERS: options.brokers.join(',') } : {}) };
  const csv = (dir: string) => `{ type: csv, dir: ${dir}, rotateRecords: 1000, rotateInterval: 500ms }`;
  const ecommerce = (dataDir: string) => ['ecommerce', '--data', dataDir, '--max-files-per-trigger', '20'];
  const cases: Case[] = [
    {
      name: `e-commerce CSV, paced ${options.rate}/s`,
      dataset: 'ecommerce',
      transport: csv,
      count: options.rate * options.seconds,
      rate: options.rate,
      sparkArgs: ecommerce,
    },
    { name: `e-commerce CSV, ${options.count} as fast as possible`, dataset: 'ecommerce', transport: csv, count: options.count, rate: 0, sparkArgs: ecommerce },
    ...(options.brokers
      ? [
          {
            name: `LoL via Kafka, ${Math.round(options.count / 10)} matches as fast as possible`,
            dataset: 'lol' as const,
            transport: () => `{ type: kafka, topics: { lol: { name: bench_spark_${Date.now().toString(36)}, partitions: 3 } }, batchSize: 100, headers: true }`,
            count: Math.round(options.count / 10),
            rate: 0,
            sparkArgs: (_: string, home: string) => ['lol', '--next-run', home, '--max-offsets-per-trigger', '5000'],
          },
        ]
      : []),
  ];
  const rows: (string | number)[][] = [];
  const pairs: Pair[] = [];
  for (const c of cases) {
    const spark = await runSpark(c, env);
    const reference = await runReference(c, env);
    rows.push([c.name, 'spark', spark.verdict, Math.round(spark.ingestedPerSec), spark.p50, spark.p99]);
    rows.push([c.name, 'reference', reference.verdict, Math.round(reference.ingestedPerSec), reference.p50, reference.p99]);
    pairs.push(
      pair(
        `spark ingest rate, ${c.name}`,
        [spark.ingestedPerSec, `rows/s (${spark.verdict})`],
        [reference.ingestedPerSec, `rows/s reference (${reference.verdict})`],
        null,
      ),
    );
    pairs.push(pair(`spark latency p99, ${c.name}`, [spark.p99, 'ms'], [reference.p99, 'ms reference'], null));
  }
  printTable(
    'spark: the Spark example beside the reference pipeline, same data, as harness verify measures them',
    ['data', 'pipeline', 'verdict', 'ingested rows/s', 'p50 ms', 'p99 ms'],
    rows,
  );
  return pairs;
}
