import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import { HarnessError } from '../../../core/errors.ts';

/** KAFKA_BROKERS: comma-separated host:port list of the cluster to use. */
export function kafkaBrokers(env: NodeJS.ProcessEnv): string[] {
  const brokers = (env.KAFKA_BROKERS ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers.length === 0) {
    throw new HarnessError('config', 'transport: kafka needs KAFKA_BROKERS (e.g. KAFKA_BROKERS=localhost:9092); see docker-compose.yml');
  }
  return brokers;
}

/**
 * A kafkajs client. Its own retries (doubling from 200 ms, up to 5 s apart, about a minute in all)
 * ride out a broker that is down for a while; its logs go to `log` at warning level and above.
 */
export function createKafka(brokers: string[], clientId: string, log: (line: string) => void = () => {}): Kafka {
  return new Kafka({
    clientId,
    brokers,
    connectionTimeout: 3000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 200, maxRetryTime: 5000, retries: 15 },
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      if (entry.level <= logLevel.WARN) log(`kafka${entry.namespace ? ` ${entry.namespace}` : ''}: ${entry.log.message}`);
    },
  });
}
