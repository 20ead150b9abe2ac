import type { TestProject } from 'vitest/node';
import { buildMockBroker } from './broker.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Why the Kafka tests cannot run, or null when the mock broker is built. */
    kafkaUnavailable: string | null;
  }
}

/**
 * Builds the Kafka-protocol test broker once. Without librdkafka-dev the Kafka tests skip with
 * the reason, unless HARNESS_REQUIRE_SERVICES is set (CI), where that is a failure.
 */
export default function setup(project: TestProject): void {
  const built = buildMockBroker();
  const reason = built.ok ? null : built.reason;
  if (reason && process.env.HARNESS_REQUIRE_SERVICES) {
    throw new Error(`HARNESS_REQUIRE_SERVICES is set but the Kafka test broker cannot be built: ${reason}`);
  }
  if (reason) console.warn(`Kafka tests skipped: ${reason}`);
  project.provide('kafkaUnavailable', reason);
}
