import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { latestRunDir, loadManifest } from '../runs/manifest.ts';
import type { BenchBroker } from './kafka.ts';
import { pair, printTable, type Pair } from './table.ts';

/** What one measured drain is: e-commerce events in a topic of 6 partitions (3 per process with 2), drained by the default reference pipeline. */
const PARTITIONS = 6;

function scenario(topic: string, schema: string, count: number): string {
  return [
    'name: bench-scale-out',
    'seed: 5',
    'baseTime: 2026-01-01T00:00:00Z',
    `transport: { type: kafka, topics: { ecommerce: { name: ${topic}, partitions: ${PARTITIONS} } }, deadLetterTopic: false }`,
    'pipeline: { type: reference }',
    `sink: { schema: ${schema} }`,
    'datasets:',
    `  ecommerce: { count: ${count}, rate: 0, faults: { duplicate: 0.02, malformed: 0.02, future: 0.01, late: 0.02 } }`,
  ].join('\n');
}

interface Drain {
  processes: number;
  /** Records over the span from the first process's pipeline start to the last one's end (the manifest's merged figures). */
  rate: number;
  /** From spawning the processes to the last exit: start-up, the group's join and rebalances included. */
  wallS: number;
  /** Share of the machine's cores busy over that time (all processes: the pipelines, PostgreSQL, the broker), when /proc/stat tells. */
  busy: number | null;
  verdict: string;
}

/** Runs the CLI (dist/cli/bin.js) to completion; throws with its output when it fails. */
function cli(bin: string, cwd: string, env: NodeJS.ProcessEnv, args: string[]): string {
  const child = spawnSync(process.execPath, [bin, ...args], { cwd, env, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  if (child.status !== 0 && !(args[0] === 'verify' && child.status === 1)) throw new Error(`harness ${args.join(' ')} exited ${child.status}: ${child.stderr}`);
  return child.stdout;
}

/** `processes` × `harness pipeline --run` started at once over one run's records, into a fresh schema on PostgreSQL, then verified. */
async function drainWith(processes: number, count: number, round: number, bin: string, env: NodeJS.ProcessEnv): Promise<Drain> {
  const cwd = mkdtempSync(join(tmpdir(), 'harness-bench-scale-'));
  const schema = `harness_bench_scale_${process.pid}_${round}_${processes}`;
  const path = join(cwd, 'scenario.yaml');
  writeFileSync(path, scenario(`bench_scale_${process.pid}_${round}_${processes}`, schema, count));
  try {
    // The tables, then the records (--shard 1/1: the whole run, its pipeline left to `harness pipeline`).
    cli(bin, cwd, env, ['sink', 'init', path, '--reset']);
    cli(bin, cwd, env, ['run', path, '--shard', '1/1', '--no-verify', '--quiet']);
    const runDir = latestRunDir(join(cwd, '.harness'));
    const started = Date.now();
    const cpuBefore = cpuTimes();
    const exits = Array.from({ length: processes }, () => {
      const child = spawn(process.execPath, [bin, 'pipeline', '--run', runDir, '--quiet'], { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += String(chunk)));
      return new Promise<void>((done, fail) =>
        child.once('exit', (code) => (code === 0 ? done() : fail(new Error(`harness pipeline exited ${code}: ${stderr}`)))),
      );
    });
    await Promise.all(exits);
    const wallS = (Date.now() - started) / 1000;
    const cpuAfter = cpuTimes();
    const busy = cpuBefore && cpuAfter ? 1 - (cpuAfter.idle - cpuBefore.idle) / (cpuAfter.total - cpuBefore.total) : null;
    const pipeline = loadManifest(runDir).pipeline;
    if (!pipeline?.completed) throw new Error(`the pipelines of ${runDir} did not record a completed drain`);
    const records = pipeline.datasets.ecommerce?.records ?? 0;
    // The verdict says the drain was right (nothing lost or doubled); it is not timed.
    const report = JSON.parse(cli(bin, cwd, env, ['verify', '--run', runDir, '--json'])) as { verdict: string };
    return { processes, rate: records / ((pipeline.finishedAtMs - pipeline.startedAtMs) / 1000), wallS, busy, verdict: report.verdict };
  } finally {
    const client = new pg.Client({ connectionString: env.PG_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => client.end());
  }
}

/** The machine's CPU time so far, idle and in all (Linux's /proc/stat, in clock ticks); null elsewhere. */
function cpuTimes(): { idle: number; total: number } | null {
  if (!existsSync('/proc/stat')) return null;
  const ticks = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
    .split(/\s+/)
    .slice(1)
    .filter((t) => t !== '')
    .map(Number);
  // user nice system idle iowait irq softirq steal: idle and iowait are the cores waiting.
  return { idle: (ticks[3] ?? 0) + (ticks[4] ?? 0), total: ticks.slice(0, 8).reduce((a, b) => a + b, 0) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/**
 * `harness pipeline` as 1 process and as 2 (one consumer group sharing the 6 partitions) draining
 * the same run's records into PostgreSQL: the ingest rate of each and their ratio. Rounds
 * alternate 1 and 2, so a machine that slows down weighs on both; the medians are compared.
 */
export async function benchScaleOut(broker: BenchBroker, url: string, count: number, rounds: number): Promise<Pair[]> {
  const bin = resolve(import.meta.dirname, '../cli/bin.js');
  const env = { ...process.env, KAFKA_BROKERS: broker.brokers.join(','), PG_URL: url };
  const drains: Drain[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const processes of [1, 2]) drains.push(await drainWith(processes, count, round, bin, env));
  }
  const of = (processes: number) => drains.filter((d) => d.processes === processes);
  printTable(
    `scale-out: harness pipeline as 1 and 2 processes of one consumer group, ${count.toLocaleString('en-US')} e-commerce records, ${PARTITIONS} partitions, into PostgreSQL; ${broker.name}; ${availableParallelism()} cores`,
    ['processes', 'rec/s (pipeline span)', 'wall s (spawn to last exit)', 'cores busy (whole machine)', 'verdicts'],
    [1, 2].map((n) => [
      n,
      of(n)
        .map((d) => Math.round(d.rate).toLocaleString('en-US'))
        .join(' / '),
      of(n)
        .map((d) => d.wallS.toFixed(1))
        .join(' / '),
      of(n)
        .map((d) => (d.busy === null ? '-' : `${Math.round(d.busy * 100)}%`))
        .join(' / '),
      of(n)
        .map((d) => d.verdict)
        .join(' '),
    ]),
  );
  const [one, two] = [median(of(1).map((d) => d.rate)), median(of(2).map((d) => d.rate))];
  return [pair(`scale-out: 2 pipeline processes / 1, ingest into PostgreSQL, ${broker.short}`, [two, 'rec/s'], [one, 'rec/s (1 process)'], null)];
}
