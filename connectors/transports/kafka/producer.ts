import type { Log } from '../transport.ts';
import type { OutgoingMessage } from './messages.ts';

/** How one producer sends: the transport's settings, the same whichever client. */
export interface ProducerSettings {
  brokers: string[];
  topic: string;
  /** Names the client to the brokers (harness-producer-<run id>). */
  clientId: string;
  acks: -1 | 0 | 1;
  compression: 'none' | 'gzip';
  /** Messages per produce request (a chunk is one request with kafkajs). */
  batchSize: number;
  /** Requests outstanding at once. */
  inFlight: number;
  log: Log;
}

/**
 * One producer client, as the chunk writer drives it. `send` settles once the brokers have
 * acknowledged every message of the chunk (with the configured acks), or fails once the client
 * has given up retrying; several sends may be outstanding at once.
 */
export interface ChunkProducer {
  send(messages: OutgoingMessage[]): Promise<void>;
  close(): Promise<void>;
}
