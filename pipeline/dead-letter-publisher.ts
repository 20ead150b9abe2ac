import type { DatasetName } from '../generators/generator.ts';
import type { DeadLetter } from './sink.ts';
import type { SourceRecord } from './source.ts';

/**
 * Dead letters also published somewhere besides the sink's table (a Kafka topic: see
 * connectors/transports/kafka/dead-letter-topic.ts). The transport provides it, the pipeline calls it.
 */
export interface DeadLetterPublisher {
  publish(dataset: DatasetName, letters: { letter: DeadLetter; record: SourceRecord }[]): Promise<void>;
  close(): Promise<void>;
}
