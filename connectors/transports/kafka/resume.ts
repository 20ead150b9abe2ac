import type { Kafka } from 'kafkajs';
import { chunkCount, chunkRange, type ChunkPlan } from '../chunks.ts';
import { BoundedTopicRead } from './bounded-read.ts';
import { messageIndex, type KeyDecoder } from './messages.ts';
import type { Offsets } from './topics.ts';

/** What of a dataset already sits in its topic, for `harness resume`: whole chunks, and records of partial ones. */
export interface Delivered {
  /** Chunks every record of which is in the topic. */
  wholeChunks: Set<number>;
  /** Records already in the topic within chunks that are not whole: never sent twice. */
  partial: number[];
  records: number;
}

/**
 * Reads the run's range of the topic (from its start offsets to the high watermarks now) and marks
 * the record each message names (by its key, or by its `harness` header where the key cannot tell:
 * a duplicate): every record is a pure function of its index, so what is not marked is what a
 * resumed run still has to send.
 */
export async function deliveredRecords(
  kafka: Kafka,
  range: { name: string; start: Offsets },
  runId: string,
  plan: ChunkPlan,
  decode: KeyDecoder,
): Promise<Delivered> {
  const seen = new Uint8Array(plan.count);
  const read = new BoundedTopicRead<number>(kafka, range, `harness-resume-${runId}`, (_partition, message) => {
    const index = messageIndex(message, runId, decode);
    return index !== null && index < plan.count ? index : null;
  });
  try {
    await read.scan((indices) => {
      for (const index of indices) seen[index] = 1;
    });
  } finally {
    await read.close();
  }
  const wholeChunks = new Set<number>();
  const partial: number[] = [];
  let records = 0;
  for (let chunk = 0; chunk < chunkCount(plan); chunk++) {
    const [first, end] = chunkRange(plan, chunk);
    let present = 0;
    for (let i = first; i < end; i++) present += seen[i] as number;
    records += present;
    if (present === end - first) wholeChunks.add(chunk);
    else if (present > 0) for (let i = first; i < end; i++) if (seen[i]) partial.push(i);
  }
  return { wholeChunks, partial, records };
}
