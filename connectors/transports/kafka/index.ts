import { availableParallelism } from 'node:os';
import type { Kafka } from 'kafkajs';
import { HarnessError } from '../../../core/errors.ts';
import type { DatasetName, Generator } from '../../../generators/index.ts';
import type { Source } from '../../../pipeline/source.ts';
import { scheduledPlan, wholeDataset, type ChunkPlan } from '../chunks.ts';
import { produceChunks } from '../engine.ts';
import type { Log, ProduceOutcome, ProduceRequest, RunTransport, TransportComponent } from '../transport.ts';
import { classifyKafkaFailure, createKafka, defaultConnectTimeoutMs, kafkaBrokers, reachBrokers } from './client.ts';
import { KafkaDeadLetterReader, type DeadLetterRange } from './dead-letter-reader.ts';
import { deliveredRecords } from './resume.ts';
import { deadLetterTopicName, KafkaDeadLetterTopic } from './dead-letter-topic.ts';
import { keyDecoder } from './messages.ts';
import { LIBRDKAFKA_WINDOW, librdkafka } from './producer-librdkafka.ts';
import { KafkaSource } from './source.ts';
import { kafkaSpec, type KafkaTransportSpec } from './spec.ts';
import { ensureTopic, highWatermarks, type Offsets } from './topics.ts';
import { openKafkaWriter, type KafkaWriterOptions } from './writer.ts';

/** A dataset's topic and the run's offsets in it, [start, end) in each partition. */
export interface TopicRange {
  name: string;
  start: Offsets;
  end: Offsets;
  /**
   * With `deadLetterTopic`: `<topic>.dlq` and its offsets when the run started. Its end is read
   * when the verifier reads it back (the pipeline may still be writing until then).
   */
  deadLetters?: DeadLetterRange;
}

/** Where a run's records went: a range of offsets in each dataset's topic. */
export interface KafkaLocation {
  type: 'kafka';
  /** Brokers at run time (host:port only; credentials never stored). */
  brokers: string[];
  consumerGroup: string;
  topics: Partial<Record<DatasetName, TopicRange>>;
  /** The scenario's budget for the first contact, which `harness pipeline` keeps (absent in older manifests: the default). */
  connectTimeoutMs?: number;
}

function sourcesOver(
  kafka: Kafka,
  runId: string,
  location: KafkaLocation,
  generators: Generator[],
  end: (topic: TopicRange) => Promise<Offsets>,
  firstContact?: () => Promise<void>,
): Source[] {
  return generators.map((g) => {
    const topic = location.topics[g.dataset] as TopicRange;
    return new KafkaSource({
      kafka,
      dataset: g.dataset,
      topic: topic.name,
      groupId: location.consumerGroup,
      start: topic.start,
      end: end(topic),
      runId,
      decode: keyDecoder(g),
      ...(firstContact ? { firstContact } : {}),
    });
  });
}

/**
 * How many threads produce for `--workers N`. A kafkajs producer keeps its thread busy (its
 * protocol encoder is JavaScript), so threads past the cores only contend: measured on 2 cores, 4
 * producers sent 0.72x what 2 did. librdkafka's binding loads in one thread of a process (a second
 * gets "Module did not self-register"), and sends from threads of its own: one producer, this thread.
 */
function producerThreads(client: KafkaTransportSpec['client'], workers: number): number {
  return client === 'librdkafka' ? 1 : Math.max(1, Math.min(workers, availableParallelism()));
}

/**
 * Under a load profile a produce request holds at most this much of the schedule: sent when its
 * last record is due, its first waited at most this long (and the rate's changes show per second).
 */
const PROFILE_BATCH_SPAN_MS = 100;

/** One produce request per chunk: `batchSize` records, under a load profile also at most PROFILE_BATCH_SPAN_MS of the schedule. */
function batchPlan(spec: KafkaTransportSpec, generator: Generator, count: number): ChunkPlan {
  return generator.config.load ? scheduledPlan(generator.schedule, count, spec.batchSize, PROFILE_BATCH_SPAN_MS) : { count, size: spec.batchSize };
}

