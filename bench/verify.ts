import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { redactUrl } from '../connectors/redact.ts';
import { ident } from '../connectors/sinks/sql/client.ts';
import { qualified } from '../connectors/sinks/sql/ddl.ts';
import { openPostgres } from '../connectors/sinks/sql/postgres.ts';
import { sqlSinkSpec } from '../connectors/sinks/sql/spec.ts';
import { createTables } from '../connectors/sinks/sql/writer.ts';
import type { CommittedFile } from '../connectors/transports/transport.ts';
import { dataFileName } from '../connectors/transports/csv/writer.ts';
import { createGenerator } from '../generators/index.ts';
import { LineBuffer, put } from '../generators/line-buffer.ts';
import { seedWord } from '../generators/random.ts';
import { MANIFEST_VERSION, newRunId, saveManifest, type RunManifest } from '../runs/manifest.ts';
import { generatorConfig } from '../scenarios/datasets.ts';
import { scenarioSchema, type DatasetSpec } from '../scenarios/schema.ts';
import type { Report } from '../verifier/report.ts';
import { pair, printTable, type Pair } from './table.ts';

/** The targets: verify within 3x a bare count of the table, and flat memory at 10M rows. */
const RATIO_TARGET = 3;
const RSS_TARGET_MIB = 400;
/** Rows a file held in the run the manifest describes (the CSV transport's default rotation). */
const FILE_ROWS = 50_000;
/** Rows generated and handed to psql at a time: small, so psql and the server are never kept waiting long. */
const PIECE_ROWS = 2_000;
const TIME = '/usr/bin/time';

export interface VerifyBenchOptions {
  url: string;
  sizes: number[];
  /** Measurements of each side per size; the medians are compared. */
  repeats: number;
  /** Keep the schema and run directory (to profile `harness verify` on them by hand). */
  keep: boolean;
}

/** HARNESS_BENCH_VERIFY_ROWS (comma-separated sizes), HARNESS_BENCH_VERIFY_REPEATS, HARNESS_BENCH_VERIFY_KEEP. */
export function verifyBenchOptions(env: NodeJS.ProcessEnv, url: string | undefined): VerifyBenchOptions {
  const sizes = (env.HARNESS_BENCH_VERIFY_ROWS ?? '1000000,10000000')
    .split(',')
    .map((s) => Number(s.trim().replaceAll('_', '')))
    .filter((n) => Number.isInteger(n) && n > 0);
  return {
    url: url ?? 'postgres://postgres@127.0.0.1:5432/test',
    sizes,
    repeats: Math.max(1, Number(env.HARNESS_BENCH_VERIFY_REPEATS ?? 3) || 3),
    keep: env.HARNESS_BENCH_VERIFY_KEEP === '1',
  };
}

/**
 * `harness verify` on a real server against the cheapest query that touches the same rows: a
 * fresh schema is filled with N clean e-commerce rows exactly as a correct pipeline leaves them
 * (the generator's own records, COPYed in through psql), a run directory describes that run, and
 * then, alternately in the same run, `SELECT count(*), count(DISTINCT event_id)` through pg,
 * `harness verify --run <dir>` in a child process (wall time and peak RSS), and the same through npx.
 */
