import { createRequire } from 'node:module';
import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import { HarnessError, messageOf } from '../../../core/errors.ts';
import type { OutgoingMessage } from './messages.ts';
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
  produce(topic: string, partition: null, value: Buffer, key: string, timestamp?: undefined, opaque?: undefined, headers?: { [name: string]: string }[]): void;
  on(event: 'delivery-report', listener: (error: RdError | null) => void): void;
  flush(timeoutMs: number, callback: (error: RdError | null) => void): void;
  on(event: 'event.error', listener: (error: RdError) => void): void;
  setPollInBackground(on: boolean): void;
  disconnect(timeoutMs: number, callback: () => void): void;
}

interface RdKafka {
  Producer: new (config: Record<string, string | number | boolean>) => RdProducer;
  CODES: { ERRORS: { ERR__QUEUE_FULL: number; ERR__TIMED_OUT: number } };
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

/**
 * Messages kept outstanding with librdkafka. A send is confirmed by a flush, which ends only once
 * librdkafka's queue is empty, so the engine keeps this many messages queued before it waits, and
 * the producer flushes once that many are unconfirmed: measured here, 300k messages went at
 * 131-148k msgs/s with a window of 16k (8 chunks of 2,000), 201-244k with 100k.
 */
export const LIBRDKAFKA_WINDOW = 100_000;

/** A flush starts once no send has come for this long (a chunk is queued in a few milliseconds). */
const FLUSH_WHEN_IDLE_MS = 50;

/** How long librdkafka retries a message before its delivery fails: about as long as kafkajs's retries. */
const MESSAGE_TIMEOUT_MS = 60_000;

/**
 * `transport.client: librdkafka`: librdkafka's own producer through its low-level `produce()`,
 * which queues a message in C and returns (measured here: 168k msgs/s against 73k through the
 * package's KafkaJS-compatible promise API). librdkafka batches and sends on its own threads.
 *
 * Deliveries are confirmed by flushing, not by a report per message: librdkafka reports only
 * failures (`delivery.report.only.error`), and a flush returns once every message queued before it
 * has been acknowledged (with acks=-1, by all in-sync replicas) or has failed. A report per message
 * cost the producing thread more than producing it (the binding builds a JavaScript object for
 * each): a bare loop over pre-built messages measured here 146-191k msgs/s with reports against
 * 400-444k with one flush at the end.
 *
 * A send resolves at the end of a flush that began after its messages were queued; flushes run one
 * after another, each for the sends queued before it began. A failed delivery (after librdkafka's own retries) fails every send outstanding
 * and every one after: its report is served before the flush that waits for it ends.
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
    'delivery.report.only.error': true,
    // Room for a whole window and the chunk being queued: a window never waits on a full queue.
    'queue.buffering.max.messages': 2 * LIBRDKAFKA_WINDOW,
    // A broker back from an outage is found within a second, not after librdkafka's default 10 s
    // backoff, which was most of a restarted broker's pause in the tests.
    'reconnect.backoff.max.ms': 1000,
  });
  let failure: RdError | null = null;
  producer.on('delivery-report', (error) => {
    failure ??= error;
  });
  // Transient errors (a broker down) are retried by librdkafka; they show in the log only.
  producer.on('event.error', (error) => settings.log(`kafka (librdkafka): ${error.message}`));
  await new Promise<void>((resolve, reject) => producer.connect({ topic: settings.topic, timeout: 30_000 }, (error) => (error ? reject(error) : resolve())));
  // Failure reports are polled on librdkafka's thread, not by a timer on the event loop.
  producer.setPollInBackground(true);

  /** One flush: until every message queued so far is acknowledged or has failed. */
  const flushOnce = async (): Promise<void> => {
    for (;;) {
      const timedOut = await new Promise<boolean>((resolve, reject) =>
        producer.flush(MESSAGE_TIMEOUT_MS, (error) => (!error ? resolve(false) : error.code === CODES.ERRORS.ERR__TIMED_OUT ? resolve(true) : reject(error))),
      );
      // A failure's report reaches this thread on its own wake-up: let it land before judging.
      await yieldToLoop();
      if (failure) throw failure;
      // Timed out: messages are still within librdkafka's retries (message.timeout.ms), keep waiting.
      if (!timedOut) return;
    }
  };
  /** Sends queued since the last flush began: the next flush confirms them. */
  let round: { confirmed: Promise<void>; resolve: () => void; reject: (error: Error) => void; messages: number } | null = null;
  /** The flushes begun so far, one after another; it never rejects (each round takes its outcome). */
  let flushes = Promise.resolve();
  const startFlush = (): void => {
    if (!round) return;
    const { resolve, reject } = round;
    round = null;
    // After the running flush, not with it: it may have seen the queue empty before these were queued.
    flushes = flushes.then(flushOnce).then(resolve, reject);
  };
  // Flushing tells librdkafka to send at once, in small requests: measured here, a produce loop
  // with a flush running beside it went 0.75x as fast. So a flush starts only once a window's
  // worth of messages waits, or no send has come for a while (the engine waits, paces, or is done).
  const idle = setTimeout(startFlush, FLUSH_WHEN_IDLE_MS);
  const confirm = (messages: number): Promise<void> => {
    if (!round) {
      let resolve!: () => void;
      let reject!: (error: Error) => void;
      const confirmed = new Promise<void>((yes, no) => ((resolve = yes), (reject = no)));
      round = { confirmed, resolve, reject, messages: 0 };
    }
    round.messages += messages;
    const { confirmed } = round;
    if (round.messages >= LIBRDKAFKA_WINDOW) startFlush();
    else idle.refresh();
    return confirmed;
  };

  const { topic } = settings;
  /**
   * Queues messages from `from` on, synchronously while librdkafka's queue has room: the index of
   * the first one it refused (full), or the length once all are queued.
   */
  const queue = (messages: OutgoingMessage[], from: number): number => {
    for (let at = from; at < messages.length; at++) {
      if (failure) throw failure;
      const { key, value, headers } = messages[at] as OutgoingMessage;
      try {
        // No opaque, not even null: the binding would make a persistent handle of it for each
        // message, freed only by its report (a bare loop: 100-127k msgs/s with one, 146-191k without).
        producer.produce(topic, null, value, key, undefined, undefined, headers && [headers]);
      } catch (error) {
        if ((error as RdError).code !== CODES.ERRORS.ERR__QUEUE_FULL) throw error;
        return at;
      }
    }
    return messages.length;
  };
  /** The rest of a chunk the queue refused: waits for deliveries to make room. */
  const queueRest = async (messages: OutgoingMessage[], from: number): Promise<void> => {
    for (let at = from; at < messages.length; at = queue(messages, at)) await sleep(5);
  };
  return {
    // Not async: once queued, no pending continuation keeps the chunk's messages alive while the
    // flush runs (a window of them would otherwise reach the old generation).
    send(messages) {
      try {
        const queued = queue(messages, 0);
        return queued < messages.length ? queueRest(messages, queued).then(() => confirm(messages.length)) : confirm(messages.length);
      } catch (error) {
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- librdkafka's error, its code kept for classifyKafkaFailure
        return Promise.reject(error);
      }
    },
    close: () => {
      clearTimeout(idle);
      return new Promise<void>((resolve) => producer.disconnect(MESSAGE_TIMEOUT_MS, () => resolve()));
    },
  };
}
