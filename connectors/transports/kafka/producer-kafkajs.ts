import { createKafka, kafkajs } from './client.ts';
import type { ChunkProducer, ProducerSettings } from './producer.ts';

/**
 * The default client: kafkajs, pure JavaScript. Each send is one produce request (`batchSize` is
 * the chunk's size, `inFlight` the engine's limit on outstanding chunks); its retries (about a
 * minute) ride out a broker going down mid-run. Idempotent and transactional producers are not
 * used: the harness must not depend on broker-side transactions, and the sink's keys absorb a
 * retry's duplicate.
 */
export async function openKafkajsProducer(settings: ProducerSettings): Promise<ChunkProducer> {
  const { CompressionTypes, Partitioners } = kafkajs();
  const producer = createKafka(settings.brokers, settings.clientId, settings.log).producer({
    allowAutoTopicCreation: true,
    idempotent: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const compression = settings.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
  const { topic, acks } = settings;
  return {
    send: async (messages) => {
      await producer.send({ topic, acks, compression, messages });
    },
    close: () => producer.disconnect().catch(() => {}),
  };
}
