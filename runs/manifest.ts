import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { TransportLocation } from '../connectors/transports/index.ts';
import type { CommittedFile } from '../connectors/transports/transport.ts';
import type { SinkLocation } from '../connectors/sinks/index.ts';
import type { DatasetName } from '../generators/generator.ts';
import type { PipelineResult } from '../pipeline/run-pipeline.ts';
import type { Scenario } from '../scenarios/schema.ts';
import { HarnessError, messageOf } from '../core/errors.ts';

export const MANIFEST_VERSION = 2;

/**
 * `running` while the run is alive (its heartbeat `updatedAt` fresh); a `running` manifest with a
 * stale heartbeat is a run that was killed. `interrupted`: stopped by a signal; `failed`: by an error;
 * `aborted`: stopped on purpose because an SLO with abortOnFail was already lost (never resumed).
 */
export type RunStatus = 'running' | 'interrupted' | 'failed' | 'finished' | 'aborted';

/** Why an `aborted` run stopped: the first latency bound broken over the recent window, and when. */
export interface AbortRecord {
  atMs: number;
  /** Seconds since the run started. */
  second: number;
  dataset: DatasetName;
  /** The load profile's stage the dataset was in (its label). */
  stage: string;
  /** The bound, e.g. `latency.p99`. */
  slo: string;
  /** Over the recent window, ms. */
  actual: number;
  limit: number;
}

/** How often a live run refreshes its manifest, and after how long without it the run counts as dead. */
export const HEARTBEAT_MS = 1000;
export const HEARTBEAT_STALE_MS = 10_000;

export interface DatasetManifest {
  /** Records planned. */
  count: number;
  /** Records produced so far; all of `count` once `complete`. */
  records: number;
  /** True once every record is produced: only then can the dataset pass verification. */
  complete: boolean;
  rate: number;
  /** Time zero of the load profile: record i was due at startedAtMs + its schedule offset. */
  startedAtMs: number;
  finishedAtMs: number;
  /**
   * Records delivered in each second since startedAtMs (index = whole seconds), counted by the
   * harness's own producer as deliveries are confirmed; `harness resume` keeps the clock and adds to
   * it. Absent in runs from before it was kept.
   */
  producedPerSecond?: number[];
  /** For file transports: the files written, so (file, line) maps back to a record index. */
  files: CommittedFile[];
}

/** Everything a later `harness verify` needs to rebuild the ground truth and find the sinks. */
export interface RunManifest {
  manifestVersion: typeof MANIFEST_VERSION;
  runId: string;
  createdAt: string;
  scenarioPath: string;
  scenario: Scenario;
  /** The seed word every generator was built from. */
  seed: number;
  baseTimeMs: number;
  transport: TransportLocation;
  /** How to reach the sink again (the scenario's sink.type names the component). Never holds a password. */
  sink: SinkLocation;
  /** Written before anything is produced (the run's intent), updated as it goes. */
  datasets: Partial<Record<DatasetName, DatasetManifest>>;
  pipeline: PipelineResult | null;
  status: RunStatus;
  /** The heartbeat: refreshed every HEARTBEAT_MS while the run is alive. */
  updatedAt: string;
  /** The process writing the manifest, so that on its own machine a killed run is known dead at once. */
  process: { pid: number; host: string };
  /** What stopped a failed run. */
  error?: string;
  /** Set when the run was aborted by an SLO with abortOnFail. */
  aborted?: AbortRecord;
  /** Peak resident memory of the run, bytes. */
  peakRssBytes?: number;
}

/** `aborted at t=4s, stage 1 (steady 2000/s): [ecommerce] latency.p99 1.52 s > 1 s`, for the run's output and the verdict. */
export function describeAbort(aborted: AbortRecord): string {
  const seconds = (ms: number) => `${Number((ms / 1000).toPrecision(3))} s`;
  return `aborted at t=${aborted.second}s, ${aborted.stage}: [${aborted.dataset}] ${aborted.slo} ${seconds(aborted.actual)} > ${seconds(aborted.limit)}`;
}

export const MANIFEST_FILE = 'manifest.json';

