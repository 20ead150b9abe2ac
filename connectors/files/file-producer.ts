import { join } from 'node:path';
import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import type { Generator, Payload } from '../../generators/generator.ts';
import { RotatedFileWriter, type CommittedFile } from './rotated-writer.ts';

export interface FileProduceOptions {
  generator: Generator;
  /** Directory for this dataset's files. */
  dir: string;
  count: number;
  rotateRecords: number;
  /** With a rate: at most this many ms of records per file. */
  rotateIntervalMs: number;
  /** Records per second; 0 = as fast as possible. */
  rate: number;
  signal?: AbortSignal;
}

export interface ProduceResult {
  startedAtMs: number;
  finishedAtMs: number;
  records: number;
  files: CommittedFile[];
}

/**
 * Generates a dataset into rotated files at the load profile's rate. A file is committed when its
 * last record is due, so no record is visible before its intended send time; with a rate, files
 * also rotate on an interval so early records in a file do not wait long.
 */
export async function produceToFiles(options: FileProduceOptions): Promise<ProduceResult> {
  const { generator, count, rate } = options;
  const perFile = rate > 0 ? Math.max(1, Math.min(options.rotateRecords, Math.floor((rate * options.rotateIntervalMs) / 1000))) : options.rotateRecords;
  const writer = new RotatedFileWriter(options.dir, generator.dataset, generator.format, generator.header);
  const startedAtMs = Date.now();
  for (let first = 0; first < count && !options.signal?.aborted; first += perFile) {
    const end = Math.min(count, first + perFile);
    const payloads: Payload[] = new Array(end - first);
    for (let i = first; i < end; i++) payloads[i - first] = generator.payload(i);
    if (rate > 0) {
      const due = startedAtMs + ((end - 1) * 1000) / rate;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
    }
    writer.write(first, payloads);
    // Let the pipeline, running in the same process, take its turn between files.
    await yieldToLoop();
  }
  if (!options.signal?.aborted) writer.finish();
  return { startedAtMs, finishedAtMs: Date.now(), records: count, files: writer.committed };
}

export function datasetDir(root: string, dataset: string): string {
  return join(root, dataset);
}