/**
 * Chunks the engine keeps outstanding. kafkajs: one produce request each. librdkafka confirms
 * chunks by flushing its queue, which waits for every message in it: a large window keeps the
 * waits rare (see LIBRDKAFKA_WINDOW).
 */
function chunksInFlight({ client, inFlight, batchSize }: KafkaTransportSpec): number {
  return client === 'librdkafka' ? Math.max(inFlight, Math.ceil(LIBRDKAFKA_WINDOW / batchSize)) : inFlight;
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
  private readonly reached: Promise<void>;
  private readonly stopReaching = new AbortController();

  constructor(
    private readonly spec: KafkaTransportSpec,
    private readonly brokers: string[],
    private readonly runId: string,
    private readonly consumerGroup: string,
    private readonly log: Log,
    /** A resumed run's topics and offsets, as its manifest recorded them. */
    recorded?: Partial<Record<DatasetName, TopicRange>>,
  ) {
    // A client that cannot load is a configuration error now, not a failed produce later.
    if (spec.client === 'librdkafka') librdkafka();
    this.kafka = createKafka(brokers, `harness-${runId}`, log);
    if (recorded) Object.assign(this.topics, structuredClone(recorded));
    // The first contact starts now, alongside the sink's connect, bounded by connectTimeout;
    // prepare() waits for it and reports it. close() stops it when the run ends before.
    this.reached = reachBrokers(brokers, spec.connectTimeout, log, this.stopReaching.signal);
    this.reached.catch(() => {});
  }

  async prepare(datasets: DatasetName[]): Promise<void> {
    // The run's first contact with the cluster: bounded, so unreachable brokers are exit 3 in seconds.
    await this.reached;
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      for (const dataset of datasets) {
        const { name, partitions } = this.spec.topics[dataset];
        await ensureTopic(admin, name, partitions, this.log);
        const start = await highWatermarks(admin, name);
        const range: TopicRange = { name, start, end: start };
        if (this.spec.deadLetterTopic) {
          // Created now, with the data topic's partitions, so that its start offsets exist to record.
          const deadLetters = deadLetterTopicName(name);
          await ensureTopic(admin, deadLetters, partitions, this.log);
          range.deadLetters = { name: deadLetters, start: await highWatermarks(admin, deadLetters) };
        }
        this.topics[dataset] = range;
      }
    } finally {
      await admin.disconnect();
    }
  }

  async produce({
    generator,
    count,
    workers = 1,
    shard = wholeDataset,
    paced = true,
    signal,
    onDelivered,
    onStarted,
    resume,
  }: ProduceRequest): Promise<ProduceOutcome> {
    const topic = this.spec.topics[generator.dataset].name;
    const plan = batchPlan(this.spec, generator, count);
    try {
      await this.reached;
      const range = this.topics[generator.dataset];
      // Resuming: what the topic already holds of this run is not sent again (its key or header names each record).
      const delivered = resume && range ? await deliveredRecords(this.kafka, range, this.runId, plan, keyDecoder(generator)) : null;
      const threads = producerThreads(this.spec.client, workers);
      if (threads < workers)
        this.log(
          `[${generator.dataset}] ${threads} producer thread${threads > 1 ? 's' : ''}, not ${workers}: ${this.spec.client === 'librdkafka' ? 'librdkafka sends from threads of its own' : `${availableParallelism()} cores`}`,
        );
      const result = await produceChunks<KafkaWriterOptions>({
        transport: kafka,
        writerOptions: {
          brokers: this.brokers,
          topic,
          runId: this.runId,
          client: this.spec.client,
          headers: this.spec.headers,
          acks: this.spec.acks,
          compression: this.spec.compression,
          batchSize: this.spec.batchSize,
          inFlight: this.spec.inFlight,
          ...(delivered ? { skip: delivered.partial } : {}),
        },
        generator,
        plan,
        shard,
        workers: threads,
        paced,
        inFlight: chunksInFlight(this.spec),
        log: this.log,
        ...(signal ? { signal } : {}),
        ...(onDelivered ? { onDelivered } : {}),
        ...(onStarted ? { onStarted } : {}),
        ...(delivered && resume ? { startedAtMs: resume.startedAtMs, only: (chunk: number) => !delivered.wholeChunks.has(chunk) } : {}),
      });
      const records = delivered ? delivered.records + result.records - delivered.partial.length : result.records;
      return { startedAtMs: result.startedAtMs, finishedAtMs: result.finishedAtMs, records, files: [] };
    } catch (error) {
      throw classifyKafkaFailure(error, `[${generator.dataset}] producing to Kafka topic ${topic}`);
    }
  }

  /** Records each partition's end offset (high watermark) so readers stop at the run's end. */
  async finish(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      for (const topic of Object.values(this.topics)) topic.end = await highWatermarks(admin, topic.name);
    } finally {
      await admin.disconnect();
    }
    this.endReached();
  }

  /** The end offsets are known only once producing has finished; the sources wait for them. */
  sources(generators: Generator[]): Source[] {
    return sourcesOver(this.kafka, this.runId, this.location(), generators, (topic) => this.ended.then(() => topic.end));
  }

  location(): KafkaLocation {
    return { type: 'kafka', brokers: this.brokers, consumerGroup: this.consumerGroup, topics: this.topics, connectTimeoutMs: this.spec.connectTimeout };
  }

  async close(): Promise<void> {
    this.stopReaching.abort();
  }
}

