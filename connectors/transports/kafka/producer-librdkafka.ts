import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { HarnessError, messageOf } from '../../../core/errors.ts';
import type { ChunkProducer, ProducerSettings } from './producer.ts';

/**
 * The part of @confluentinc/kafka-javascript's low-level API the harness uses, declared here: the
 * package is an optional dependency, so its own types may be absent and must not break a build.
 */
interface RdError extends Error {
  code: number;
}

interface RdProducer {
  connect(options: { topic: string; timeout: number }, callback: (error: RdError | null) => void): void;
  produce(topic: string, partition: null, value: Buffer, key: string, timestamp: null, opaque: null, headers?: { [name: string]: string }[]): void;
  on(event: 'delivery-report', listener: (error: RdError | null) => void): void;
  on(event: 'event.error', listener: (error: RdError) => void): void;
  setPollInBackground(on: boolean): void;
  disconnect(timeoutMs: number, callback: () => void): void;
}

interface RdKafka {
  Producer: new (config: Record<string, string | number | boolean>) => RdProducer;
  CODES: { ERRORS: { ERR__QUEUE_FULL: number } };
}

export const librdkafkaPackage = '@confluentinc/kafka-javascript';

let loaded: RdKafka | undefined;

/**
 * The librdkafka binding, loaded on first use. Missing (not installed, or its native build failed
 * and npm left the optional package out) it is a configuration error naming the way to get it.
 */
export function librdkafka(): RdKafka {
  if (loaded) return loaded;
  try {
    loaded = createRequire(import.meta.url)(librdkafkaPackage) as RdKafka;
  } catch (error) {
    throw new HarnessError(
      'config',
      `transport.client: librdkafka needs ${librdkafkaPackage}, an optional dependency, which did not load here (${messageOf(error).split('\n')[0]}): ` +
        `run \`npm install ${librdkafkaPackage}\` (prebuilt binaries download on install; offline, build it against librdkafka-dev with CKJS_LINKING=dynamic), or use client: kafkajs`,
      { cause: error },
    );
  }
  return loaded;
}

/** How long librdkafka retries a message before its delivery fails: about as long as kafkajs's retries. */
const MESSAGE_TIMEOUT_MS = 60_000;

/**
 * `transport.client: librdkafka`: librdkafka's own producer through its low-level `produce()`,
 * which queues a message in C and returns (measured here: 168k msgs/s against 73k through the
 * package's KafkaJS-compatible promise API). librdkafka batches and sends on its own threads, and
 * reports each message's delivery (with acks=-1, once all in-sync replicas have it).
 *
 * A chunk counts as sent once as many delivery reports have come as it and every chunk before it
 * hold messages: never more records counted than delivered, and the last chunk only once every
 * message is. Reports are counted rather than matched to their chunk: an opaque per message, to
 * tell chunks apart, cost 2 us a message (a fifth of the throughput). A failed delivery (after
 * librdkafka's own retries) fails every send outstanding and every one after.
 *
 * The partitioner is kafkajs's (Java's murmur2), so a key lands in the same partition whichever
 * client sent it (a resumed run may switch).
 */
export async function openLibrdkafkaProducer(settings: ProducerSettings): Promise<ChunkProducer> {
  const { Producer, CODES } = librdkafka();
  const producer = new Producer({
    'bootstrap.servers': settings.brokers.join(','),
    'client.id': settings.clientId,
    acks: settings.acks,
    'compression.codec': settings.compression,
    'batch.num.messages': settings.batchSize,
    'max.in.flight.requests.per.connection': settings.inFlight,
    partitioner: 'murmur2_random',
    'enable.idempotence': false,
    'message.timeout.ms': MESSAGE_TIMEOUT_MS,
    dr_cb: true,
  });
  let produced = 0;
  let delivered = 0;
  let failure: RdError | null = null;
  /** Sends awaiting their reports, in the order they were produced: `until` ascends. */
  const waiting: { until: number; resolve: () => void; reject: (error: RdError) => void }[] = [];
  producer.on('delivery-report', (error) => {
    delivered++;
    if (error && !failure) {
      failure = error;
      for (const send of waiting.splice(0)) send.reject(error);
    }
    for (let next = waiting[0]; next && next.until <= delivered; next = waiting[0]) {
      waiting.shift();
      next.resolve();
    }
  });
  // Transient errors (a broker down) are retried by librdkafka; they show in the log only.
  producer.on('event.error', (error) => settings.log(`kafka (librdkafka): ${error.message}`));
  await new Promise<void>((resolve, reject) => producer.connect({ topic: settings.topic, timeout: 30_000 }, (error) => (error ? reject(error) : resolve())));
  // Delivery reports are polled on librdkafka's thread, not by a timer on the event loop.
  producer.setPollInBackground(true);
  const { topic } = settings;
  return {
    async send(messages) {
      for (const { key, value, headers } of messages) {
        if (failure) throw failure;
        for (;;) {
          try {
            producer.produce(topic, null, value, key, null, null, headers && [headers]);
            produced++;
            break;
          } catch (error) {
            // The local queue is full: wait for deliveries to make room.
            if ((error as RdError).code !== CODES.ERRORS.ERR__QUEUE_FULL) throw error;
            await sleep(5);
          }
        }
      }
      if (failure) throw failure;
      const until = produced;
      if (delivered < until) await new Promise<void>((resolve, reject) => waiting.push({ until, resolve, reject }));
    },
    close: () => new Promise<void>((resolve) => producer.disconnect(MESSAGE_TIMEOUT_MS, () => resolve())),
  };
}
