import type { TestProject } from 'vitest/node';
import { kafkaBrokerUnavailable, startKafkaBroker, type KafkaBroker } from './broker.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The bootstrap address of the Apache Kafka broker shared by the Kafka suites, or null. */
    kafkaBroker: string | null;
    /** Why Apache Kafka's broker cannot run here (no Java, Maven or jars), or null when it runs. */
    kafkaBrokerUnavailable: string | null;
  }
}

let broker: KafkaBroker | null = null;

/**
 * Starts one Apache Kafka broker (KRaft, from Maven Central's jars) for the Kafka suites. Without
 * Java, Maven or the jars, or when the broker does not start, they skip with the reason, unless
 * HARNESS_REQUIRE_SERVICES is set (CI), where that is a failure. Suites that kill the broker start
 * one of their own.
 */
export async function setup(project: TestProject): Promise<void> {
  let reason = kafkaBrokerUnavailable();
  if (!reason) {
    try {
      broker = await startKafkaBroker({ partitions: 3, quickStart: true });
      console.log(`Apache Kafka broker at ${broker.bootstrap} (started in ${(broker.startMs / 1000).toFixed(1)} s)`);
    } catch (error) {
      reason = `Apache Kafka's broker did not start: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  if (reason) {
    if (process.env.HARNESS_REQUIRE_SERVICES) throw new Error(`HARNESS_REQUIRE_SERVICES is set but Apache Kafka's broker cannot start: ${reason}`);
    console.warn(`Kafka broker suites skipped: ${reason}`);
  }
  project.provide('kafkaBroker', broker?.bootstrap ?? null);
  project.provide('kafkaBrokerUnavailable', reason);
}

export async function teardown(): Promise<void> {
  await broker?.stop();
}
