import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompressionTypes, Kafka, logLevel, Partitioners } from 'kafkajs';
import { kafka } from '../connectors/transports/kafka/index.ts';
import { chunkMessages, type OutgoingMessage } from '../connectors/transports/kafka/messages.ts';
import { librdkafka } from '../connectors/transports/kafka/producer-librdkafka.ts';
import type { KafkaTransportSpec } from '../connectors/transports/kafka/spec.ts';
import { ensureTopic } from '../connectors/transports/kafka/topics.ts';
import { messageOf } from '../core/errors.ts';
import type { SqlClient } from '../connectors/sinks/sql/client.ts';
import { createGenerator } from '../generators/index.ts';
import { seedWord } from '../generators/random.ts';
import { brokerClasspath, kafkaBrokerUnavailable, startKafkaBroker } from '../test/kafka-broker/broker.ts';
import { drain, drainRate } from './pipeline.ts';
import { pair, printTable, type Pair } from './table.ts';
import { CsvTransport } from '../connectors/transports/csv/index.ts';

const config = {
  seed: seedWord(3),
  baseTimeMs: Date.UTC(2026, 0, 1),
  rate: 0,
  faults: { duplicate: 0.02, malformed: 0.02, future: 0.01, late: 0.02 },
  options: {},
};
/** What a scenario would set (3 partitions: a topic harness creates), and what the references use too. */
const settings = { batchSize: 2000, inFlight: 8, acks: -1, compression: 'none', partitions: 3 } as const;
let topics = 0;
const topic = () => `bench_${process.pid}_${++topics}`;

type Client = KafkaTransportSpec['client'];

/** The cluster the Kafka benches measure, named in every figure it gives. */
export interface BenchBroker {
  brokers: string[];
  /** Which broker, in full: the tables' titles. */
  name: string;
  /** Which broker, in a word or two: the summary's measures. */
  short: string;
  stop(): Promise<void>;
}

/** The Kafka version on the test broker's classpath (its kafka_2.13 jar), for the figures' labels. */
function kafkaVersion(classpath: string): string {
  return /kafka_2\.13-([\w.-]+)\.jar/.exec(classpath)?.[1] ?? '4.x';
}

/**
 * The cluster in KAFKA_BROKERS when set; else Apache Kafka's own broker (test/kafka-broker), started
 * here with a topic's default partitions and stopped by the caller. The reason when neither can be had.
 */
export async function benchBroker(env: NodeJS.ProcessEnv): Promise<BenchBroker | string> {
  const given = env.KAFKA_BROKERS?.split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
  if (given?.length) return { brokers: given, name: `the cluster in KAFKA_BROKERS (${given.join(',')})`, short: 'KAFKA_BROKERS', stop: async () => {} };
  const missing = kafkaBrokerUnavailable();
  if (missing) return `Apache Kafka's broker cannot start here (${missing}); set KAFKA_BROKERS to measure a cluster of your own`;
  const version = kafkaVersion(brokerClasspath());
  const broker = await startKafkaBroker({ partitions: settings.partitions });
  return {
    brokers: [broker.bootstrap],
    name: `Apache Kafka ${version}'s broker (one KRaft broker + controller JVM on this machine, sharing its ${availableParallelism()} cores with the producers)`,
    short: `Kafka ${version}`,
    stop: () => broker.stop(),
  };
}

/** A topic of its own for one measure, with the harness's partitions, created before the clock starts. */
async function createTopic(brokers: string[]): Promise<string> {
  const name = topic();
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await ensureTopic(admin, name, settings.partitions, () => {});
  } finally {
    await admin.disconnect();
  }
  return name;
}

/** The harness's Kafka transport into a topic of its own, configured as a scenario would. */
function kafkaTransport(brokers: string[], client: Client = 'kafkajs') {
  const name = topic();
  const { partitions, ...producing } = settings;
  const spec = kafka.spec.parse({ type: 'kafka', client, topics: { ecommerce: { name, partitions } }, ...producing, consumerGroup: `bench-${name}` });
  return kafka.create(spec, { runDir: tmpdir(), runId: 'bench', env: { KAFKA_BROKERS: brokers.join(',') }, log: () => {} });
}

/** As `harness run` produces: the topic created first, then generation and sending timed together. */
async function harnessProduce(brokers: string[], count: number, workers: number, client: Client): Promise<number> {
  const transport = kafkaTransport(brokers, client);
  await transport.prepare(['ecommerce']);
  const result = await transport.produce({ generator: createGenerator('ecommerce', config), count, workers, paced: false });
  await transport.close();
  return count / ((result.finishedAtMs - result.startedAtMs) / 1000);
}

