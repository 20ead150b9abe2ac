import type { Kafka, KafkaMessage } from 'kafkajs';
import { BoundedTopicRead, PageError } from './bounded-read.ts';
import { HarnessError, messageOf } from '../../../core/errors.ts';
import type { DatasetName } from '../../../generators/generator.ts';
import type { DeadLetterRow, DeadLetterStream } from '../../readers.ts';
import { dlqHeaders } from './dead-letter-topic.ts';
import { HARNESS_HEADER, headerValue, parseHarnessHeader } from './header.ts';
import type { Offsets } from './topics.ts';

/** A dataset's dead-letter topic and where the run started in it (each partition's high watermark then). */
export interface DeadLetterRange {
  name: string;
  start: Offsets;
}

/**
 * Reads a run's `<topic>.dlq` back for the verifier: from the start offsets the run recorded to the
 * high watermarks when it is read (seed 004: bounded, never a whole-topic scan). Letters of other
 * runs in that range, told apart by their `harness-dlq-run` header (or, in letters written before
 * it, the run id of the `harness` header they kept), are left out.
 * Each topic's consumer starts joining when the reader opens, so that the join (seconds: a broker
 * holds a new group's first join back by its initial rebalance delay, 3 s by default) overlaps the
 * verifier's work on the sink.
 */
export class KafkaDeadLetterReader implements DeadLetterStream {
  readonly description: string;
  private readonly reads = new Map<DatasetName, BoundedTopicRead<DeadLetterRow>>();

  constructor(
    kafka: Kafka,
    private readonly ranges: Partial<Record<DatasetName, DeadLetterRange>>,
    runId: string,
    private readonly log: (line: string) => void,
  ) {
    for (const [dataset, range] of Object.entries(ranges) as [DatasetName, DeadLetterRange][])
      this.reads.set(
        dataset,
        new BoundedTopicRead(kafka, range, `harness-verify-${runId}`, (partition, message) => letterOf(range.name, runId, partition, message)),
      );
    this.description = `Kafka ${Object.values(ranges)
      .map((range) => range.name)
      .join(', ')}`;
  }

  where(dataset: DatasetName): string | null {
    const range = this.ranges[dataset];
    return range ? `Kafka topic ${range.name}` : null;
  }

  async scan(dataset: DatasetName, onPage: (letters: DeadLetterRow[]) => void): Promise<void> {
    const read = this.reads.get(dataset);
    if (!read) return;
    try {
      const { ours, others } = await read.scan(onPage);
      this.log(`[${dataset}] ${read.topic}: ${ours} dead letters of this run read back${others > 0 ? `, ${others} of other runs left out` : ''}`);
    } catch (error) {
      if (error instanceof PageError) throw error.cause;
      throw new HarnessError('unreachable', `[${dataset}] the dead-letter topic ${read.topic} could not be read back: ${messageOf(error)}`, { cause: error });
    }
  }

  async close(): Promise<void> {
    for (const read of this.reads.values()) await read.close();
  }
}

/** The letter a message holds, or null when it is not this run's (another run id, or none). */
function letterOf(topic: string, runId: string, partition: number, message: KafkaMessage): DeadLetterRow | null {
  const harness = parseHarnessHeader(headerValue(message, HARNESS_HEADER));
  const run = headerValue(message, dlqHeaders.run);
  if ((run ?? harness?.runId) !== runId) return null;
  const named = headerValue(message, dlqHeaders.index);
  const index = named === undefined ? harness?.index : named === '' ? null : Number(named);
  // `harness-dlq-source` is `<source>@<position>`: where the record was read (topic:partition@offset).
  const source = headerValue(message, dlqHeaders.source) ?? '';
  const at = source.lastIndexOf('@');
  const position = at > 0 ? Number(source.slice(at + 1)) : Number.NaN;
  const located = Number.isSafeInteger(position);
  return {
    source: located ? source.slice(0, at) : `${topic}:${partition}`,
    position: located ? position : Number(message.offset),
    recordIndex: index !== null && index !== undefined && Number.isSafeInteger(index) && index >= 0 ? index : null,
    reason: headerValue(message, dlqHeaders.reason) ?? '',
    raw: message.value ?? Buffer.alloc(0),
    // The topic is at least once and its message time is the publish, not the sink's write.
    ingestedAtMs: null,
  };
}