export async function benchVerify(options: VerifyBenchOptions): Promise<Pair[]> {
  if (spawnSync('psql', ['--version']).status !== 0) {
    console.log('\nverify: skipped (psql is needed to COPY the rows in)');
    return [];
  }
  try {
    await (await openPostgres(options.url)).close();
  } catch (error) {
    console.log(`\nverify: skipped (no PostgreSQL at ${redactUrl(options.url)}: ${(error as Error).message}; set PG_URL)`);
    return [];
  }
  const rssTool = existsSync(TIME) ? 'time' : 'node';
  const rows: (string | number)[][] = [];
  const pairs: Pair[] = [];
  const peaks: [number, number][] = [];
  for (const count of options.sizes) {
    const schema = `harness_bench_verify_${process.pid}`;
    const home = mkdtempSync(join(tmpdir(), 'harness-bench-verify-'));
    try {
      const load = await fill(options.url, schema, count, home);
      const bare: number[] = [];
      const verify: number[] = [];
      const viaNpx: number[] = [];
      const rss: number[] = [];
      let failure: string | null = null;
      for (let r = 0; r < options.repeats && failure === null; r++) {
        bare.push(await bareCount(options.url, schema, count));
        const run = verifyChild(options.url, load.runDir, rssTool);
        verify.push(run.seconds);
        if (run.rssMiB !== null) rss.push(run.rssMiB);
        failure = run.failure;
        const npx = npxVerify(options.url, load.runDir);
        viaNpx.push(npx.seconds);
        failure ??= npx.failure;
      }
      const bareS = median(bare);
      const verifyS = median(verify);
      const npxS = median(viaNpx);
      rows.push([
        count,
        load.seconds.toFixed(1),
        `${bareS.toFixed(2)} (${range(bare)})`,
        `${verifyS.toFixed(2)} (${range(verify)})`,
        `${(verifyS / bareS).toFixed(2)} (${ratioRange(verify, bare)})`,
        `${npxS.toFixed(2)} (${range(viaNpx)})`,
        `${(npxS / bareS).toFixed(2)} (${ratioRange(viaNpx, bare)})`,
        `<= ${RATIO_TARGET}`,
        rss.length > 0 ? `${Math.round(Math.max(...rss))} (${range(rss, 0)})` : '-',
        `< ${RSS_TARGET_MIB}`,
        failure === null ? 'PASS' : 'FAIL',
      ]);
      const label = `${count.toLocaleString('en-US')} rows`;
      pairs.push(
        pair(`verify ${label} on PostgreSQL${failure === null ? '' : ' (FAILED)'}`, [verifyS, 's'], [bareS, 's bare count'], {
          at: 'most',
          bound: RATIO_TARGET,
        }),
        pair(`npx harness verify, ${label} on PostgreSQL`, [npxS, 's'], [bareS, 's bare count'], { at: 'most', bound: RATIO_TARGET }),
      );
      if (rss.length > 0) peaks.push([count, Math.max(...rss)]);
      if (failure !== null) console.log(`\nverify of ${count.toLocaleString('en-US')} rows did not pass, so its figures mean nothing:\n${failure}`);
      if (options.keep) console.log(`\nkept: schema ${schema}, run directory ${load.runDir}`);
    } finally {
      if (!options.keep) {
        await dropSchema(options.url, schema);
        rmSync(home, { recursive: true, force: true });
      }
    }
  }
  printTable(
    `verify on PostgreSQL (${redactUrl(options.url)}), clean e-commerce rows; median of ${options.repeats} (range), same run; peak RSS by ${rssTool === 'time' ? TIME : 'process.resourceUsage()'}`,
    ['rows', 'load s', 'bare count s', 'verify s', 'verify / bare', 'npx verify s', 'npx / bare', 'target', 'verify peak RSS MiB', 'target', 'verdict'],
    rows,
  );
  const [small, large] = [peaks[0], peaks.at(-1)];
  if (small && large && large[0] > small[0]) {
    const rows = (n: number) => `MiB at ${n.toLocaleString('en-US')} rows`;
    pairs.push(pair('verify peak RSS', [large[1], rows(large[0])], [RSS_TARGET_MIB, 'MiB bound'], { at: 'most', bound: 1 }));
    pairs.push(pair('verify peak RSS, flat in rows', [large[1], rows(large[0])], [small[1], rows(small[0])], { at: 'most', bound: 1.25 }));
  }
  return pairs;
}

interface Loaded {
  runDir: string;
  seconds: number;
}

/**
 * Creates the tables with the harness's own DDL and COPYs in the generator's records with the
 * times a pipeline stamps (produced_at when a piece was sent, ingested_at a few ms later), then
 * adds the key (cheaper after the load than during it; the table ends as the pipeline's would) and
 * vacuums, so neither side pays for setting hint bits. Writes the run's manifest.
 */
