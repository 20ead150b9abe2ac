/**
 * `npm run kafka-broker`: starts Apache Kafka's own broker for a session of your own (the tests start
 * theirs themselves), prints its bootstrap address, and stops it and removes its storage on Ctrl-C.
 *   export KAFKA_BROKERS=$(...)   # the first line printed
 * Options: --port <n> (default: a free one), --dir <path> (kept on exit), --partitions <n>.
 */
import { parseArgs } from 'node:util';
import { startKafkaBroker } from './broker.ts';

const { values } = parseArgs({ options: { port: { type: 'string' }, dir: { type: 'string' }, partitions: { type: 'string' } } });
const broker = await startKafkaBroker({
  port: values.port ? Number(values.port) : undefined,
  dir: values.dir,
  partitions: values.partitions ? Number(values.partitions) : undefined,
});
console.log(broker.bootstrap);
console.error(`Apache Kafka broker (KRaft) up in ${(broker.startMs / 1000).toFixed(1)} s, storage in ${broker.dir}, pid ${broker.pid()}; Ctrl-C stops it`);
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void broker.stop().then(() => process.exit(0));
  });
}
