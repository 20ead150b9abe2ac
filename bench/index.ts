import { join, resolve } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { openPglite } from '../connectors/sinks/sql/pglite.ts';
import { openPostgres } from '../connectors/sinks/sql/postgres.ts';
import { postgresUrl } from '../connectors/sinks/sql/open.ts';
import { benchGeneration } from './generation.ts';
import { buildMockBroker, startMockBroker } from '../test/kafka-mock/broker.ts';
import { benchKafka } from './kafka.ts';
import { benchMainJob } from './main-job.ts';
import { benchPipeline } from './pipeline.ts';
import { benchVerify, verifyBenchOptions } from './verify.ts';

/**
 * `npm run bench [-- section...]`: sections are `generation`, `pipeline`, `kafka`, `main-job` and `verify`
 * (default: all). Set PG_URL to add the PostgreSQL server beside embedded PGlite, and
 * KAFKA_BROKERS to measure a real cluster instead of the test broker (librdkafka's mock cluster).
 */
const sections = process.argv.slice(2);
const wants = (name: string) => sections.length === 0 || sections.includes(name);
const url = postgresUrl(process.env);

if (wants('generation')) await benchGeneration();
if (wants('pipeline')) {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'harness-bench-')), 'db');
  await benchPipeline(Number(process.env.BENCH_COUNT ?? 1_000_000), [
    { name: 'pglite', open: () => openPglite(dataDir), dataDir },
    ...(url ? [{ name: 'postgres', open: () => openPostgres(url), url }] : []),
  ]);
}
if (wants('kafka')) {
  const own = process.env.KAFKA_BROKERS ? null : buildMockBroker().ok ? await startMockBroker(1) : null;
  const brokers = process.env.KAFKA_BROKERS?.split(',') ?? own?.brokers;
  if (brokers) {
    await benchKafka(brokers, [
      { name: 'pglite', open: () => openPglite(join(mkdtempSync(join(tmpdir(), 'harness-bench-')), 'db')) },
      ...(url ? [{ name: 'postgres', open: () => openPostgres(url) }] : []),
    ]);
  } else console.log('\nkafka: skipped (set KAFKA_BROKERS, or install librdkafka-dev for the test broker)');
  await own?.stop();
}
if (wants('main-job')) {
  benchMainJob(resolve(import.meta.dirname, '../../scenarios/high-volume.yaml'), [
    { name: 'pglite', env: { PG_URL: '', DATABASE_URL: '' } },
    ...(url ? [{ name: 'postgres', env: { PG_URL: url, HARNESS_SCHEMA: 'harness_bench_main' } }] : []),
  ]);
}
if (wants('verify')) await benchVerify(verifyBenchOptions(process.env, url));
if (!url) console.log('\n(set PG_URL to measure the PostgreSQL server too)');
