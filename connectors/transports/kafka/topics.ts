import type { Admin } from 'kafkajs';
import { messageOf } from '../../../core/errors.ts';

/** Partition -> offset. */
export type Offsets = Record<number, number>;

/**
 * Creates the topic when it is missing. A broker that refuses CreateTopics (some managed services,
 * the test broker) still creates topics on first use, with its default partition count: say so,
 * and go on.
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

/** The high watermark of every partition: where the next message will go. Kafka offsets are int64; runs stay far below 2^53. */
export async function highWatermarks(admin: Admin, topic: string): Promise<Offsets> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return Object.fromEntries(offsets.map((o) => [o.partition, Number(o.high)]));
}
