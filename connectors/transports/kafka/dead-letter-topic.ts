import type { Kafka, Producer } from 'kafkajs';
import type { DatasetName } from '../../../generators/generator.ts';
import type { DeadLetterPublisher } from '../../../pipeline/dead-letter-publisher.ts';
import type { DeadLetter } from '../../../pipeline/sink.ts';
import type { SourceRecord } from '../../../pipeline/source.ts';
import { kafkajs } from './client.ts';

/**
 * Headers a dead letter gets besides its record's own. `run` and `index` name the record: most
 * records travel without the `harness` header (their key names them), so a letter says itself
 * which run and index it is for; the index is empty when the pipeline could not tell.
 */
export const dlqHeaders = {
  reason: 'harness-dlq-reason',
  detail: 'harness-dlq-detail',
  source: 'harness-dlq-source',
  run: 'harness-dlq-run',
  index: 'harness-dlq-index',
} as const;

/** The dead-letter topic of a dataset's topic. */
export function deadLetterTopicName(topic: string): string {
  return `${topic}.dlq`;
}

/**
 * Sends dead letters to `<topic>.dlq` with the original key and headers plus the reason, the run
 * and the record's index. Sent
 * before the batch commits, so a crash in between sends some twice: at least once, which is what
 * a topic without broker transactions can promise. The table in the sink stays exactly once.
 */
export class KafkaDeadLetterTopic implements DeadLetterPublisher {
  private producer: Producer | null = null;

  constructor(
    private readonly kafka: Kafka,
    private readonly runId: string,
    private readonly topicOf: (dataset: DatasetName) => string,
  ) {}

  async publish(dataset: DatasetName, letters: { letter: DeadLetter; record: SourceRecord }[]): Promise<void> {
    if (letters.length === 0) return;
    if (!this.producer) {
      this.producer = this.kafka.producer({ allowAutoTopicCreation: true, createPartitioner: kafkajs().Partitioners.DefaultPartitioner });
      await this.producer.connect();
    }
    await this.producer.send({
      topic: deadLetterTopicName(this.topicOf(dataset)),
      acks: -1,
      messages: letters.map(({ letter, record }) => ({
        key: record.key ?? null,
        value: letter.raw,
        headers: {
          ...record.headers,
          [dlqHeaders.reason]: letter.reason,
          [dlqHeaders.detail]: letter.detail,
          [dlqHeaders.source]: `${letter.source}@${letter.position}`,
          [dlqHeaders.run]: this.runId,
          [dlqHeaders.index]: letter.recordIndex === null ? '' : String(letter.recordIndex),
        },
      })),
    });
  }

  async close(): Promise<void> {
    await this.producer?.disconnect().catch(() => {});
  }
}
