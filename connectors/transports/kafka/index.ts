import type { Kafka } from 'kafkajs';
import { HarnessError, messageOf } from '../../../core/errors.ts';
import type { DatasetName, Generator } from '../../../generators/index.ts';
import type { Source } from '../../../pipeline/source.ts';
import { wholeDataset } from '../chunks.ts';
import { produceChunks } from '../engine.ts';
import type { Log, ProduceOutcome, ProduceRequest, RunTransport, TransportComponent } from '../transport.ts';
import { createKafka, kafkaBrokers } from './client.ts';
import { KafkaDeadLetterTopic } from './dead-letter-topic.ts';
import { KafkaSource } from './source.ts';
import { kafkaSpec, type KafkaTransportSpec } from './spec.ts';
import { ensureTopic, highWatermarks, type Offsets } from './topics.ts';
import { openKafkaWriter, type KafkaWriterOptions } from './writer.ts';

/** A dataset's topic and the run's offsets in it, [start, end) in each partition. */
export interface TopicRange {
  name: string;
  start: Offsets;
  end: Offsets;
}

/** Where a run's records went: a range of offsets in each dataset's topic. */
export interface KafkaLocation {
  type: 'kafka';
  /** Brokers at run time (host:port only; credentials never stored). */
  brokers: string[];
  consumerGroup: string;
  topics: Partial<Record<DatasetName, TopicRange>>;
}

function sourcesOver(kafka: Kafka, location: KafkaLocation, generators: Generator[], end: (topic: TopicRange) => Promise<Offsets>): Source[] {
  return generators.map((g) => {
    const topic = location.topics[g.dataset] as TopicRange;
    return new KafkaSource({ kafka, dataset: g.dataset, topic: topic.name, groupId: location.consumerGroup, start: topic.start, end: end(topic) });
  });
}

/**
 * Topics per dataset; each chunk of the engine is one produce request. The run's offsets are
 * taken before producing and after, so readers see exactly this run's records (seed 004: bounded
 * reads, never a whole-topic scan).
 */
class KafkaTransport implements RunTransport<KafkaLocation> {
  private readonly kafka: Kafka;
  private readonly topics: Partial<Record<DatasetName, TopicRange>> = {};
  private endReached!: () => void;
  private readonly ended = new Promise<void>((resolve) => (this.endReached = resolve));

  constructor(
    private readonly spec: KafkaTransportSpec,
    private readonly brokers: string[],
    private readonly runId: string,
    private readonly consumerGroup: string,
    private readonly log: Log,
  ) {
    this.kafka = createKafka(brokers, `harness-${runId}`, log);
  }

  async prepare(datasets: DatasetName[]): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      for (const dataset of datasets) {
        const { name, partitions } = this.spec.topics[dataset];
        await ensureTopic(admin, name, partitions, this.log);
        const start = await highWatermarks(admin, name);
        this.topics[dataset] = { name, start, end: start };
      }
    } finally {
      await admin.disconnect();
    }
  }

  async produce({ generator, count, workers = 1, shard = wholeDataset, paced = true, signal }: ProduceRequest): Promise<ProduceOutcome> {
    const topic = this.spec.topics[generator.dataset].name;
    try {
      const result = await produceChunks<KafkaWriterOptions>({
        transport: kafka,
        writerOptions: { brokers: this.brokers, topic, runId: this.runId, acks: this.spec.acks, compression: this.spec.compression },
        generator,
        plan: { count, size: this.spec.batchSize },
        shard,
        workers,
        paced,
        inFlight: this.spec.inFlight,
        log: this.log,
        ...(signal ? { signal } : {}),
      });
      return { startedAtMs: result.startedAtMs, finishedAtMs: result.finishedAtMs, records: result.records, files: [] };
    } catch (error) {
      throw new HarnessError('unreachable', `[${generator.dataset}] producing to Kafka topic ${topic} failed after retries: ${messageOf(error)}`, { cause: error });
    }
  }

  /** Records each partition's end offset (high watermark) so readers stop at the run's end. */
  async finish(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      for (const topic of Object.values(this.topics)) if (topic) topic.end = await highWatermarks(admin, topic.name);
    } finally {
      await admin.disconnect();
    }
    this.endReached();
  }

  /** The end offsets are known only once producing has finished; the sources wait for them. */
  sources(generators: Generator[]): Source[] {
    return sourcesOver(this.kafka, this.location(), generators, (topic) => this.ended.then(() => topic.end));
  }

  location(): KafkaLocation {
    return { type: 'kafka', brokers: this.brokers, consumerGroup: this.consumerGroup, topics: this.topics };
  }

  async close(): Promise<void> {}
}

export const kafka = {
  type: 'kafka',
  spec: kafkaSpec,
  create: (spec, { runId, env, log }) => new KafkaTransport(spec, kafkaBrokers(env), runId, spec.consumerGroup ?? `harness-${runId}`, log),
  // Brokers are read from the environment again, as every server is after the run: the manifest's list is a record.
  sourcesFor: (location, generators, { runId, env, log }) =>
    sourcesOver(createKafka(kafkaBrokers(env), `harness-pipeline-${runId}`, log), location, generators, (topic) => Promise.resolve(topic.end)),
  deadLetterPublisher: (spec, { runId, env, log }) =>
    spec.deadLetterTopic ? new KafkaDeadLetterTopic(createKafka(kafkaBrokers(env), `harness-dlq-${runId}`, log), (dataset) => spec.topics[dataset].name) : null,
  openWriter: openKafkaWriter,
} satisfies TransportComponent<'kafka', KafkaTransportSpec, KafkaLocation, KafkaWriterOptions>;
