import type { ChunkWriter, WriterContext } from '../transport.ts';
import { chunkMessages } from './messages.ts';
import type { ChunkProducer, ProducerSettings } from './producer.ts';
import { openKafkajsProducer } from './producer-kafkajs.ts';
import { openLibrdkafkaProducer } from './producer-librdkafka.ts';
import type { KafkaTransportSpec } from './spec.ts';

export interface KafkaWriterOptions {
  brokers: string[];
  topic: string;
  runId: string;
  client: KafkaTransportSpec['client'];
  /** Every message carries the `harness` header. */
  headers: boolean;
  acks: -1 | 0 | 1;
  compression: 'none' | 'gzip';
  batchSize: number;
  inFlight: number;
  /** Records already in the topic (a resumed run): left out of their chunks. */
  skip?: number[];
}

const producers = { kafkajs: openKafkajsProducer, librdkafka: openLibrdkafkaProducer } satisfies Record<
  KafkaWriterOptions['client'],
  (settings: ProducerSettings) => Promise<ChunkProducer>
>;

/**
 * One producer of its own per thread; each chunk is one send. The messages are built when the
 * chunk is due: with `headers` they are stamped with the send time.
 */
export async function openKafkaWriter(options: KafkaWriterOptions, { generator, startedAtMs, log }: WriterContext): Promise<ChunkWriter> {
  const { brokers, topic, acks, compression, batchSize, inFlight } = options;
  const producer = await producers[options.client]({
    brokers,
    topic,
    clientId: `harness-producer-${options.runId}`,
    acks,
    compression,
    batchSize,
    inFlight,
    log,
  });
  const messageOptions = { runId: options.runId, headers: options.headers, startedAtMs, skip: new Set(options.skip ?? []) };
  return {
    prepare:
      ({ first, end }) =>
      async () => {
        await producer.send(chunkMessages(generator, first, end, messageOptions));
        return null;
      },
    close: () => producer.close(),
  };
}
