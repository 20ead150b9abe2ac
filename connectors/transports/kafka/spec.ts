import { z } from 'zod';
import { duration } from '../../../core/fields.ts';

const topic = (name: string) =>
  z
    .object({
      name: z
        .string()
        .regex(/^[A-Za-z0-9._-]{1,249}$/)
        .default(name)
        .describe('Topic name.'),
      partitions: z.number().int().min(1).max(10_000).default(3).describe('Partitions, when the harness creates the topic.'),
    })
    .strict()
    .prefault({});

/** `transport: { type: kafka, ... }` in a scenario. Brokers are not here: they come from KAFKA_BROKERS. */
export const kafkaSpec = z
  .object({
    type: z.literal('kafka').describe('Kafka topics (brokers from KAFKA_BROKERS), keyed by record id.'),
    client: z
      .enum(['kafkajs', 'librdkafka'])
      .default('kafkajs')
      .describe(
        'Producer client. kafkajs: pure JavaScript, always installed. librdkafka: @confluentinc/kafka-javascript (an optional dependency with a native build), about 3x the throughput from one producer thread; consumers stay on kafkajs.',
      ),
    headers: z
      .boolean()
      .default(false)
      .describe(
        "Stamp every message with the `harness` header (<run id> <index> <sent at ms> <intended send at ms>) for consumers of your own. Off: only messages whose key cannot name their index carry it (a duplicate keeps its original's key; ids that are not invertible, idScheme md5), since one header costs kafkajs a fifth of its throughput.",
      ),
    topics: z
      .object({ ecommerce: topic('user_events'), lol: topic('lol_matches') })
      .strict()
      .prefault({})
      .describe('Topic per dataset (seed 002: lol_matches, 3 partitions).'),
    batchSize: z.number().int().min(1).max(100_000).default(2000).describe('Messages per produce request.'),
    inFlight: z.number().int().min(1).max(64).default(4).describe('Produce requests outstanding at once, per producer.'),
    acks: z
      .union([z.literal(-1), z.literal(0), z.literal(1)])
      .default(-1)
      .describe('-1: all in-sync replicas (safe); 1: leader; 0: none.'),
    compression: z.enum(['none', 'gzip']).default('none').describe('Batch compression.'),
    deadLetterTopic: z.boolean().default(true).describe('Also send dead letters to <topic>.dlq, key and headers kept, reason headers added.'),
    consumerGroup: z.string().min(1).optional().describe('Consumer group of the reference pipeline; default harness-<run id>.'),
    connectTimeout: duration
      .prefault('30s')
      .refine((ms) => ms > 0, 'expected a duration above 0')
      .describe(
        'How long the first contact with the brokers may take (harness run, harness pipeline) before exit 3 naming KAFKA_BROKERS; once reached, a broker going down mid-run is retried for about a minute.',
      ),
  })
  .strict();

export type KafkaTransportSpec = z.output<typeof kafkaSpec>;
