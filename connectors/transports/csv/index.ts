import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DatasetName, Generator } from '../../../generators/index.ts';
import type { Source } from '../../../pipeline/source.ts';
import { chunkRange, scheduledPlan, shardChunks, wholeDataset, type ChunkPlan } from '../chunks.ts';
import { produceChunks } from '../engine.ts';
import type { CommittedFile, ProduceOutcome, ProduceRequest, RunTransport, TransportComponent } from '../transport.ts';
import { CsvFileSource } from './source.ts';
import { csvSpec, type CsvTransportSpec, type Rotation } from './spec.ts';
import { dataFileName, openCsvWriter, writeDoneMarker, type CsvWriterOptions } from './writer.ts';

/** Where a run's files went: one directory per dataset under `dir`. */
export interface CsvLocation {
  type: 'csv';
  dir: string;
}

/**
 * Files hold `rotateRecords`, or when paced `rotateInterval` of records, whichever is fewer: at
 * the simple form's steady rate a fixed size, under a load profile as many as its schedule says.
 */
export function filePlan(generator: Generator, count: number, rotation: Rotation): ChunkPlan {
  const { config, schedule } = generator;
  if (config.load) return scheduledPlan(schedule, count, rotation.rotateRecords, rotation.rotateInterval);
  const rate = config.rate;
  const size = rate > 0 ? Math.max(1, Math.min(rotation.rotateRecords, Math.floor((rate * rotation.rotateInterval) / 1000))) : rotation.rotateRecords;
  return { count, size };
}

/** Files keep their rotation settings; a scenario on another transport, written to files, gets the defaults. */
export function fileRotation(transport: CsvTransportSpec | { type: string }): Rotation {
  return isCsv(transport) ? transport : csvSpec.parse({ type: 'csv' });
}

function isCsv(transport: CsvTransportSpec | { type: string }): transport is CsvTransportSpec {
  return transport.type === 'csv';
}

export function datasetDir(root: string, dataset: string): string {
  return join(root, dataset);
}

function sourcesIn(dir: string, generators: Generator[]): Source[] {
  return generators.map((g) => new CsvFileSource(g.dataset, datasetDir(dir, g.dataset), g.header === null ? 0 : 1));
}

/**
 * Rotated files under `dir`, a directory per dataset. Files are numbered by chunk, so workers and
 * shards write the same files; each shard marks its end with a `_DONE` marker once all its files
 * are committed, which is how a reader knows the directory is complete.
 */
export class CsvTransport implements RunTransport<CsvLocation> {
  constructor(
    private readonly dir: string,
    private readonly rotation: Rotation,
  ) {}

  /** Each dataset's directory exists before any file: a pipeline under test started beside the run can watch it at once. */
  async prepare(datasets: readonly DatasetName[]): Promise<void> {
    for (const dataset of datasets) mkdirSync(datasetDir(this.dir, dataset), { recursive: true });
  }

  async produce({
    generator,
    count,
    workers = 1,
    shard = wholeDataset,
    paced = true,
    signal,
    endEarly,
    onDelivered,
    onStarted,
    resume,
    encodeAhead,
  }: ProduceRequest): Promise<ProduceOutcome> {
    const dir = datasetDir(this.dir, generator.dataset);
    const plan = filePlan(generator, count, this.rotation);
    // A file is committed whole or not at all (temp name + rename): what exists is done.
    const stored = resume ? shardChunks(plan, shard).flatMap((chunk) => storedFile(dir, generator, plan, chunk)) : [];
    const done = new Set(stored.map((file) => file.name));
    const result = await produceChunks<CsvWriterOptions>({
      transport: csv,
      writerOptions: { dir },
      generator,
      plan,
      shard,
      workers,
      paced,
      inFlight: 1,
      log: () => {},
      ...(signal ? { signal } : {}),
      ...(onDelivered ? { onDelivered } : {}),
      ...(onStarted ? { onStarted } : {}),
      ...(encodeAhead ? { encodeAhead } : {}),
      ...(resume ? { startedAtMs: resume.startedAtMs, only: (chunk: number) => !done.has(dataFileName(generator.dataset, chunk, generator.format)) } : {}),
    });
    if (result.completed || endEarly?.aborted) writeDoneMarker(dir, shard, result.chunks);
    const files = [...stored, ...result.files].sort((a, b) => a.firstIndex - b.firstIndex);
    return { startedAtMs: result.startedAtMs, finishedAtMs: Date.now(), records: files.reduce((n, f) => n + f.count, 0), files };
  }

  async finish(): Promise<void> {}

  sources(generators: Generator[]): Source[] {
    return sourcesIn(this.dir, generators);
  }

  location(): CsvLocation {
    return { type: 'csv', dir: this.dir };
  }

  async close(): Promise<void> {}
}

/** The file chunk `chunk` of the plan, when it is already committed in `dir`. */
function storedFile(dir: string, generator: Generator, plan: ChunkPlan, chunk: number): CommittedFile[] {
  const name = dataFileName(generator.dataset, chunk, generator.format);
  const path = join(dir, name);
  if (!existsSync(path)) return [];
  const [first, end] = chunkRange(plan, chunk);
  return [{ name, firstIndex: first, count: end - first, headerLines: generator.header === null ? 0 : 1, committedAtMs: statSync(path).mtimeMs }];
}

export const csv = {
  type: 'csv',
  spec: csvSpec,
  create: (spec, { runDir }) => new CsvTransport(spec.dir ?? join(runDir, 'data'), spec),
  reopen: (spec, location) => new CsvTransport(location.dir, spec),
  positionConvention: 'source = the file name and position = its 1-based physical line, the header being line 1',
  chunkPlan: (spec, generator, count) => filePlan(generator, count, spec),
  describe: (location) => `csv files in ${location.dir}`,
  followsProduction: true,
  sourcesFor: (location, generators) => sourcesIn(location.dir, generators),
  deadLetterPublisher: () => null,
  openWriter: openCsvWriter,
} satisfies TransportComponent<'csv', CsvTransportSpec, CsvLocation, CsvWriterOptions>;