export const kafka = {
  type: 'kafka',
  spec: kafkaSpec,
  create: (spec, { runId, env, log }) => new KafkaTransport(spec, kafkaBrokers(env), runId, spec.consumerGroup ?? `harness-${runId}`, log),
  reopen: (spec, location, { runId, env, log }) => new KafkaTransport(spec, kafkaBrokers(env), runId, location.consumerGroup, log, location.topics),
  chunkPlan: batchPlan,
  positionConvention: "record_index = the record index from the message's harness header (source = topic:partition, position = offset)",
  describe: (location) =>
    `kafka ${location.brokers.join(',')} (${Object.values(location.topics)
      .map((topic) => topic.name)
      .join(', ')})`,
  followsProduction: false,
  // Brokers are read from the environment again, as every server is after the run: the manifest's list is a record.
  sourcesFor: (location, generators, { runId, env, log }) => {
    const brokers = kafkaBrokers(env);
    // `harness pipeline` first meets the cluster when its consumers connect: bounded like a run's prepare.
    const reached = () => reachBrokers(brokers, location.connectTimeoutMs ?? defaultConnectTimeoutMs, log);
    let first: Promise<void> | undefined;
    return sourcesOver(
      createKafka(brokers, `harness-pipeline-${runId}`, log),
      runId,
      location,
      generators,
      (topic) => Promise.resolve(topic.end),
      () => (first ??= reached()),
    );
  },
  deadLetterPublisher: (spec, { runId, env, log }) =>
    spec.deadLetterTopic
      ? new KafkaDeadLetterTopic(createKafka(kafkaBrokers(env), `harness-dlq-${runId}`, log), runId, (dataset) => spec.topics[dataset].name)
      : null,
  deadLetterReader: (location, { runId, env, log }) => {
    const ranges: Partial<Record<DatasetName, DeadLetterRange>> = {};
    for (const [dataset, topic] of Object.entries(location.topics) as [DatasetName, TopicRange | undefined][]) {
      if (topic?.deadLetters) ranges[dataset] = topic.deadLetters;
    }
    const names = Object.values(ranges).map((range) => range.name);
    if (names.length === 0) return null;
    if (!env.KAFKA_BROKERS?.trim()) {
      throw new HarnessError(
        'config',
        `this run's dead letters were also sent to Kafka (${names.join(', ')} on ${location.brokers.join(',')}); set KAFKA_BROKERS to read them back`,
      );
    }
    return new KafkaDeadLetterReader(createKafka(kafkaBrokers(env), `harness-verify-${runId}`, log), ranges, runId, log);
  },
  openWriter: openKafkaWriter,
} satisfies TransportComponent<'kafka', KafkaTransportSpec, KafkaLocation, KafkaWriterOptions>;
