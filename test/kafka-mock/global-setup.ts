import type { TestProject } from 'vitest/node';
import { messageOf } from '../../core/errors.ts';
import { librdkafka } from '../../connectors/transports/kafka/producer-librdkafka.ts';
import { buildMockBroker } from './broker.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Why the tests on librdkafka's mock cluster cannot run, or null when it is built. */
    kafkaUnavailable: string | null;
    /** Why the tests of `transport.client: librdkafka` cannot run, or null when its optional package loads. */
    librdkafkaUnavailable: string | null;
  }
}

/** Why the optional librdkafka client does not load here, or null. */
function librdkafkaProblem(): string | null {
  try {
    librdkafka();
    return null;
  } catch (error) {
    return messageOf(error);
  }
}

/**
 * Builds librdkafka's mock cluster once (for the tests that need a broker refusing particular
 * requests; the rest run on Apache Kafka's own broker), and sees whether the librdkafka client loads.
 * Without librdkafka-dev, or without the client's native build, those tests skip with the reason,
 * unless HARNESS_REQUIRE_SERVICES is set (CI), where that is a failure.
 */
export default function setup(project: TestProject): void {
  const built = buildMockBroker();
  const reason = built.ok ? null : built.reason;
  const client = librdkafkaProblem();
  if (process.env.HARNESS_REQUIRE_SERVICES) {
    if (reason) throw new Error(`HARNESS_REQUIRE_SERVICES is set but librdkafka's mock cluster cannot be built: ${reason}`);
    if (client) throw new Error(`HARNESS_REQUIRE_SERVICES is set but the librdkafka client cannot be loaded: ${client}`);
  }
  if (reason) console.warn(`Kafka tests on the mock cluster skipped: ${reason}`);
  if (client) console.warn(`Kafka tests of client: librdkafka skipped: ${client}`);
  project.provide('kafkaUnavailable', reason);
  project.provide('librdkafkaUnavailable', client);
}
