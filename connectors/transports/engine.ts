import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import { deserializeError, type SerializedError } from '../../core/errors.ts';
import { runModuleWorker } from '../../core/module-worker.ts';
import { createGenerator, type DatasetName, type Generator, type GeneratorConfig } from '../../generators/index.ts';
import { chunkRange, shardChunks, splitAmong, type ChunkPlan, type Shard } from './chunks.ts';
import type { ChunkWriter, ChunkWriterFactory, CommittedFile, DeliverChunk, Log } from './transport.ts';

/**
 * The one producer engine every transport uses: it splits a dataset into chunks, keeps the chunks
 * of the requested shard, fans them out round-robin to worker threads, paces them by the
 * generator's schedule and keeps up to `inFlight` deliveries outstanding. What a chunk becomes (a
 * file, a Kafka batch) is the transport's chunk writer's business.
 */
export interface EngineRequest<WriterOptions> {
  transport: ChunkWriterFactory<WriterOptions>;
  /** Plain data (structured-cloneable): it crosses to worker threads. */
  writerOptions: WriterOptions;
  generator: Generator;
  plan: ChunkPlan;
  shard: Shard;
  /** Worker threads; 1 = this thread. Never more than the shard has chunks. */
  workers: number;
  /** With a rate, deliver each chunk when its last record is due; false: as fast as possible. */
  paced: boolean;
  /** Deliveries outstanding at once per thread (Kafka batches awaiting acks; files: 1). */
  inFlight: number;
  log: Log;
  /** Stops between chunks; worker threads are terminated. */
  signal?: AbortSignal;
  /** Only these chunks of the shard's share (resuming); default all of them. */
  only?: (chunk: number) => boolean;
  /** Time zero of the schedule; default: when every thread is ready to send. A resumed production keeps the original one. */
  startedAtMs?: number;
  onDelivered?: (records: number, file: CommittedFile | null) => void;
  /** Told of time zero once every thread is ready (ProduceRequest.onStarted). */
  onStarted?: (startedAtMs: number) => void;
  /**
   * Records each thread prepares before it reports ready (ProduceRequest.encodeAhead). Only for
   * writers whose chunks do not depend on time zero (files): the writer is opened before it.
   */
  encodeAhead?: number;
}

export interface EngineResult {
  startedAtMs: number;
  finishedAtMs: number;
  /** Records in delivered chunks. */
  records: number;
  /** Files the writers committed, in index order. */
  files: CommittedFile[];
  /** Chunks in this shard's share, delivered or not. */
  chunks: number;
  /** False when the signal stopped it before the end. */
  completed: boolean;
}

/** One thread's share of a production, as plain data, so that it crosses to a worker as is. */
export interface EngineJob<WriterOptions> {
  transport: string;
  writerOptions: WriterOptions;
  dataset: DatasetName;
  config: GeneratorConfig;
  plan: ChunkPlan;
  chunks: number[];
  startedAtMs: number;
  paced: boolean;
  inFlight: number;
  encodeAhead: number;
}

/** What a worker thread reports to the engine; it answers `ready` with a `StartMessage`. */
export type WorkerMessage = { log: string } | { ready: true } | { delivered: number; file: CommittedFile | null } | { done: true } | { error: SerializedError };

/** The engine's answer to a worker's `ready`: the schedule's time zero. */
export interface StartMessage {
  start: number;
}

/**
 * Time zero, once all `threads` have asked for it: each asks when it is ready to send (a worker
 * thread has loaded its modules and built its generator, which took a second or more in a loaded
 * test run), so that no thread's start-up counts as sending behind schedule.
 */
function startGate(threads: number, zero: () => number): () => Promise<number> {
  let waiting = threads;
  let open: (startedAtMs: number) => void = () => {};
  const opened = new Promise<number>((resolve) => (open = resolve));
  return () => {
    if (--waiting === 0) open(zero());
    return opened;
  };
}

type OnDelivered = (records: number, file: CommittedFile | null) => void;

