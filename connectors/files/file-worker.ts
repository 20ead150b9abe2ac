import { parentPort, workerData } from 'node:worker_threads';
import { createGenerator } from '../../generators/index.ts';
import { writeFiles, type FileJob } from './file-producer.ts';

/** Worker thread entry: writes its share of a dataset's files and reports each one committed. */
const job = workerData as FileJob;
const port = parentPort;
if (port) {
  await writeFiles(job, createGenerator(job.dataset, job.config), (file) => port.postMessage(file));
  port.postMessage('done');
}
