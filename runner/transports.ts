import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import type { Shard } from '../connectors/chunks.ts';
import { datasetDir, produceToFiles } from '../connectors/files/file-producer.ts';
import { createKafka, kafkaBrokers } from '../connectors/kafka/client.ts';
import { produceToKafka } from '../connectors/kafka/producer.ts';
import { ensureTopic, highWatermarks } from '../connectors/kafka/topics.ts';
import type { CommittedFile } from '../connectors/files/rotated-writer.ts';
import type { Offsets, RunManifest, TransportLocation } from '../runs/manifest.ts';
import type { DatasetName, Generator } from '../generators/index.ts';
import { CsvFileSource } from '../pipeline/sources/csv-files.ts';
import { KafkaSource } from '../pipeline/sources/kafka.ts';
import type { Source } from '../pipeline/source.ts';
import type { TransportSpec } from '../scenarios/schema.ts';

export interface ProduceOutcome {
  startedAtMs: number;
  finishedAtMs: number;
  records: number;
  files: CommittedFile[];
}

export interface ProduceRequest {
  generator: Generator;
  count: number;
  workers: number;
  shard?: Shard;
  signal: AbortSignal;
}

/**
 * Where a run's records go, and how the reference pipeline reads them back: one implementation
 * per transport type. `prepare()` runs before producing, `finish()` after all datasets are done.
 */
export interface RunTransport {
  prepare(datasets: DatasetName[]): Promise<void>;
  produce(request: ProduceRequest): Promise<ProduceOutcome>;
  finish(): Promise<void>;
  /** Sources for a pipeline running alongside the producers. */
  sources(generators: Generator[]): Source[];
  location(): TransportLocation;
  close(): Promise<void>;
}

/** Files keep their rotation settings; a Kafka scenario written to files uses these. */
export function fileRotation(transport: TransportSpec): { rotateRecords: number; rotateInterval: number } {
  return transport.type === 'csv' ? transport : { rotateRecords: 50_000, rotateInterval: 1000 };
}

class CsvTransport implements RunTransport {
  constructor(
    private readonly dir: string,
    private readonly spec: { rotateRecords: number; rotateInterval: number },
  ) {}

  async prepare(): Promise<void> {}

  async produce({ generator, count, workers, shard, signal }: ProduceRequest): Promise<ProduceOutcome> {
    return produceToFiles({
      dataset: generator.dataset,
      config: generator.config,
      dir: datasetDir(this.dir, generator.dataset),
      count,
      rotateRecords: this.spec.rotateRecords,
      rotateIntervalMs: this.spec.rotateInterval,
      workers,
      ...(shard ? { shard } : {}),
      signal,
    });
  }

  async finish(): Promise<void> {}

  sources(generators: Generator[]): Source[] {
    return generators.map((g) => new CsvFileSource(g.dataset, datasetDir(this.dir, g.dataset), g.header === null ? 0 : 1));
  }

  location(): TransportLocation {
    return { type: 'csv', dir: this.dir };
  }

  async close(): Promise<void> {}
}

class KafkaTransport implements RunTransport {
  private readonly kafka: Kafka;
  private readonly topics: Partial<Record<DatasetName, { name: string; start: Offsets; end: Offsets }>> = {};
  private endReached!: () => void;
  private readonly ended = new Promise<void>((resolve) => (this.endReached = resolve));

  constructor(
    private readonly spec: Extract<TransportSpec, { type: 'kafka' }>,
    private readonly brokers: string[],
    private readonly runId: string,
    private readonly consumerGroup: string,
    private readonly log: (line: string) => void,
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

  async produce({ generator, count, workers, shard, signal }: ProduceRequest): Promise<ProduceOutcome> {
    const result = await produceToKafka({
      brokers: this.brokers,
      dataset: generator.dataset,
      config: generator.config,
      topic: this.spec.topics[generator.dataset].name,
      runId: this.runId,
      count,
      batchSize: this.spec.batchSize,
      inFlight: this.spec.inFlight,
      acks: this.spec.acks,
      compression: this.spec.compression,
      paced: true,
      workers,
      ...(shard ? { shard } : {}),
      log: this.log,
      signal,
    });
    return { ...result, files: [] };
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

  sources(generators: Generator[]): Source[] {
    return generators.map((g) => {
      const topic = this.topics[g.dataset] as { name: string; start: Offsets; end: Offsets };
      return new KafkaSource({
        kafka: this.kafka,
        dataset: g.dataset,
        topic: topic.name,
        groupId: this.consumerGroup,
        start: topic.start,
        end: this.ended.then(() => topic.end),
      });
    });
  }

  location(): TransportLocation {
    return { type: 'kafka', brokers: this.brokers, consumerGroup: this.consumerGroup, topics: this.topics };
  }

  async close(): Promise<void> {}
}

export function createTransport(spec: TransportSpec, runDir: string, runId: string, env: NodeJS.ProcessEnv, log: (line: string) => void): RunTransport {
  if (spec.type === 'csv') return new CsvTransport(spec.dir ?? join(runDir, 'data'), spec);
  return new KafkaTransport(spec, kafkaBrokers(env), runId, spec.consumerGroup ?? `harness-${runId}`, log);
}

/** Sources reading back a finished run's data, for `harness pipeline`. */
export function sourcesFromManifest(manifest: RunManifest, generators: Generator[], env: NodeJS.ProcessEnv, log: (line: string) => void): Source[] {
  const transport = manifest.transport;
  if (transport.type === 'csv') return new CsvTransport(transport.dir, fileRotation(manifest.scenario.transport)).sources(generators);
  const kafka = createKafka(kafkaBrokers(env), `harness-pipeline-${manifest.runId}`, log);
  return generators.map((g) => {
    const topic = transport.topics[g.dataset] as { name: string; start: Offsets; end: Offsets };
    return new KafkaSource({ kafka, dataset: g.dataset, topic: topic.name, groupId: transport.consumerGroup, start: topic.start, end: Promise.resolve(topic.end) });
  });
}