async function fill(url: string, schema: string, count: number, home: string): Promise<Loaded> {
  const runId = newRunId();
  const runDir = join(home, 'runs', runId);
  const createdAtMs = Date.now() - 2000;
  const scenario = scenarioSchema.parse({
    name: 'bench-verify',
    description: 'Clean e-commerce rows COPYed in by bench/verify.ts as a correct pipeline leaves them.',
    seed: 1,
    transport: { type: 'csv', dir: join(runDir, 'data') },
    pipeline: { type: 'reference' },
    sink: { type: 'sql', schema },
    datasets: { ecommerce: { count, rate: 0, options: { idScheme: 'hash' } } },
  });
  const seed = seedWord(scenario.seed);
  const spec = scenario.datasets.ecommerce as DatasetSpec;
  const generator = createGenerator('ecommerce', generatorConfig(seed, createdAtMs, spec));
  const sinkSpec = sqlSinkSpec.parse({ type: 'sql', schema });
  const table = qualified(schema, sinkSpec.tables.ecommerce);

  const client = await openPostgres(url);
  try {
    await createTables(client, { spec: sinkSpec, datasets: ['ecommerce'], reset: true, uniqueKeys: false, uniqueDeadLetters: true });
    const started = Date.now();
    const psql = spawn('psql', [url, '-q', '-v', 'ON_ERROR_STOP=1', '-c', `\\copy ${table} FROM pstdin WITH (FORMAT csv)`], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    psql.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = once(psql, 'close') as Promise<[number | null]>;
    const files: CommittedFile[] = [];
    for (let first = 0; first < count; first += PIECE_ROWS) {
      const end = Math.min(count, first + PIECE_ROWS);
      const producedMs = Date.now();
      const suffix = Buffer.from(`,${new Date(producedMs).toISOString()},${new Date(producedMs + 3).toISOString()}\n`);
      const lines = new LineBuffer((end - first) * 200);
      for (let i = first; i < end; i++) {
        generator.appendPayload(i, lines);
        // The row's file bytes, then the two timing columns in place of its newline.
        const at = lines.reserve(suffix.length) - 1;
        lines.commit(put(lines.raw, at, suffix));
      }
      if (first % FILE_ROWS === 0) {
        files.push({
          name: dataFileName('ecommerce', files.length, 'csv'),
          firstIndex: first,
          count: Math.min(FILE_ROWS, count - first),
          headerLines: 1,
          committedAtMs: producedMs,
        });
      }
      if (!psql.stdin.write(lines.bytes())) await Promise.race([once(psql.stdin, 'drain'), exited]);
      if (psql.exitCode !== null) break;
    }
    psql.stdin.end();
    const [code] = await exited;
    if (code !== 0) throw new Error(`psql \\copy exited with ${code}: ${stderr.trim()}`);
    await client.exec(`ALTER TABLE ${table} ADD PRIMARY KEY (event_id)`);
    await client.exec(`VACUUM (ANALYZE) ${table}`);
    await client.exec(`VACUUM (ANALYZE) ${qualified(schema, sinkSpec.tables.dlq)}`);
    const finished = Date.now();
    const { rows } = await client.query<{ n: number }>(`SELECT count(*)::float8 AS n FROM ${table}`);
    if (rows[0]?.n !== count) throw new Error(`loaded ${rows[0]?.n} rows into ${table}, expected ${count}`);

    const manifest: RunManifest = {
      manifestVersion: MANIFEST_VERSION,
      status: 'finished',
      process: { pid: process.pid, host: 'bench' },
      updatedAt: new Date(finished).toISOString(),
      runId,
      createdAt: new Date(createdAtMs).toISOString(),
      scenarioPath: resolve(import.meta.dirname, 'verify.ts'),
      scenario,
      seed,
      baseTimeMs: createdAtMs,
      transport: { type: 'csv', dir: join(runDir, 'data') },
      sink: { kind: 'postgres', url: redactUrl(url) },
      datasets: {
        ecommerce: { count, records: count, complete: true, rate: 0, startedAtMs: started, finishedAtMs: files.at(-1)?.committedAtMs ?? finished, files },
      },
      pipeline: null,
    };
    mkdirSync(runDir, { recursive: true });
    saveManifest(runDir, manifest);
    return { runDir, seconds: (finished - started) / 1000 };
  } finally {
    await client.close();
  }
}

/** The bare query, on its own connection; seconds. */
async function bareCount(url: string, schema: string, count: number): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const started = process.hrtime.bigint();
    const { rows } = await client.query<{ n: string; d: string }>(
      `SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM ${qualified(schema, 'user_events')}`,
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (Number(rows[0]?.n) !== count || Number(rows[0]?.d) !== count)
      throw new Error(`bare count: ${rows[0]?.n} rows, ${rows[0]?.d} distinct, expected ${count}`);
    return seconds;
  } finally {
    await client.end();
  }
}

