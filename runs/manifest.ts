import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TransportLocation } from '../connectors/transports/index.ts';
import type { CommittedFile } from '../connectors/transports/transport.ts';
import type { SinkLocation } from '../connectors/sinks/index.ts';
import type { DatasetName } from '../generators/generator.ts';
import type { PipelineResult } from '../pipeline/run-pipeline.ts';
import type { Scenario } from '../scenarios/schema.ts';
import { HarnessError } from '../core/errors.ts';

export const MANIFEST_VERSION = 1;


export interface DatasetManifest {
  count: number;
  /** Records this run produced (all of `count` when its generation finished). */
  records: number;
  rate: number;
  startedAtMs: number;
  finishedAtMs: number;
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
  datasets: Partial<Record<DatasetName, DatasetManifest>>;
  pipeline: PipelineResult | null;
  /** Peak resident memory of the run, bytes. */
  peakRssBytes?: number;
}

export const MANIFEST_FILE = 'manifest.json';

export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
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

export function saveManifest(runDir: string, manifest: RunManifest): void {
  const path = join(runDir, MANIFEST_FILE);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}

export function loadManifest(runDir: string): RunManifest {
  const path = join(runDir, MANIFEST_FILE);
  if (!existsSync(path)) throw new HarnessError('runNotFound', `no run manifest at ${path}: is ${runDir} a run directory?`);
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as RunManifest;
  if (manifest.manifestVersion !== MANIFEST_VERSION) {
    throw new HarnessError('runNotFound', `${path} has manifest version ${String(manifest.manifestVersion)}; this harness reads ${MANIFEST_VERSION}`);
  }
  return manifest;
}

/** The newest run directory under `home` (run ids sort by time). */
export function latestRunDir(home: string): string {
  const root = runsRoot(home);
  const runs = existsSync(root) ? readdirSync(root).filter((name) => existsSync(join(root, name, MANIFEST_FILE))).sort() : [];
  const last = runs.at(-1);
  if (!last) throw new HarnessError('runNotFound', `no runs under ${root}: start one with \`harness run <scenario>\``);
  return join(root, last);
}
