import { randomBytes } from 'node:crypto';
import { describe, inject } from 'vitest';

/** Kafka tests run where the mock broker could be built; elsewhere they skip with the reason. */
export const describeIfKafka = inject('kafkaUnavailable') === null ? describe : describe.skip;

export function uniqueTopic(prefix = 't'): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

export { startMockBroker, type MockBroker } from '../kafka-mock/broker.ts';