/** The messages the harness sends, built once: the same keys, values and (on duplicates only) headers. */
function prebuilt(count: number): OutgoingMessage[][] {
  const generator = createGenerator('ecommerce', config);
  const chunks: OutgoingMessage[][] = [];
  for (let first = 0; first < count; first += settings.batchSize) {
    chunks.push(
      chunkMessages(generator, first, Math.min(count, first + settings.batchSize), { runId: 'bench', headers: false, startedAtMs: 0, skip: new Set() }),
    );
  }
  return chunks;
}

/**
 * Bare kafkajs: a plain producer in this process sending the pre-built chunks, one produce request
 * each, `inFlight` outstanding, with the harness's acks and compression. What is left between it
 * and the harness is generation, pacing and the engine.
 */
async function bareKafkajs(brokers: string[], chunks: OutgoingMessage[][]): Promise<number> {
  const name = await createTopic(brokers);
  const producer = new Kafka({ brokers, logLevel: logLevel.NOTHING }).producer({ idempotent: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const started = performance.now();
  const pending = new Set<Promise<unknown>>();
  for (const messages of chunks) {
    const sent = producer.send({ topic: name, acks: settings.acks, compression: CompressionTypes.None, messages });
    pending.add(sent);
    void sent.finally(() => pending.delete(sent));
    if (pending.size >= settings.inFlight) await Promise.race(pending);
  }
  await Promise.all(pending);
  const rate = chunks.reduce((n, c) => n + c.length, 0) / ((performance.now() - started) / 1000);
  await producer.disconnect();
  return rate;
}

/** The harness's messages as files the command-line producers read, one message a line. */
interface Payloads {
  count: number;
  /** `<key>\t<value>` lines, for kcat -K. */
  keyed: string;
  /** Value lines, for ProducerPerformance --payload-file. */
  values: string;
  meanKeyBytes: number;
  meanValueBytes: number;
}

function payloadFiles(chunks: OutgoingMessage[][]): Payloads {
  const messages = chunks.flat();
  // Both tools read text: the few malformed values that are not UTF-8 go with replacement characters.
  const values = messages.map(({ value }) => value.toString('utf8'));
  const dir = mkdtempSync(join(tmpdir(), 'harness-bench-'));
  const keyed = join(dir, 'keyed.txt');
  const valuesFile = join(dir, 'values.txt');
  writeFileSync(keyed, `${messages.map(({ key }, i) => `${key}\t${values[i]}`).join('\n')}\n`);
  writeFileSync(valuesFile, `${values.join('\n')}\n`);
  const mean = (bytes: (m: OutgoingMessage) => number) => messages.reduce((n, m) => n + bytes(m), 0) / messages.length;
  return {
    count: messages.length,
    keyed,
    values: valuesFile,
    meanKeyBytes: mean((m) => Buffer.byteLength(m.key)),
    meanValueBytes: mean((m) => m.value.length),
  };
}

/** kcat (librdkafka's command-line producer) sending the same keys and values from a file. */
async function kcatProduce(brokers: string[], payloads: Payloads): Promise<number | string> {
  const name = await createTopic(brokers);
  const started = performance.now();
  const kcat = spawnSync('kcat', ['-P', '-b', brokers.join(','), '-t', name, '-K', '\t', '-X', 'acks=all', '-l', payloads.keyed], { encoding: 'utf8' });
  if (kcat.error || kcat.status !== 0) return `kcat unavailable (${kcat.error?.message ?? kcat.stderr.trim()}): apt-get install kcat`;
  return payloads.count / ((performance.now() - started) / 1000);
}

/**
 * Apache Kafka's own producer benchmark, `kafka-producer-perf-test` (ProducerPerformance from
 * kafka-tools, on the test broker's classpath), with the JVM options kafka-run-class.sh gives it
 * and a heap that holds the payloads. The same record count, acks, partitions and requests in
 * flight; each value drawn from the harness's values (the tool picks one at random a record); keys
 * random integers, so records spread over the partitions by key as the harness's do; a batch of up
 * to `batchSize` messages' bytes and a linger of 5 ms, as librdkafka's; no idempotence, as the
 * harness. Its figure is its own: first send to last acknowledgement, JVM start excluded.
 */
async function producerPerformance(brokers: string[], payloads: Payloads): Promise<{ total: number | string; steady: number | string }> {
  let classpath: string;
  try {
    classpath = brokerClasspath();
  } catch (error) {
    const reason = `ProducerPerformance unavailable: ${messageOf(error)}`;
    return { total: reason, steady: reason };
  }
  const name = await createTopic(brokers);
  const batchBytes = Math.round(settings.batchSize * (payloads.meanKeyBytes + payloads.meanValueBytes));
  const jvm = [
    '-Xmx512m',
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:InitiatingHeapOccupancyPercent=35',
    '-XX:+ExplicitGCInvokesConcurrent',
    '-XX:MaxInlineLevel=15',
    '-Djava.awt.headless=true',
  ];
  const tool = [
    '--bootstrap-server',
    brokers.join(','),
    '--topic',
    name,
    '--num-records',
    String(payloads.count),
    '--throughput',
    '-1',
    '--payload-file',
    payloads.values,
  ];
  const keys = ['--key-distribution', 'random', '--record-key-range', String(payloads.count)];
  // Its figure covers every record, as the harness's does; the last two thirds' is printed beside it.
  const quiet = ['--reporting-interval', '3600000', '--warmup-records', String(Math.floor(payloads.count / 3))];
  const producer = [
    'acks=all',
    `batch.size=${batchBytes}`,
    'linger.ms=5',
    `max.in.flight.requests.per.connection=${settings.inFlight}`,
    'enable.idempotence=false',
    'compression.type=none',
  ];
  const run = spawnSync(
    'java',
    [...jvm, '-cp', classpath, 'org.apache.kafka.tools.ProducerPerformance', ...tool, ...keys, ...quiet, '--command-property', ...producer],
    { encoding: 'utf8' },
  );
  // A java that cannot start leaves no output: stdout is null then, whatever its type says.
  const stdout = run.error ? '' : run.stdout;
  // "<n> records sent, <rate> records/sec (<MB/s>), <latencies>", then "<n> steady state records sent, ...".
  const rate = (line: RegExp) => {
    const found = line.exec(stdout);
    return found ? Number(found[1]) : null;
  };
  const total = rate(/^\d+ records sent, ([\d.]+) records\/sec/m);
  const steady = rate(/^\d+ steady state records sent, ([\d.]+) records\/sec/m);
  if (run.error || run.status !== 0 || total === null) {
    const reason = `ProducerPerformance failed (${run.error?.message ?? `${run.stdout}${run.stderr}`.trim().split('\n').slice(-3).join(' ')})`;
    return { total: reason, steady: reason };
  }
  return { total, steady: steady ?? 'not printed' };
}

/** The references, on messages built once and let go before the harness runs. */
async function references(brokers: string[], count: number) {
  const chunks = prebuilt(count);
  const payloads = payloadFiles(chunks);
  const bare = await bareKafkajs(brokers, chunks);
  const { total: tool, steady } = await producerPerformance(brokers, payloads);
  return { tool, steady, kcat: await kcatProduce(brokers, payloads), bare, payloads };
}

/** Whether the optional librdkafka client loads here; the reason otherwise. */
function librdkafkaMissing(): string | null {
  try {
    librdkafka();
    return null;
  } catch (error) {
    return messageOf(error);
  }
}

/** The same events through the file transport into the same backend: what Kafka -> SQL is held to. */
async function csvPipelineRate(count: number, open: () => Promise<SqlClient>, name: string): Promise<number> {
  const generator = createGenerator('ecommerce', config);
  const files = new CsvTransport(mkdtempSync(join(tmpdir(), 'harness-bench-')), { rotateRecords: 50_000, rotateInterval: 1000 });
  await files.produce({ generator, count, paced: false });
  return drainRate(count, await drain(files.sources([generator]), open, `harness_bench_csv_${name}`));
}

/** The reference pipeline draining one run's topic into a SQL backend. */
async function pipelineRate(brokers: string[], count: number, open: () => Promise<SqlClient>, name: string): Promise<[number, number]> {
  const transport = kafkaTransport(brokers);
  const generator = createGenerator('ecommerce', config);
  await transport.prepare(['ecommerce']);
  await transport.produce({ generator, count, paced: false });
  await transport.finish();
  let firstBatchAt: number | undefined;
  const result = await drain(
    transport.sources([generator]),
    open,
    `harness_bench_kafka_${name}`,
    () => {},
    () => {
      firstBatchAt ??= Date.now();
    },
  );
  await transport.close();
  const records = result.datasets.ecommerce?.records ?? 0;
  // With the consumer group's first join, and after it.
  return [drainRate(records, result), drainRate(records, result, firstBatchAt)];
}

/**
 * Produce throughput of the harness (both clients) beside Apache Kafka's own ProducerPerformance,
 * kcat and bare kafkajs on the same messages; then the reference pipeline from Kafka into each SQL
 * backend beside the same events from files. `count` messages are produced, up to 100,000 drained.
 */
export async function benchKafka(broker: BenchBroker, count: number, backends: { name: string; open: () => Promise<SqlClient> }[]): Promise<Pair[]> {
  const { brokers } = broker;
  const pairs: Pair[] = [];
  const rates: Partial<Record<string, number>> = {};
  const { tool, steady, kcat, bare, payloads } = await references(brokers, count);
  const ratio = (rate: number | string, reference: number | string) =>
    typeof rate === 'number' && typeof reference === 'number' ? (rate / reference).toFixed(2) : '-';
  const row = (label: string, rate: number | string) => [
    label,
    typeof rate === 'number' ? Math.round(rate) : rate,
    ratio(rate, tool),
    ratio(rate, kcat),
    ratio(rate, bare),
  ];
  const rows: (string | number)[][] = [
    row('ProducerPerformance (kafka-producer-perf-test, Java client), same values', tool),
    row('  the same run, its last two thirds only (JIT warmed up)', steady),
    row('kcat -P (librdkafka), same keys and values', kcat),
    row('bare kafkajs, 1 producer, pre-built messages', bare),
  ];
  const missing = librdkafkaMissing();
  for (const client of ['kafkajs', 'librdkafka'] as const) {
    if (client === 'librdkafka' && missing) {
      rows.push(['harness (librdkafka)', `skipped: ${missing.slice(0, 60)}...`, '-', '-', '-']);
      continue;
    }
    // librdkafka produces from one thread (see the transport), with threads of its own behind it.
    for (const workers of client === 'kafkajs' ? [1, 2, 4] : [1]) {
      const rate = await harnessProduce(brokers, count, workers, client);
      const threads = Math.min(workers, availableParallelism());
      const producers =
        workers === 1
          ? '1 producer'
          : `--workers ${workers}${threads < workers ? ` (${threads} producer threads on ${threads} cores)` : ' (producers on worker threads)'}`;
      rows.push(row(`harness (${client}), ${producers}`, rate));
      rates[`${client}-${workers}`] = rate;
    }
  }
  const { meanKeyBytes, meanValueBytes } = payloads;
  printTable(
    `produce ${count.toLocaleString('en-US')} e-commerce events (mean value ${meanValueBytes.toFixed(0)} B, key ${meanKeyBytes.toFixed(0)} B; ProducerPerformance's keys are integers of up to ${String(count - 1).length} digits), ` +
      `acks=all, ${settings.partitions} partitions, batches of ${settings.batchSize}, ${settings.inFlight} in flight, on ${broker.name}`,
    ['producer', 'msgs/s', 'x ProducerPerformance', 'x kcat', 'x bare kafkajs'],
    rows,
  );
  const on = `on ${broker.short}`;
  const { 'kafkajs-1': one, 'kafkajs-2': two, 'kafkajs-4': four, 'librdkafka-1': native } = rates;
  if (typeof tool === 'number') {
    if (native)
      pairs.push(pair(`produce ${on}, harness librdkafka vs ProducerPerformance`, [native, 'msgs/s'], [tool, 'msgs/s Java'], { at: 'least', bound: 0.35 }));
    if (one) pairs.push(pair(`produce ${on}, harness kafkajs vs ProducerPerformance`, [one, 'msgs/s'], [tool, 'msgs/s Java'], null));
  }
  if (one) pairs.push(pair(`produce ${on}, harness kafkajs vs bare kafkajs`, [one, 'msgs/s'], [bare, 'msgs/s bare'], { at: 'least', bound: 0.85 }));
  // Past the cores, --workers 4 runs as many producer threads as --workers 2: the same work, so
  // "not slower" allows the runs' noise (0.97-1.09x measured between identical runs here).
  const noise = availableParallelism() < 4 ? 0.95 : 1;
  if (two && four) pairs.push(pair(`produce ${on}, harness kafkajs --workers 4 vs 2`, [four, 'msgs/s'], [two, 'msgs/s'], { at: 'least', bound: noise }));
  if (native) pairs.push(pair(`produce ${on}, harness librdkafka`, [native, 'msgs/s'], [150_000, 'msgs/s target'], { at: 'least', bound: 1 }));
  if (native && typeof kcat === 'number')
    pairs.push(pair(`produce ${on}, harness librdkafka vs kcat -P`, [native, 'msgs/s'], [kcat, 'msgs/s kcat'], { at: 'least', bound: 0.25 }));
  const pipelineRows: (string | number)[][] = [];
  const events = Math.min(count, 100_000);
  for (const backend of backends) {
    const [withJoin, steady] = await pipelineRate(brokers, events, backend.open, backend.name);
    const csv = await csvPipelineRate(events, backend.open, backend.name);
    pipelineRows.push([`Kafka -> ${backend.name}`, Math.round(withJoin), Math.round(steady), Math.round(csv), (steady / csv).toFixed(2)]);
    pairs.push(
      pair(`pipeline Kafka (${broker.short}) -> ${backend.name} vs CSV -> ${backend.name}, once joined`, [steady, 'rows/s'], [csv, 'rows/s from files'], {
        at: 'least',
        bound: 0.8,
      }),
    );
  }
  printTable(
    `reference pipeline over ${events.toLocaleString('en-US')} events with faults, on ${broker.name}`,
    ['pipeline', 'records/s (with group join)', 'records/s (after the first batch)', 'CSV -> same sink', 'x CSV'],
    pipelineRows,
  );
  return pairs;
}
