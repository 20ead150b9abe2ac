import { randomBytes } from 'node:crypto';
import { describe, inject } from 'vitest';
import { startKafkaBroker as startBroker, type KafkaBroker, type KafkaBrokerOptions } from '../kafka-broker/broker.ts';

/**
 * Tests on librdkafka's mock cluster run where it could be built; elsewhere they skip with the
 * reason. Only tests that need a broker refusing particular requests belong there.
 */
export const describeIfKafka = inject('kafkaUnavailable') === null ? describe : describe.skip;

/** Suites on Apache Kafka's own broker run where it starts (Java, Maven, jars); elsewhere they skip. */
export const describeIfKafkaBroker = inject('kafkaBroker') !== null ? describe : describe.skip;

/** Tests of `transport.client: librdkafka` on Apache Kafka's broker: the broker and the optional client both needed. */
export const describeIfLibrdkafka = inject('kafkaBroker') !== null && inject('librdkafkaUnavailable') === null ? describe : describe.skip;

/** Tests of `transport.client: librdkafka` on the mock cluster. */
export const describeIfLibrdkafkaOnMock = inject('kafkaUnavailable') === null && inject('librdkafkaUnavailable') === null ? describe : describe.skip;

/** The shared Apache Kafka broker's bootstrap address (started by test/kafka-broker/global-setup.ts). */
export function kafkaBootstrap(): string {
  const bootstrap = inject('kafkaBroker');
  if (bootstrap === null) throw new Error(`no Apache Kafka broker: ${inject('kafkaBrokerUnavailable')}`);
  return bootstrap;
}

export function uniqueTopic(prefix = 't'): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

export { startMockBroker, type MockBroker } from '../kafka-mock/broker.ts';
export type { KafkaBroker } from '../kafka-broker/broker.ts';

/** A broker of a test's own (to kill and restart), started as the shared one is: quickly. */
export function startKafkaBroker(options: KafkaBrokerOptions = {}): Promise<KafkaBroker> {
  return startBroker({ quickStart: true, ...options });
}
