import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transports } from '../connectors/transports/index.ts';
import type { SqlClient } from '../connectors/sinks/sql/client.ts';
import { sqlSinkSpec } from '../connectors/sinks/sql/spec.ts';
import { createGenerator } from '../generators/index.ts';
import { seedWord } from '../generators/random.ts';
import { runPipeline } from '../pipeline/run-pipeline.ts';
import { SqlSinkWriter } from '../connectors/sinks/sql/writer.ts';
import { printTable } from './table.ts';

const config = { seed: seedWord(3), baseTimeMs: Date.UTC(2026, 0, 1), rate: 0, faults: { duplicate: 0.02, malformed: 0.02, future: 0.01, late: 0.02 }, options: {} };
let topics = 0;
const topic = () => `bench_${process.pid}_${++topics}`;

/** The harness's Kafka transport into a topic of its own, configured as a scenario would. */
function kafkaTransport(brokers: string[]) {
  const name = topic();
  const spec = transports.kafka.spec.parse({ type: 'kafka', topics: { ecommerce: { name } }, batchSize: 2000, inFlight: 8, consumerGroup: `bench-${name}` });
  return transports.kafka.create(spec, { runDir: tmpdir(), runId: 'bench', env: { KAFKA_BROKERS: brokers.join(',') }, log: () => {} });
}

async function harnessProduce(brokers: string[], count: number, workers: number): Promise<number> {
  const result = await kafkaTransport(brokers).produce({ generator: createGenerator('ecommerce', config), count, workers, paced: false });
  return count / ((result.finishedAtMs - result.startedAtMs) / 1000);
}

/** kcat (librdkafka) sending the same keys and values from a file. */
function kcatProduce(brokers: string[], count: number): number | string {
  const generator = createGenerator('ecommerce', config);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const payload = generator.payload(i);
    // kcat reads one message a line; the few raw-byte payloads are sent as their text cousins.
    lines.push(`${generator.recordKey(generator.planner.origin(i).origin)}\t${typeof payload === 'string' ? payload : payload.toString('latin1')}`);
  }
  const file = join(mkdtempSync(join(tmpdir(), 'harness-bench-')), 'messages.txt');
  writeFileSync(file, `${lines.join('\n')}\n`);
  const started = performance.now();
  const kcat = spawnSync('kcat', ['-P', '-b', brokers.join(','), '-t', topic(), '-K', '\t', '-X', 'acks=all', '-l', file], { encoding: 'utf8' });
  if (kcat.error || kcat.status !== 0) return `kcat unavailable (${kcat.error?.message ?? kcat.stderr.trim()}): apt-get install kcat`;
  return count / ((performance.now() - started) / 1000);
}

/** The reference pipeline draining one run's topic into a SQL backend. */
async function pipelineRate(brokers: string[], count: number, open: () => Promise<SqlClient>, name: string): Promise<[number, number]> {
  const transport = kafkaTransport(brokers);
  const generator = createGenerator('ecommerce', config);
  await transport.prepare(['ecommerce']);
  await transport.produce({ generator, count, paced: false });
  await transport.finish();
  let firstBatchAt: number | undefined;
  const sink = new SqlSinkWriter(await open(), { spec: sqlSinkSpec.parse({ type: 'sql', schema: `harness_bench_kafka_${name}` }), datasets: ['ecommerce'], reset: true, uniqueKeys: true, uniqueDeadLetters: true });
  const result = await runPipeline({
    sources: transport.sources([generator]),
    sink,
    batchSize: 5000,
    futureToleranceMs: 3_600_000,
    pollIntervalMs: 10,
    log: (line) => {
      firstBatchAt ??= line.includes(' batch 1:') ? Date.now() : undefined;
    },
  });
  await sink.close();
  const records = result.datasets.ecommerce?.records ?? 0;
  // With the consumer group's first join (about 3 s on the test broker), and after it.
  return [records / ((result.finishedAtMs - result.startedAtMs) / 1000), records / ((result.finishedAtMs - (firstBatchAt ?? result.startedAtMs)) / 1000)];
}

export async function benchKafka(brokers: string[], backends: { name: string; open: () => Promise<SqlClient> }[]): Promise<void> {
  const count = 300_000;
  const kcat = kcatProduce(brokers, count);
  const rows: (string | number)[][] = [];
  for (const workers of [1, 2, 4]) {
    const rate = await harnessProduce(brokers, count, workers);
    rows.push([`harness (kafkajs), ${workers} producer${workers > 1 ? 's on worker threads' : ''}`, Math.round(rate), typeof kcat === 'number' ? (rate / kcat).toFixed(2) : '-']);
  }
  rows.push(['kcat -P (librdkafka), same keys and values', typeof kcat === 'number' ? Math.round(kcat) : kcat, '1.00']);
  printTable(`produce ${count.toLocaleString('en-US')} e-commerce events (~130 B value, 36 B key, one header), acks=all`, ['producer', 'msgs/s', 'x kcat'], rows);
  const pipelineRows: (string | number)[][] = [];
  for (const backend of backends) {
    const [withJoin, steady] = await pipelineRate(brokers, 40_000, backend.open, backend.name);
    pipelineRows.push([`Kafka -> ${backend.name}`, Math.round(withJoin), Math.round(steady)]);
  }
  printTable('reference pipeline over 40,000 events in Kafka', ['pipeline', 'records/s (with group join)', 'records/s (after the first batch)'], pipelineRows);
}
