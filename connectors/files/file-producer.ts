import { join } from 'node:path';
import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import { runModuleWorker } from '../../core/module-worker.ts';
import { createGenerator, type DatasetName, type Generator, type GeneratorConfig } from '../../generators/index.ts';
import { chunkRange, filePlan, shardChunks, splitAmong, wholeDataset, type ChunkPlan, type Shard } from '../chunks.ts';
import { LineBuffer } from '../../generators/line-buffer.ts';
import { dataFileName, writeDoneMarker, writeFileAtomically, type CommittedFile } from './rotated-writer.ts';

export interface FileProduceOptions {
  dataset: DatasetName;
  config: GeneratorConfig;
  /** Directory for this dataset's files. */
  dir: string;
  count: number;
  rotateRecords: number;
  /** With a rate: at most this many ms of records per file. */
  rotateIntervalMs: number;
  /** Worker threads generating files in parallel; 1 = this thread. */
  workers?: number;
  /** Hold each file until its records are due (default); false writes as fast as possible, same bytes. */
  paced?: boolean;
  shard?: Shard;
  signal?: AbortSignal;
}

export interface ProduceResult {
  startedAtMs: number;
  finishedAtMs: number;
  /** Records this shard wrote. */
  records: number;
  files: CommittedFile[];
}

/** What one thread needs to write its share of the files. */
export interface FileJob {
  dataset: DatasetName;
  config: GeneratorConfig;
  dir: string;
  plan: ChunkPlan;
  files: number[];
  startedAtMs: number;
  paced: boolean;
}

/**
 * Writes the job's files in order. With a rate, a file is committed when its last record is due,
 * so no record is visible before its intended send time.
 */
export async function writeFiles(job: FileJob, generator: Generator, onCommit: (file: CommittedFile) => void, signal?: AbortSignal): Promise<void> {
  const { plan, config } = job;
  for (const f of job.files) {
    if (signal?.aborted) return;
    const [first, end] = chunkRange(plan, f);
    const lines = new LineBuffer((end - first) * 160);
    if (generator.header !== null) lines.append(generator.header);
    for (let i = first; i < end; i++) generator.appendPayload(i, lines);
    const data = lines.bytes();
    if (job.paced && config.rate > 0) {
      const wait = job.startedAtMs + generator.schedule.offsetMs(end - 1) - Date.now();
      if (wait > 0) await sleep(wait);
    }
    const name = dataFileName(generator.dataset, f, generator.format);
    writeFileAtomically(job.dir, name, data);
    onCommit({ name, firstIndex: first, count: end - first, headerLines: generator.header === null ? 0 : 1, committedAtMs: Date.now() });
    // Let the pipeline, when it runs in this thread, take its turn between files.
    await yieldToLoop();
  }
}

/**
 * Generates a dataset (or one shard of it) into rotated files at the load profile's rate, on this
 * thread or on worker threads. Output for any index is the same whatever the workers or shards.
 */
export async function produceToFiles(options: FileProduceOptions): Promise<ProduceResult> {
  const shard = options.shard ?? wholeDataset;
  const plan = filePlan(options.count, options.rotateRecords, options.rotateIntervalMs, options.config.rate);
  const files = shardChunks(plan, shard);
  const workers = Math.max(1, Math.min(options.workers ?? 1, files.length));
  const startedAtMs = Date.now();
  const committed: CommittedFile[] = [];
  const job = (part: number[]): FileJob => ({ dataset: options.dataset, config: options.config, dir: options.dir, plan, files: part, startedAtMs, paced: options.paced ?? true });

  if (workers === 1) {
    await writeFiles(job(files), createGenerator(options.dataset, options.config), (file) => committed.push(file), options.signal);
  } else {
    await Promise.all(splitAmong(files, workers).map((part) => runWorker(job(part), (file) => committed.push(file), options.signal)));
  }
  const finished = !options.signal?.aborted;
  if (finished) writeDoneMarker(options.dir, shard, files.length);
  committed.sort((a, b) => a.firstIndex - b.firstIndex);
  return { startedAtMs, finishedAtMs: Date.now(), records: committed.reduce((n, f) => n + f.count, 0), files: committed };
}

function runWorker(job: FileJob, onCommit: (file: CommittedFile) => void, signal?: AbortSignal): Promise<void> {
  return runModuleWorker<void>(
    import.meta.url,
    'file-worker',
    job,
    (message) => {
      if (message === 'done') return { done: undefined };
      onCommit(message as CommittedFile);
      return undefined;
    },
    undefined,
    signal,
  );
}

export function datasetDir(root: string, dataset: string): string {
  return join(root, dataset);
}