export function newRunId(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${Math.random().toString(36).slice(2, 6)}`;
}

export function runsRoot(home: string): string {
  return join(home, 'runs');
}

export function createRunDir(home: string, runId: string): string {
  const dir = resolve(runsRoot(home), runId);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Written whole or not at all: a temporary file, flushed to the disk, renamed over the manifest, and
 * the directory flushed, so a crash or power loss leaves the previous manifest or the new one,
 * never half of one. A full disk fails the temporary file's write and leaves the manifest as it was.
 */
export function saveManifest(runDir: string, manifest: RunManifest): void {
  const path = join(runDir, MANIFEST_FILE);
  // Its own temporary file: several `harness pipeline` processes of one run may save at once.
  const temporary = `${path}.${process.pid}.tmp`;
  const fd = openSync(temporary, 'w');
  try {
    writeSync(fd, `${JSON.stringify(manifest, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
  const dir = openSync(runDir, 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

/** Reads a run's manifest; a missing, empty, truncated or foreign one is a HarnessError naming the file and what still works. */
export function loadManifest(runDir: string): RunManifest {
  const path = join(runDir, MANIFEST_FILE);
  if (!existsSync(path)) throw new HarnessError('runNotFound', `no run manifest at ${path}: is ${runDir} a run directory?`);
  const corrupt = (problem: string) =>
    new HarnessError(
      'corrupt',
      `${path} ${problem}. harness writes it whole, so it was damaged after it was written. The data files in ${runDir} are intact, ` +
        `but without the manifest this run can be neither verified nor resumed: run its scenario again with \`harness run\`.`,
    );
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new HarnessError('corrupt', `cannot read ${path}: ${messageOf(error)}`, { cause: error });
  }
  if (text.trim() === '') throw corrupt('is empty');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw corrupt(`is not valid JSON, truncated or corrupt (${messageOf(error)})`);
  }
  if (typeof parsed !== 'object' || parsed === null || !('manifestVersion' in parsed)) throw corrupt('is not a harness run manifest (no manifestVersion)');
  if (parsed.manifestVersion !== MANIFEST_VERSION) {
    throw new HarnessError('runNotFound', `${path} has manifest version ${JSON.stringify(parsed.manifestVersion)}; this harness reads ${MANIFEST_VERSION}`);
  }
  const manifest = parsed as RunManifest;
  // Written by a harness of this version but cut short or edited: say so rather than fail later.
  const whole =
    (manifest as Partial<RunManifest>).runId !== undefined &&
    typeof (manifest as Partial<RunManifest>).scenario === 'object' &&
    typeof (manifest as Partial<RunManifest>).datasets === 'object';
  if (!whole) throw corrupt('is incomplete (runId, scenario or datasets missing)');
  return manifest;
}

/** The newest run directory under `home` (run ids sort by time). */
export function latestRunDir(home: string): string {
  const root = runsRoot(home);
  const runs = existsSync(root)
    ? readdirSync(root)
        .filter((name) => existsSync(join(root, name, MANIFEST_FILE)))
        .sort()
    : [];
  const last = runs.at(-1);
  if (!last) throw new HarnessError('runNotFound', `no runs under ${root}: start one with \`harness run <scenario>\``);
  return join(root, last);
}

/** Whether the run that writes this manifest is still at work (not finished, stopped or killed). */
export function isAlive(manifest: RunManifest, nowMs = Date.now()): boolean {
  if (manifest.status !== 'running') return false;
  if (manifest.process.host === hostname() && manifest.process.pid !== process.pid && !processExists(manifest.process.pid)) return false;
  return nowMs - Date.parse(manifest.updatedAt) < HEARTBEAT_STALE_MS;
}

export function currentProcess(): RunManifest['process'] {
  return { pid: process.pid, host: hostname() };
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, owned by someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Why a run's generation is not whole, for messages; null when it is. */
export function unfinishedGeneration(manifest: RunManifest): string | null {
  // An aborted generation ended where it was stopped, on purpose: what it produced is all there will be.
  if (manifest.status === 'aborted') return null;
  const open = Object.entries(manifest.datasets).filter(([, d]) => !d.complete);
  if (open.length === 0) return null;
  const state = isAlive(manifest) ? 'still running' : manifest.status === 'running' ? 'killed (its heartbeat stopped)' : manifest.status;
  return `generation of run ${manifest.runId} is incomplete (${state}): ${open.map(([name, d]) => `${name} ${d.records} of ${d.count} records`).join(', ')}`;
}

/** Counts `records` delivered at `nowMs` into the dataset's per-second production. */
export function countProduced(dataset: DatasetManifest, records: number, nowMs: number): void {
  const perSecond = (dataset.producedPerSecond ??= []);
  const second = Math.max(0, Math.floor((nowMs - dataset.startedAtMs) / 1000));
  // Seconds with no delivery are zeros, never holes: JSON would write a hole as null.
  while (perSecond.length <= second) perSecond.push(0);
  perSecond[second] = (perSecond[second] as number) + records;
}
