import { parentPort, workerData } from 'node:worker_threads';
import { serializeError } from '../../core/errors.ts';
import { runJob, type EngineJob, type StartMessage, type WorkerMessage } from './engine.ts';
import { loadTransport, type TransportType } from './index.ts';
import type { ChunkWriterFactory } from './transport.ts';

/** Worker thread entry of the producer engine: opens the job's chunk writer here and runs its share of the chunks. */
const job = workerData as EngineJob<unknown>;
const port = parentPort;
if (port) {
  const post = (message: WorkerMessage) => port.postMessage(message);
  try {
    // The options were made by this same component on the engine's side, for this writer.
    const transport: ChunkWriterFactory<unknown> = await loadTransport(job.transport as TransportType);
    await runJob(
      job,
      transport,
      (line) => post({ log: line }),
      (records, file) => post({ delivered: records, file }),
      undefined,
      // Ready to send: the engine answers with time zero once every thread is.
      () =>
        new Promise<number>((resolve) => {
          port.once('message', (message: StartMessage) => resolve(message.start));
          post({ ready: true });
        }),
    );
    post({ done: true });
  } catch (error) {
    post({ error: serializeError(error) });
  }
}
