import { setTimeout as sleep } from 'node:timers/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel, Partitioners, type KafkaMessage } from 'kafkajs';
import { expect, it } from 'vitest';
import { kafka } from '../../connectors/transports/kafka/index.ts';
import { BoundedTopicRead } from '../../connectors/transports/kafka/bounded-read.ts';
import { headerValue, parseHarnessHeader } from '../../connectors/transports/kafka/header.ts';
import { keyDecoder, messageIndex } from '../../connectors/transports/kafka/messages.ts';
import { openLibrdkafkaProducer } from '../../connectors/transports/kafka/producer-librdkafka.ts';
import type { ChunkProducer } from '../../connectors/transports/kafka/producer.ts';
import { kafkaSpec, type KafkaTransportSpec } from '../../connectors/transports/kafka/spec.ts';
import { ExitCode } from '../../core/exit-codes.ts';
import { createGenerator } from '../../generators/index.ts';
import { latestRunDir } from '../../runs/manifest.ts';
import { generatorConfig } from '../../scenarios/datasets.ts';
import { parseScenario } from '../../scenarios/load.ts';
import type { Report } from '../../verifier/report.ts';
import { runCli } from '../helpers/cli.ts';
import {
  describeIfKafkaBroker,
  describeIfLibrdkafka,
  describeIfLibrdkafkaOnMock,
  kafkaBootstrap,
  startKafkaBroker,
  startMockBroker,
  uniqueTopic,
} from '../helpers/kafka.ts';
import { tempDir, writeScenario } from '../helpers/scenario.ts';

/** Both producer clients, on Apache Kafka's broker; librdkafka's tests skip where its optional package does not load (a failure in CI). */
const clients = [
  { client: 'kafkajs', describe: describeIfKafkaBroker },
  { client: 'librdkafka', describe: describeIfLibrdkafka },
] as const;

const count = 500;
const scenario = parseScenario(`name: t\nseed: 21\ndatasets:\n  lol: { count: ${count}, faults: { duplicate: 0.05, malformed: 0.04 } }\n`, 'x.yaml');
const generator = () => createGenerator('lol', generatorConfig(21, Date.UTC(2026, 0, 1), scenario.datasets.lol!));

/** Not the broker's default (3): the topic is created with the scenario's count. */
const partitions = 4;

/** Produces the dataset through the transport, then reads every message of the run back. */
async function produceAndRead(spec: Partial<KafkaTransportSpec>) {
  const transport = kafka.create(kafkaSpec.parse({ type: 'kafka', topics: { lol: { name: uniqueTopic(), partitions } }, batchSize: 100, ...spec }), {
    runId: 'r1',
    runDir: tempDir(),
    env: { KAFKA_BROKERS: kafkaBootstrap() },
    log: () => {},
  });
  await transport.prepare(['lol']);
  const outcome = await transport.produce({ generator: generator(), count, paced: false });
  await transport.finish();
  await transport.close();
  const range = transport.location().topics.lol!;
  const client = new Kafka({ brokers: [kafkaBootstrap()], logLevel: logLevel.NOTHING });
  const read = new BoundedTopicRead(client, range, 'test-read', (partition, message) => ({ partition, message }));
  const messages: { partition: number; message: KafkaMessage }[] = [];
  try {
    await read.scan((page) => messages.push(...page));
  } finally {
    await read.close();
  }
  return { outcome, messages, partitionCount: Object.keys(range.start).length };
}

const messages = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: Buffer.from(`v${i}`) }));

/** A librdkafka producer that has sent 5 messages (so it is connected and knows the topic), closed after `use`. */
async function withProducer(brokers: string[], topic: string, use: (producer: ChunkProducer) => Promise<void>): Promise<void> {
  const producer = await openLibrdkafkaProducer({
    brokers,
    topic,
    clientId: 'test',
    acks: -1,
    compression: 'none',
    batchSize: 100,
    inFlight: 4,
    log: () => {},
  });
  try {
    await producer.send(messages(5));
    await use(producer);
  } finally {
    await producer.close();
  }
}

