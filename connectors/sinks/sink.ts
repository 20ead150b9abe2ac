import type { z } from 'zod';
import type { DatasetName } from '../../generators/generator.ts';
import type { Sink } from '../../pipeline/sink.ts';
import type { SinkReader } from '../readers.ts';

export interface SinkSetup {
  datasets: readonly DatasetName[];
  /** Drop what the tables hold first. */
  reset: boolean;
  /** Keys (and dead letters) unique in the sink; off only to inject faults past the dedup. */
  uniqueKeys: boolean;
  uniqueDeadLetters: boolean;
  /** Share of records the sink's statistics count twice: the injected fault `doubleCount`, off in any real run. */
  doubleCount?: number;
  log: (line: string) => void;
}

/** Who takes a sink's lock: the process (for messages) and the run it belongs to. */
export interface LockHolder {
  holder: string;
  runId: string;
  log?: (line: string) => void;
}

/** Held while a run writes to a sink; released when it ends. */
export interface SinkLock {
  /**
   * Called before each write: resolves at once while the lock is held. A lock the sink lost with its
   * connection (a database outage) is taken again first; if another run took it meanwhile, a
   * HarnessError 'unreachable' (exit 3). A server that cannot be reached yet fails as the sink's
   * writes do, for the outage wait to judge.
   */
  hold(): Promise<void>;
  release(): Promise<void>;
}

/**
 * How far a pipeline the harness does not run has got, read from its sink. Cheap: meant to be read
 * about once a second while that pipeline writes (each sink says how stale a figure can be).
 */
export interface SinkProbe {
  /** Rows and dead letters in the sink now for `dataset` (rows: sink rows, e.g. 10 per LoL match). */
  read(dataset: DatasetName): Promise<{ rows: number; deadLetters: number; atMs: number }>;
  close(): Promise<void>;
}

/**
 * A sink as a component: its part of the scenario (`spec`), where a run's sink is (`locate`, kept in
 * the manifest without secrets), a writer for the reference pipeline and a reader for the verifier.
 * Adding a sink is one folder beside `sql/` plus one line in `index.ts`.
 */
export interface SinkComponent<Spec extends { type: string }, Location> {
  readonly spec: z.ZodType<Spec>;
  /** Where a new run's sink lives: a server named by the environment, or an embedded default in the run directory. */
  locate(env: NodeJS.ProcessEnv, runDir: string): Location;
  /** Whether another process can reach it (an external pipeline, `harness pipeline` on another machine). */
  shared(location: Location): boolean;
  /** Opens the writer; the pipeline's `connect()` creates the tables as `setup` says. */
  openWriter(location: Location, spec: Spec, env: NodeJS.ProcessEnv, setup: SinkSetup): Promise<Sink>;
  /**
   * Creates the tables (and with `reset`, empties them) without writing anything: `harness sink
   * init`, external runs. Says where and what, every table (or index) named, checkpoints included.
   */
  init(location: Location, spec: Spec, env: NodeJS.ProcessEnv, setup: SinkSetup): Promise<string>;
  /** The statements `init` runs, for a sink that has such a language (SQL): `harness sink ddl` prints them without connecting. */
  ddl?(spec: Spec, setup: SinkSetup): Promise<string[]>;
  openReader(location: Location, spec: Spec, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<SinkReader>;
  /** Opens a progress probe on the run's tables (or indices), which must exist (`init` or the writer made them). */
  openProbe(location: Location, spec: Spec, env: NodeJS.ProcessEnv): Promise<SinkProbe>;
  /**
   * Takes the sink's schema (or index prefix) for one run: another run on it fails at once with a
   * configuration error naming the holder. Processes of the same run (`harness pipeline` beside the
   * `harness run` that produces for it) share it. `holder` names the process, e.g. "harness run <id>".
   */
  lock(location: Location, spec: Spec, env: NodeJS.ProcessEnv, who: LockHolder): Promise<SinkLock>;
}
