import type { Message } from 'kafkajs';
import type { ChunkWriter, WriterContext } from '../transport.ts';
import { createKafka, kafkajs } from './client.ts';
import { formatHarnessHeader, HARNESS_HEADER } from './header.ts';

export interface KafkaWriterOptions {
  brokers: string[];
  topic: string;
  runId: string;
  acks: -1 | 0 | 1;
  compression: 'none' | 'gzip';
  /** Records already in the topic (a resumed run): left out of their chunks. */
  skip?: number[];
}

/**
 * One producer of its own per thread; each chunk is one produce request. Key = the record's id (a
 * duplicate keeps its original's), value = the generator's bytes (malformed ones exactly as
 * made), and the harness header stamped with the send time, so messages are built only when the
 * chunk is due.
 */
export async function openKafkaWriter(options: KafkaWriterOptions, { generator, startedAtMs, log }: WriterContext): Promise<ChunkWriter> {
  const kafka = createKafka(options.brokers, `harness-producer-${options.runId}`, log);
  // Idempotent and transactional producers are not used: the harness must not depend on
  // broker-side transactions, and the sink's keys absorb a retry's duplicate.
  const { CompressionTypes, Partitioners } = kafkajs();
  const producer = kafka.producer({ allowAutoTopicCreation: true, idempotent: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const compression = options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;

  const skip = new Set(options.skip ?? []);
  const messagesOf = (first: number, end: number): Message[] => {
    const messages: Message[] = [];
    const sentAtMs = Date.now();
    for (let i = first; i < end; i++) {
      if (skip.has(i)) continue;
      const { origin, plan } = generator.planner.origin(i);
      const payload = generator.payloadOf(origin, plan);
      const intendedAtMs = Math.round(startedAtMs + generator.schedule.offsetMs(i));
      messages.push({
        key: generator.recordKey(origin),
        value: typeof payload === 'string' ? Buffer.from(payload) : payload,
        headers: { [HARNESS_HEADER]: formatHarnessHeader({ runId: options.runId, index: i, sentAtMs, intendedAtMs }) },
      });
    }
    return messages;
  };

  return {
    prepare: ({ first, end }) => async () => {
      await producer.send({ topic: options.topic, acks: options.acks, compression, messages: messagesOf(first, end) });
      return null;
    },
    close: () => producer.disconnect().catch(() => {}),
  };
}
