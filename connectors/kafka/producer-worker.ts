import { parentPort, workerData } from 'node:worker_threads';
import { messageOf } from '../../core/errors.ts';
import { sendChunks, withProducer, type KafkaProduceJob } from './producer.ts';

/** Worker thread entry: one producer of its own sends its share of the chunks. */
const job = workerData as KafkaProduceJob;
const port = parentPort;
if (port) {
  const log = (line: string) => port.postMessage({ log: line });
  try {
    port.postMessage({ sent: await withProducer(job, log, (producer) => sendChunks(job, producer)) });
  } catch (error) {
    port.postMessage({ error: messageOf(error) });
  }
}
