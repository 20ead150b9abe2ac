import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin } from 'kafkajs';
import { messageOf } from '../../../core/errors.ts';

/** Partition -> offset. */
export type Offsets = Record<number, number>;

/**
 * Creates the topic when it is missing. A broker that refuses CreateTopics (some managed services,
 * librdkafka's mock cluster) still creates topics on first use, with its default partition count:
 * say so, and go on.
 */
export async function ensureTopic(admin: Admin, topic: string, partitions: number, log: (line: string) => void): Promise<void> {
  try {
    const existing = await admin.listTopics();
    if (existing.includes(topic)) return;
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
    log(`created topic ${topic} with ${partitions} partitions`);
  } catch (error) {
    log(`the broker refused CreateTopics for ${topic} (${messageOf(error)}); relying on auto-creation, with the broker's default partition count`);
    await admin.fetchTopicMetadata({ topics: [topic] });
  }
}

/**
 * The high watermark of every partition: where the next message will go. Kafka offsets are int64;
 * runs stay far below 2^53. Apache Kafka's broker can answer NOT_LEADER_OR_FOLLOWER for a moment
 * after a new topic's metadata already names its leader (and while a restarted broker loads its
 * partitions), and kafkajs's fetchTopicOffsets gives up on that at once: retriable errors are
 * retried here, backing off from 100 ms to 2 s, for up to `retryForMs`.
 */
export async function highWatermarks(admin: Admin, topic: string, retryForMs = 30_000): Promise<Offsets> {
  const deadline = Date.now() + retryForMs;
  for (let wait = 100; ; wait = Math.min(wait * 2, 2000)) {
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      return Object.fromEntries(offsets.map((o) => [o.partition, Number(o.high)]));
    } catch (error) {
      if ((error as { retriable?: unknown }).retriable !== true || Date.now() + wait > deadline) throw error;
      await sleep(wait);
    }
  }
}