for (const { client, describe: describeClient } of clients) {
  describeClient(`transport.client: ${client} (Apache Kafka broker)`, () => {
    it('sends the header only where the key cannot name the record; every record once, in the partition kafkajs picks for its key', async () => {
      const { outcome, messages, partitionCount } = await produceAndRead({ client });
      expect(partitionCount).toBe(partitions);
      const g = generator();
      const indices = messages.map(({ message }) => messageIndex(message, 'r1', keyDecoder(g)));
      expect(indices.toSorted((a, b) => (a as number) - (b as number))).toEqual([...Array(count).keys()]);
      const partitioner = Partitioners.DefaultPartitioner();
      const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
        partitionId,
        leader: 1,
        partitionErrorCode: 0,
        replicas: [1],
        isr: [1],
      }));
      for (const [at, { partition, message }] of messages.entries()) {
        const index = indices[at] as number;
        const duplicate = g.planner.plan(index).kind === 'duplicate';
        expect(message.headers?.harness !== undefined).toBe(duplicate);
        expect(String(message.key)).toBe(g.recordKey(g.planner.origin(index).origin));
        expect(partition).toBe(partitioner({ topic: 't', partitionMetadata, message: { key: message.key, value: null } }));
        // The send time is the message's own timestamp.
        expect(Number(message.timestamp)).toBeGreaterThanOrEqual(outcome.startedAtMs);
        expect(Number(message.timestamp)).toBeLessThanOrEqual(outcome.finishedAtMs);
      }
      expect(messages.filter(({ message }) => message.headers?.harness !== undefined).length).toBeGreaterThan(0);
    });

    it('headers: true stamps every message for consumers of your own', async () => {
      const { messages } = await produceAndRead({ client, headers: true });
      expect(messages).toHaveLength(count);
      const stamped = messages.map(({ message }) => parseHarnessHeader(headerValue(message, 'harness')));
      expect(stamped.every((h) => h?.runId === 'r1' && h.sentAtMs > 0 && h.intendedAtMs > 0)).toBe(true);
      expect(stamped.map((h) => h?.index).toSorted((a, b) => (a as number) - (b as number))).toEqual([...Array(count).keys()]);
    });

    it('runs end to end and passes, dead-letter topic included', async () => {
      const cwd = tempDir();
      const path = writeScenario(
        cwd,
        [
          'name: kafka-client',
          'seed: 21',
          `transport: { type: kafka, client: ${client}, topics: { lol: { name: ${uniqueTopic()} } }, batchSize: 100 }`,
          'pipeline: { type: reference, batchSize: 150, pollInterval: 20ms }',
          'datasets:',
          '  lol: { count: 600, rate: 0, faults: { duplicate: 0.03, malformed: 0.05, future: 0.01, late: 0.02 } }',
        ].join('\n'),
      );
      const run = await runCli(['run', path, '--quiet'], { cwd, env: { KAFKA_BROKERS: kafkaBootstrap() } });
      expect(run.code, run.stdout + run.stderr).toBe(ExitCode.ok);
      const report = JSON.parse(readFileSync(join(latestRunDir(join(cwd, '.harness')), 'report.json'), 'utf8')) as Report;
      const exactlyOnce = report.checks.find((c) => c.name === 'exactly-once')?.figures;
      expect(exactlyOnce).toMatchObject({ missing: 0, duplicateRows: 0, unexpected: 0 });
      expect(exactlyOnce?.rows).toBe(exactlyOnce?.expected);
      expect(report.checks.find((c) => c.name === 'dlq-topic')?.figures).toMatchObject({ missed: 0, unmapped: 0, conflicting: 0, validDeadLettered: 0 });
      expect(report.checks.find((c) => c.name === 'dlq-capture')?.figures).toMatchObject({ missed: 0, unmapped: 0, duplicates: 0 });
    });
  });
}

describeIfLibrdkafka("transport.client: librdkafka with Apache Kafka's broker killed", () => {
  it('holds a send while the broker is down and settles it once the broker is back, every message in the topic once', async () => {
    // A broker of its own, to kill.
    const broker = await startKafkaBroker({ partitions: 3 });
    try {
      const topic = uniqueTopic();
      await withProducer([broker.bootstrap], topic, async (producer) => {
        await broker.kill('SIGKILL');
        let settled = false;
        const sent = producer.send(messages(50)).then(() => (settled = true));
        await sleep(1500);
        expect(settled).toBe(false);
        await broker.restart();
        await sent;
      });
      const admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      const offsets = await admin.fetchTopicOffsets(topic);
      await admin.disconnect();
      // Nothing was in flight at the kill (the first 5 were acknowledged), so nothing is sent twice.
      expect(offsets.reduce((sum, { high }) => sum + Number(high), 0)).toBe(55);
    } finally {
      await broker.stop();
    }
  });
});

describeIfLibrdkafkaOnMock('transport.client: librdkafka with a broker that delays or refuses requests (librdkafka mock cluster)', () => {
  it('settles a send only once the broker has acknowledged its messages, not when they are queued', async () => {
    // On the mock cluster: Kafka's own broker cannot be told to hold its produce responses.
    const broker = await startMockBroker(1);
    try {
      await withProducer(broker.brokers, uniqueTopic(), async (producer) => {
        await broker.command('rtt 1 800');
        const started = performance.now();
        await producer.send(messages(10));
        // Each produce response is held 800 ms: queued is not sent.
        expect(performance.now() - started).toBeGreaterThanOrEqual(750);
      });
    } finally {
      await broker.stop();
    }
  });

  it('fails a send whose messages the broker refuses for good, and every send after it', async () => {
    // On the mock cluster: Kafka's own broker cannot be told to refuse valid records.
    const broker = await startMockBroker(1);
    try {
      await withProducer(broker.brokers, uniqueTopic(), async (producer) => {
        // Produce (API 0) answered with INVALID_RECORD (87), which is not retriable.
        await broker.command('errors 0 50 87');
        await expect(producer.send(messages(5))).rejects.toThrow(/invalid|record/i);
        await expect(producer.send(messages(1))).rejects.toThrow(/invalid|record/i);
      });
    } finally {
      await broker.stop();
    }
  });
});
