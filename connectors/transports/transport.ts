import type { z } from 'zod';
import type { DatasetName, Generator } from '../../generators/index.ts';
import type { DeadLetterPublisher } from '../../pipeline/dead-letter-publisher.ts';
import type { Source } from '../../pipeline/source.ts';
import type { DeadLetterStream } from '../readers.ts';
import type { ChunkPlan, Shard } from './chunks.ts';

export type Log = (line: string) => void;

/** One committed file: which indices it holds, so positions map back to records. */
export interface CommittedFile {
  name: string;
  firstIndex: number;
  count: number;
  /** Lines before the first record (a CSV header). */
  headerLines: number;
  committedAtMs: number;
}

export interface ProduceRequest {
  generator: Generator;
  count: number;
  /** Worker threads generating in parallel; 1 (default) = this thread. */
  workers?: number;
  shard?: Shard;
  /** Hold each chunk until its last record is due (default); false sends as fast as possible, same bytes. */
  paced?: boolean;
  signal?: AbortSignal;
  /**
   * Aborted when the production ends early and for good (an SLO's abortOnFail); `signal` is aborted
   * too. Readers are then told the data is complete (a file transport's end marker), so a pipeline
   * finishes what was produced instead of waiting for the rest.
   */
  endEarly?: AbortSignal;
  /** Told of each chunk once it is stored: the run manifest keeps count as it goes. */
  onDelivered?: (records: number, file: CommittedFile | null) => void;
  /**
   * Told of the schedule's time zero, taken once every producing thread is ready to send (its
   * modules loaded, its generator built): a worker thread's start-up is not part of the schedule.
   */
  onStarted?: (startedAtMs: number) => void;
  /**
   * Records to encode before time zero, so that while the schedule runs, producing them costs
   * little more than writing them: find-max measures a pipeline sharing the machine with the
   * generator. Files only; a Kafka message carries its intended time, known from time zero on.
   */
  encodeAhead?: number;
  /**
   * Finishing an interrupted production: the transport produces only what is not stored yet, on the
   * original schedule (what was due long ago goes at once, what is still due waits for its time).
   */
  resume?: { startedAtMs: number };
}

export interface ProduceOutcome {
  startedAtMs: number;
  finishedAtMs: number;
  /** Records this shard delivered. */
  records: number;
  /** For transports that write files: the files committed, in index order. */
  files: CommittedFile[];
}

/**
 * One run's use of a transport: where its records go, and how the reference pipeline running
 * alongside reads them back. `prepare()` runs before producing, `finish()` once every dataset is
 * produced; `location()` is what the manifest records, so that a later `harness pipeline` finds the
 * data through the component's `sourcesFor()`.
 */
export interface RunTransport<Location> {
  prepare(datasets: DatasetName[]): Promise<void>;
  produce(request: ProduceRequest): Promise<ProduceOutcome>;
  finish(): Promise<void>;
  /** Sources for a pipeline running alongside the producers. */
  sources(generators: Generator[]): Source[];
  location(): Location;
  close(): Promise<void>;
}

/** What a transport learns of the run it serves. Servers come from `env`, never from the scenario. */
export interface TransportContext {
  runId: string;
  env: NodeJS.ProcessEnv;
  log: Log;
}

/** Chunk `number` of a dataset's plan, holding indices [first, end). */
export interface Chunk {
  number: number;
  first: number;
  end: number;
}

/** Delivers a prepared chunk; settles once it is stored, with the file it committed, if any. */
export type DeliverChunk = () => Promise<CommittedFile | null>;

/**
 * What the producer engine drives, one per thread. The engine prepares a chunk, waits until the
 * chunk's last record is due, then delivers it. The split keeps the pacing honest both ways: work
 * that may happen early (encoding a file) belongs in `prepare`, so the delivery is on time; what a
 * reader can see, or what is stamped with the send time, belongs in the delivery, so nothing is
 * visible or stamped before it is due.
 */
export interface ChunkWriter {
  prepare(chunk: Chunk): DeliverChunk;
  /** Called once, after the last delivery settled (or one failed). */
  close(): Promise<void>;
}

export interface WriterContext {
  generator: Generator;
  /** Time zero of the production: record i is due at `startedAtMs + generator.schedule.offsetMs(i)`. */
  startedAtMs: number;
  log: Log;
}

/**
 * How the engine gets a transport's chunk writer. `options` are plain data: with worker threads
 * they are cloned into each worker, which finds the factory in the registry by `type`.
 */
export interface ChunkWriterFactory<WriterOptions> {
  readonly type: string;
  openWriter(options: WriterOptions, context: WriterContext): Promise<ChunkWriter>;
}

/**
 * A transport: one folder under `connectors/transports/`, one line in the registry (`index.ts`).
 * It owns its scenario spec (the `transport:` object whose `type` names it), what it records in
 * the manifest (`Location`), its run-time side (`create`), the sources that read a finished run
 * back (`sourcesFor`), and the chunk writer the shared producer engine drives.
 */
export interface TransportComponent<Type extends string, Spec, Location, WriterOptions> extends ChunkWriterFactory<WriterOptions> {
  readonly type: Type;
  /** Strict (unknown keys are errors), every field described; the scenario schema is built from it (specs.ts). */
  readonly spec: z.ZodType<Spec>;
  /**
   * How a dead letter's `source` and `position` (or `record_index`) name the record it holds, in
   * words, for a pipeline of your own: the verifier's dead-letter checks say it when they fail.
   */
  readonly positionConvention: string;
  /**
   * How a dataset of `count` records splits into this transport's chunks (files, produce requests).
   * A paced chunk is delivered when its last record is due, so its first records wait by design:
   * the verifier measures each record's send against that time, not its own.
   */
  chunkPlan(spec: Spec, generator: Generator, count: number): ChunkPlan;
  /** Where a run's data went, in words (no credentials): for the run's log and report.html. */
  describe(location: Location): string;
  /**
   * Whether `sourcesFor` can read a run whose generation is still going on: files are followed as
   * they are committed; Kafka's end offsets are recorded only once the generation finished, so
   * `harness pipeline` waits for that before it reads.
   */
  readonly followsProduction: boolean;
  create(spec: Spec, context: TransportContext & { runDir: string }): RunTransport<Location>;
  /** The run-time side again for a run that was interrupted (`harness resume`), from what the manifest recorded. */
  reopen(spec: Spec, location: Location, context: TransportContext): RunTransport<Location>;
  /** Sources over a finished run's data, from what the manifest recorded: for `harness pipeline`. */
  sourcesFor(location: Location, generators: Generator[], context: TransportContext): Source[];
  /** Where dead letters also go besides the sink's table, when the transport has such a place. */
  deadLetterPublisher(spec: Spec, context: TransportContext): DeadLetterPublisher | null;
  /**
   * For the verifier: that place read back within the run's range, when the run had one (null
   * otherwise). Opening does not connect; reading does, and fails with exit 3 when it cannot.
   */
  deadLetterReader?(location: Location, context: TransportContext): DeadLetterStream | null;
}
