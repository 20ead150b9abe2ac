import { join, resolve } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { openPglite } from '../connectors/sinks/sql/pglite.ts';
import { openPostgres } from '../connectors/sinks/sql/postgres.ts';
import { postgresUrl } from '../connectors/sinks/sql/open.ts';
import { benchFindMax } from './find-max.ts';
import { benchGeneration } from './generation.ts';
import { benchBroker, benchKafka } from './kafka.ts';
import { benchMainJob } from './main-job.ts';
import { benchMemory } from './memory.ts';
import { benchBesideHog } from './hog.ts';
import { benchPipeline } from './pipeline.ts';
import { benchProbe } from './probe.ts';
import { benchReportHtml } from './report-html.ts';
import { benchScaleOut } from './scale-out.ts';
import { benchStartup } from './startup.ts';
import { benchSpark } from './spark.ts';
import { benchVerify, verifyBenchOptions } from './verify.ts';
import { printPairs, type Pair } from './table.ts';

/**
 * `npm run bench [-- section...]`: sections are `startup`, `generation`, `pipeline`, `probe`, `kafka`, `main-job`,
 * `verify`, `memory`, `hog`, `find-max`, `report-html`, `scale-out` and `spark` (default: all); a summary of every harness figure beside its reference
 * ends it. Set PG_URL to add the PostgreSQL server beside embedded PGlite, and KAFKA_BROKERS to
 * measure a cluster of your own instead of Apache Kafka's broker started here (test/kafka-broker).
 */
const sections = process.argv.slice(2);
const wants = (name: string) => sections.length === 0 || sections.includes(name);
const url = postgresUrl(process.env);
const pairs: Pair[] = [];

if (wants('startup')) pairs.push(...benchStartup(Number(process.env.BENCH_STARTUP_RUNS ?? 21)));
if (wants('generation')) pairs.push(...(await benchGeneration()));
if (wants('pipeline')) {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'harness-bench-')), 'db');
  pairs.push(
    ...(await benchPipeline(Number(process.env.BENCH_COUNT ?? 1_000_000), [
      { name: 'pglite', open: () => openPglite(dataDir), dataDir },
      ...(url ? [{ name: 'postgres', open: () => openPostgres(url), url }] : []),
    ])),
  );
}
if (wants('probe')) {
  // 27 drains a backend (nine rounds of three): fewer rows each than `pipeline` drains.
  pairs.push(
    ...(await benchProbe(Number(process.env.BENCH_COUNT ?? 200_000), [
      { name: 'pglite', location: { kind: 'pglite', dataDir: join(mkdtempSync(join(tmpdir(), 'harness-bench-')), 'db') }, env: {} },
      ...(url ? [{ name: 'postgres', location: { kind: 'postgres' as const, url }, env: { PG_URL: url } }] : []),
    ])),
  );
}
if (wants('kafka')) {
  const broker = await benchBroker(process.env);
  if (typeof broker === 'string') console.log(`\nkafka: skipped: ${broker}`);
  else {
    try {
      pairs.push(
        ...(await benchKafka(broker, Number(process.env.BENCH_COUNT ?? 1_000_000), [
          { name: 'pglite', open: () => openPglite(join(mkdtempSync(join(tmpdir(), 'harness-bench-')), 'db')) },
          ...(url ? [{ name: 'postgres', open: () => openPostgres(url) }] : []),
        ])),
      );
    } finally {
      await broker.stop();
    }
  }
}
if (wants('main-job')) {
  pairs.push(
    ...benchMainJob(resolve(import.meta.dirname, '../../scenarios/high-volume.yaml'), [
      // A fresh clone's first run builds the PGlite template (initdb) before it generates anything.
      {
        name: 'pglite, first run',
        env: { PG_URL: '', DATABASE_URL: '', HARNESS_PGLITE_TEMPLATE: join(mkdtempSync(join(tmpdir(), 'harness-bench-template-')), 'template') },
      },
      { name: 'pglite', env: { PG_URL: '', DATABASE_URL: '' } },
      ...(url ? [{ name: 'postgres', env: { PG_URL: url, HARNESS_SCHEMA: 'harness_bench_main' } }] : []),
    ]),
  );
}
if (wants('verify')) pairs.push(...(await benchVerify(verifyBenchOptions(process.env, url))));
if (wants('memory')) pairs.push(...benchMemory(url ? { name: 'postgres', env: { PG_URL: url } } : { name: 'pglite', env: { PG_URL: '', DATABASE_URL: '' } }));
if (wants('hog')) {
  // The embedded default, as a user runs the shipped scenarios first; lol-kafka on Apache Kafka's broker.
  const broker = await benchBroker(process.env);
  const brokers = typeof broker === 'string' ? undefined : broker.brokers.join(',');
  const embedded = { PG_URL: '', DATABASE_URL: '' };
  const scenario = (name: string) => resolve(import.meta.dirname, `../../scenarios/${name}.yaml`);
  pairs.push(
    ...benchBesideHog([
      { file: scenario('smoke'), env: embedded },
      { file: scenario('high-volume'), env: embedded },
      ...(brokers ? [{ file: scenario('lol-kafka'), env: { ...embedded, KAFKA_BROKERS: brokers } }] : []),
    ]),
  );
  if (typeof broker !== 'string') await broker.stop();
}
if (wants('find-max')) pairs.push(...(await benchFindMax()));
if (wants('report-html')) pairs.push(...benchReportHtml());
if (wants('scale-out')) {
  // Several `harness pipeline` processes share a run's partitions only on a server they all reach.
  const broker = url ? await benchBroker(process.env) : null;
  if (!url || !broker) console.log('\nscale-out: skipped: needs PG_URL (the processes share a PostgreSQL sink)');
  else if (typeof broker === 'string') console.log(`\nscale-out: skipped: ${broker}`);
  else {
    try {
      pairs.push(...(await benchScaleOut(broker, url, Number(process.env.BENCH_COUNT ?? 400_000), Number(process.env.BENCH_ROUNDS ?? 3))));
    } finally {
      await broker.stop();
    }
  }
}
if (wants('spark')) {
  // The Spark example writes to a PostgreSQL server (docs/spark.md); its Kafka job runs on the broker.
  if (!url) console.log('\nspark: skipped: needs PG_URL (the Spark jobs write to a PostgreSQL server)');
  else {
    const broker = await benchBroker(process.env);
    if (typeof broker === 'string') console.log(`\nspark: the Kafka job skipped: ${broker}`);
    try {
      pairs.push(
        ...(await benchSpark({
          pgUrl: url,
          brokers: typeof broker === 'string' ? null : broker.brokers,
          count: Number(process.env.BENCH_COUNT ?? 200_000),
          rate: Number(process.env.BENCH_SPARK_RATE ?? 2000),
          seconds: Number(process.env.BENCH_SPARK_SECONDS ?? 30),
        })),
      );
    } finally {
      if (typeof broker !== 'string') await broker.stop();
    }
  }
}
printPairs(pairs);
if (!url) console.log('\n(set PG_URL to measure the PostgreSQL server too)');