interface VerifyRun {
  seconds: number;
  rssMiB: number | null;
  /** Why the run did not pass (exit code, failing checks), or null. */
  failure: string | null;
}

/** Reports the process's peak RSS on exit, when /usr/bin/time is not there to. */
const RSS_HOOK = `data:text/javascript,process.on('exit',()=>process.stderr.write('\\nharness-bench-maxrss-kib='+process.resourceUsage().maxRSS+'\\n'))`;

/** `harness verify --run <dir> --json` as a user runs it, in its own process. */
function verifyChild(url: string, runDir: string, rssTool: 'time' | 'node'): VerifyRun {
  const bin = resolve(import.meta.dirname, '../cli/bin.js');
  const rssFile = join(runDir, 'maxrss.txt');
  const node = [process.execPath, ...(rssTool === 'node' ? ['--import', RSS_HOOK] : []), bin, 'verify', '--run', runDir, '--json'];
  const [command, ...args] = rssTool === 'time' ? [TIME, '-o', rssFile, '-f', '%M', ...node] : node;
  const started = process.hrtime.bigint();
  const child = spawnSync(command as string, args, { env: { ...process.env, PG_URL: url }, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  // A command that cannot start leaves no output: stdout and stderr are null then, whatever their types say.
  const stderr = child.error ? child.error.message : child.stderr;
  const kib =
    rssTool === 'time'
      ? Number(existsSync(rssFile) ? readFileSync(rssFile, 'utf8').trim().split('\n').at(-1) : NaN)
      : Number(/harness-bench-maxrss-kib=(\d+)/.exec(stderr)?.[1]);
  let failure: string | null = null;
  try {
    const report = JSON.parse(child.stdout) as Report;
    const failing = report.checks.filter((c) => c.status !== 'pass');
    if (child.status !== 0 || report.verdict !== 'pass') {
      failure = [`exit ${child.status}, verdict ${report.verdict}`, ...failing.map((c) => `  ${c.name} [${c.dataset}]: ${c.summary}`)].join('\n');
    }
  } catch {
    failure = `exit ${child.status}, no report: ${stderr.trim().slice(-2000)}`;
  }
  return { seconds, rssMiB: Number.isFinite(kib) ? kib / 1024 : null, failure };
}

/**
 * `npx harness verify --run <dir>` from the project's root, as the README has users type it: npm's
 * own start-up (about half a second here) is part of what they wait for.
 */
function npxVerify(url: string, runDir: string): { seconds: number; failure: string | null } {
  const started = process.hrtime.bigint();
  const child = spawnSync('npx', ['--no-install', 'harness', 'verify', '--run', runDir, '--json'], {
    cwd: resolve(import.meta.dirname, '../..'),
    env: { ...process.env, PG_URL: url },
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    seconds,
    failure: child.status === 0 ? null : `npx harness verify: exit ${child.status ?? child.signal}: ${child.stderr.trim().slice(-2000)}`,
  };
}

async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${ident(schema)} CASCADE`);
  } catch (error) {
    console.log(`could not drop schema ${schema}: ${(error as Error).message}`);
  } finally {
    await client.end().catch(() => {});
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** The lowest and highest ratio of paired measurements. */
function ratioRange(values: number[], references: number[]): string {
  const ratios = values.map((v, i) => v / (references[i] as number));
  return `${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}`;
}

function range(values: number[], digits = 2): string {
  return `${Math.min(...values).toFixed(digits)}-${Math.max(...values).toFixed(digits)}`;
}
