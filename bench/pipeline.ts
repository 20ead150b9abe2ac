import { spawnSync } from 'node:child_process';
import { PGlite } from '@electric-sql/pglite';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CsvTransport, datasetDir } from '../connectors/transports/csv/index.ts';
import { ident, type SqlClient } from '../connectors/sinks/sql/client.ts';
import { qualified } from '../connectors/sinks/sql/ddl.ts';
import { sqlSinkSpec } from '../connectors/sinks/sql/spec.ts';
import { createTables, SqlSinkWriter, type SqlWriterOptions } from '../connectors/sinks/sql/writer.ts';
import { ecommerceColumns } from '../generators/ecommerce.ts';
import { createGenerator } from '../generators/index.ts';
import { seedWord } from '../generators/random.ts';
import { runPipeline, type PipelineOptions, type PipelineResult } from '../pipeline/run-pipeline.ts';
import type { Source } from '../pipeline/source.ts';
import { pair, printTable, type Pair } from './table.ts';

export interface SqlBackend {
  name: string;
  open: () => Promise<SqlClient>;
  /** A server's URL: the bare load reference runs psql against it. */
  url?: string;
  /** PGlite's data directory: the bare load reference opens it with PGlite itself. */
  dataDir?: string;
}

const clean = { duplicate: 0, malformed: 0, future: 0, late: 0 };

function writerOptions(schema: string): SqlWriterOptions {
  return { spec: sqlSinkSpec.parse({ type: 'sql', schema }), datasets: ['ecommerce'], reset: true, uniqueKeys: true, uniqueDeadLetters: true };
}

/** The reference pipeline draining `sources` (e-commerce) into a fresh schema of a SQL backend, as every pipeline bench runs it. */
export async function drain(
  sources: Source[],
  open: () => Promise<SqlClient>,
  schema: string,
  log: (line: string) => void = () => {},
  onBatch?: PipelineOptions['onBatch'],
): Promise<PipelineResult> {
  const sink = new SqlSinkWriter(await open(), writerOptions(schema));
  const result = await runPipeline({ sources, sink, batchSize: 5000, futureToleranceMs: 3_600_000, pollIntervalMs: 10, log, ...(onBatch ? { onBatch } : {}) });
  await sink.close();
  return result;
}

/** Records per second of a drain over `count` records. */
export function drainRate(count: number, result: PipelineResult, fromMs = result.startedAtMs): number {
  return count / ((result.finishedAtMs - fromMs) / 1000);
}

/** `harness pipeline`'s engine draining the files into a fresh schema: records per second. */
async function pipelineRate(files: CsvTransport, count: number, backend: SqlBackend): Promise<number> {
  const generator = createGenerator('ecommerce', { seed: seedWord(1), baseTimeMs: Date.UTC(2026, 0, 1), rate: 0, faults: clean, options: {} });
  return drainRate(count, await drain(files.sources([generator]), backend.open, `harness_bench_${backend.name}`));
}

/** The staging table and the statement that moves it into the table, as a hand-written loader would. */
async function bareTables(backend: SqlBackend): Promise<{ stage: string; move: string }> {
  const schema = `harness_bench_bare_${backend.name}`;
  const client = await backend.open();
  const options = writerOptions(schema);
  const stage = qualified(schema, 'bare_stage');
  await createTables(client, options);
  await client.exec(`DROP TABLE IF EXISTS ${stage}; CREATE UNLOGGED TABLE ${stage} (${ecommerceColumns.map((c) => `${ident(c)} text`).join(', ')})`);
  await client.close();
  const columns = ecommerceColumns.map(ident).join(', ');
  const move = `INSERT INTO ${qualified(schema, options.spec.tables.ecommerce)} (${columns}, produced_at, ingested_at)
    SELECT event_id, user_id, product_id, product_name, product_category, lower(event_type), NULLIF(price, '')::numeric(10,2), event_timestamp::timestamptz, now(), now()
    FROM ${stage} ON CONFLICT DO NOTHING`;
  return { stage, move };
}

/**
 * The bare load the pipeline is held to: per file, COPY into an unlogged staging table and one
 * INSERT .. SELECT .. ON CONFLICT DO NOTHING into the same table DDL, in one transaction (a
 * hand-written loader with no validation). On a server a new psql process per file runs `\copy`;
 * PGlite, which only this process can open, gets the same statements through its own API.
 */
async function bareLoadRate(dir: string, count: number, backend: SqlBackend): Promise<number | null> {
  if (!backend.url && !backend.dataDir) return null;
  const { stage, move } = await bareTables(backend);
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.csv'))
    .sort()
    .map((f) => join(dir, f));
  const db = backend.dataDir ? await PGlite.create(backend.dataDir) : null;
  const started = performance.now();
  for (const file of files) {
    if (db) {
      await db.transaction(async (tx) => {
        await tx.query(`COPY ${stage} FROM '/dev/blob' WITH (FORMAT csv, HEADER true)`, [], { blob: new Blob([readFileSync(file)]) });
        await tx.query(move);
        await tx.query(`TRUNCATE ${stage}`);
      });
      continue;
    }
    const script = `BEGIN;\n\\copy ${stage} FROM '${file}' WITH (FORMAT csv, HEADER true)\n${move};\nTRUNCATE ${stage};\nCOMMIT;\n`;
    const psql = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', backend.url as string], { input: script, encoding: 'utf8' });
    if (psql.error || psql.status !== 0) throw new Error(`psql failed on ${file}: ${psql.error?.message ?? psql.stderr}`);
  }
  const rate = count / ((performance.now() - started) / 1000);
  await db?.close();
  return rate;
}

/**
 * Unpaced figures over clean e-commerce files: the reference pipeline into each SQL backend, and
 * beside it, for a server, the bare psql load of the same files (the issue's 0.8x target).
 */
export async function benchPipeline(count: number, backends: SqlBackend[]): Promise<Pair[]> {
  const root = mkdtempSync(join(tmpdir(), 'harness-bench-'));
  const files = new CsvTransport(root, { rotateRecords: 50_000, rotateInterval: 1000 });
  const generator = createGenerator('ecommerce', { seed: seedWord(1), baseTimeMs: Date.UTC(2026, 0, 1), rate: 0, faults: clean, options: {} });
  await files.produce({ generator, count });
  const dir = datasetDir(root, 'ecommerce');
  const rows: (string | number)[][] = [];
  const pairs: Pair[] = [];
  for (const backend of backends) {
    const pipeline = await pipelineRate(files, count, backend);
    const bare = await bareLoadRate(dir, count, backend);
    const reference = backend.url ? 'psql \\copy + INSERT .. ON CONFLICT, per file' : 'COPY + INSERT .. ON CONFLICT, per file';
    rows.push([
      `pipeline CSV -> ${backend.name}`,
      Math.round(pipeline),
      bare === null ? '(none)' : reference,
      bare === null ? '-' : Math.round(bare),
      bare === null ? '-' : (pipeline / bare).toFixed(2),
    ]);
    if (bare !== null)
      pairs.push(pair(`pipeline CSV -> ${backend.name}, clean rows`, [pipeline, 'rows/s'], [bare, 'rows/s bare load'], { at: 'least', bound: 0.8 }));
  }
  printTable(
    `unpaced, ${count.toLocaleString('en-US')} clean e-commerce events in files of 50,000`,
    ['harness', 'rows/s', 'bare reference', 'rows/s', 'ratio'],
    rows,
  );
  return pairs;
}