export async function produceChunks<WriterOptions>(request: EngineRequest<WriterOptions>): Promise<EngineResult> {
  const { transport, generator, plan, log, signal } = request;
  const share = shardChunks(plan, request.shard);
  const chunks = request.only ? share.filter(request.only) : share;
  const workers = Math.max(1, Math.min(request.workers, chunks.length));
  let startedAtMs = request.startedAtMs ?? Date.now();
  const zero = () => {
    startedAtMs = request.startedAtMs ?? Date.now();
    request.onStarted?.(startedAtMs);
    return startedAtMs;
  };
  const job = (part: number[]): EngineJob<WriterOptions> => ({
    transport: transport.type,
    writerOptions: request.writerOptions,
    dataset: generator.dataset,
    config: generator.config,
    plan,
    chunks: part,
    startedAtMs,
    paced: request.paced,
    inFlight: request.inFlight,
    // Split among the threads: the bound is on the memory the prepared chunks hold.
    encodeAhead: Math.floor((request.encodeAhead ?? 0) / workers),
  });
  let records = 0;
  const files: CommittedFile[] = [];
  const onDelivered: OnDelivered = (count, file) => {
    records += count;
    if (file) files.push(file);
    request.onDelivered?.(count, file);
  };
  if (chunks.length === 0) return { startedAtMs: zero(), finishedAtMs: Date.now(), records, files, chunks: share.length, completed: !signal?.aborted };
  const start = startGate(workers, zero);
  if (workers === 1) await runJob(job(chunks), transport, log, onDelivered, signal, start);
  else await Promise.all(splitAmong(chunks, workers).map((part) => runWorker(job(part), log, onDelivered, start, signal)));
  files.sort((a, b) => a.firstIndex - b.firstIndex);
  return { startedAtMs, finishedAtMs: Date.now(), records, files, chunks: share.length, completed: !signal?.aborted };
}

/** Runs a job on this thread: in the engine itself, or in a worker thread (engine-worker.ts). */
export async function runJob<WriterOptions>(
  job: EngineJob<WriterOptions>,
  transport: ChunkWriterFactory<WriterOptions>,
  log: Log,
  onDelivered: OnDelivered,
  signal?: AbortSignal,
  start: () => Promise<number> = () => Promise.resolve(job.startedAtMs),
): Promise<void> {
  // Each thread builds its own generator: the job carries the config, not the object.
  const generator = createGenerator(job.dataset, job.config);
  const early = job.encodeAhead > 0 ? await transport.openWriter(job.writerOptions, { generator, startedAtMs: job.startedAtMs, log }) : null;
  const prepared = early ? prepareAhead(early, job, signal) : new Map<number, DeliverChunk>();
  const startedAtMs = await start();
  const writer = early ?? (await transport.openWriter(job.writerOptions, { generator, startedAtMs, log }));
  const pending = new Set<Promise<void>>();
  try {
    for (const number of job.chunks) {
      if (signal?.aborted) break;
      const [first, end] = chunkRange(job.plan, number);
      const deliver = prepared.get(number) ?? writer.prepare({ number, first, end });
      prepared.delete(number);
      if (job.paced && generator.schedule.paced) {
        const wait = startedAtMs + generator.schedule.offsetMs(end - 1) - Date.now();
        if (wait > 0) await sleep(wait);
      }
      const delivery = deliver().then((file) => onDelivered(end - first, file));
      pending.add(delivery);
      void delivery.then(
        () => pending.delete(delivery),
        () => pending.delete(delivery),
      );
      if (pending.size >= job.inFlight) await Promise.race(pending);
      // Let the pipeline, when it runs in this thread, take its turn between chunks.
      await yieldToLoop();
    }
    await Promise.all(pending);
  } finally {
    await writer.close();
  }
}

/** The job's first chunks, prepared, up to `encodeAhead` records. */
function prepareAhead(writer: ChunkWriter, job: EngineJob<unknown>, signal?: AbortSignal): Map<number, DeliverChunk> {
  const prepared = new Map<number, DeliverChunk>();
  let records = 0;
  for (const number of job.chunks) {
    const [first, end] = chunkRange(job.plan, number);
    records += end - first;
    if (records > job.encodeAhead || signal?.aborted) break;
    prepared.set(number, writer.prepare({ number, first, end }));
  }
  return prepared;
}

function runWorker<WriterOptions>(
  job: EngineJob<WriterOptions>,
  log: Log,
  onDelivered: OnDelivered,
  start: () => Promise<number>,
  signal?: AbortSignal,
): Promise<void> {
  return runModuleWorker<undefined>(
    import.meta.url,
    'engine-worker',
    job,
    (message, reply) => {
      const m = message as WorkerMessage;
      if ('log' in m) log(m.log);
      else if ('ready' in m) void start().then((startedAtMs) => reply({ start: startedAtMs } satisfies StartMessage));
      else if ('delivered' in m) onDelivered(m.delivered, m.file);
      else if ('error' in m) throw deserializeError(m.error);
      else return { done: undefined };
      return undefined;
    },
    undefined,
    signal,
  );
}
