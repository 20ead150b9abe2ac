import { setTimeout as sleep } from 'node:timers/promises';
import { createGenerator, type DatasetName, type Generator } from '../generators/index.ts';
import { Oracle } from '../generators/oracle.ts';
import type { DatasetOutput, OutputRow } from '../pipeline/output.ts';
import { datasetStatistics } from '../pipeline/rules/dataset-statistics.ts';
import { datasetOutputs } from '../pipeline/rules/outputs.ts';
import { rowKey } from '../pipeline/rules/rules.ts';
import type { DatasetManifest, RunManifest } from '../runs/manifest.ts';
import { generatorConfig } from '../scenarios/datasets.ts';
import type { CheckContext, CheckResult, CheckRun, ObservedLetter, ObservedRow, StatisticsEvidence } from './check.ts';
import { checks } from './checks/index.ts';
import { abortedCheck, producedPart, type ProducedPart } from './produced.ts';
import { REPORT_SCHEMA_VERSION, type Report } from './report.ts';
import type { DeadLetterRow, DeadLetterStream, SinkReader, SinkRow } from '../connectors/readers.ts';
import { chunkLast, type ChunkPlan } from '../connectors/transports/chunks.ts';

export interface VerifyOptions {
  /** For an external pipeline: wait up to this long for each table to hold the expected rows. */
  waitForMs?: number;
  log?: (line: string) => void;
  /** When verification started; rows ingested after it (or after waiting for them) are not this run's. */
  nowMs?: number;
  /** Where the run's dead letters were also published (a Kafka dead-letter topic), read back for `dlq-topic`. */
  deadLetters?: DeadLetterStream | null;
  /** How the run's transport names a dead letter's record (TransportComponent.positionConvention), for the dead-letter checks' messages. */
  positionConvention?: string;
  /** How the run's transport split a dataset into chunks (TransportComponent.chunkPlan), for when each record was due to be sent. */
  chunkPlan?: (generator: Generator, count: number) => ChunkPlan;
}

/** Clock slack on both ends of the run window: timestamps are taken by different processes. */
const WINDOW_SLACK_MS = 1000;

/** Maps a dead letter back to the generator index: by the index the transport carried, else by (file, line). */
function letterIndexer(generation: DatasetManifest): (letter: DeadLetterRow) => number | null {
  const byName = new Map(generation.files.map((f) => [f.name, f]));
  return (letter) => {
    if (letter.recordIndex !== null) return letter.recordIndex;
    const file = byName.get(letter.source);
    if (!file) return null;
    const offset = letter.position - file.headerLines - 1;
    return offset >= 0 && offset < file.count ? file.firstIndex + offset : null;
  };
}

/**
 * Record key -> index. Invertible keys decode in O(1) with nothing stored; seed 001's md5 ids need a
 * map of every landing record's key (about 100 bytes a record).
 */
function keyDecoder(oracle: Oracle): (key: string) => number | null {
  const { generator } = oracle;
  if (generator.invertibleKeys) return (key) => generator.decodeRecordKey(key);
  const map = new Map<string, number>();
  for (let index = 0; index < oracle.count; index++) {
    if (oracle.outcome(index).type !== 'land') continue;
    const key = generator.recordKey(index);
    if (!map.has(key)) map.set(key, index);
  }
  return (key) => map.get(key) ?? null;
}

/**
 * Resolves each sink row once (its record, whether it lands, its expected values) for every check.
 * One object serves every row in turn: a check reads it during its call and keeps nothing of it.
 */
function rowObserver(oracle: Oracle, output: DatasetOutput): (row: SinkRow) => ObservedRow {
  const decode = keyDecoder(oracle);
  // A decoded invertible key is the record's own: handed on, not rebuilt.
  const knownKey = oracle.generator.invertibleKeys;
  let cachedOrigin = -1;
  let cachedRows: OutputRow[] = [];
  const expectedRows = (origin: number, recordKey: string): OutputRow[] => {
    if (origin !== cachedOrigin) {
      const outcome = oracle.outcome(origin);
      cachedRows = outcome.type === 'land' ? output.expectedRows(oracle.generator, origin, outcome.plan, knownKey ? recordKey : undefined) : [];
      cachedOrigin = origin;
    }
    return cachedRows;
  };
  const observed = new Observed(output, expectedRows);
  return (row) => {
    const recordKey = row.values[output.recordKey];
    const decoded = typeof recordKey === 'string' ? decode(recordKey) : null;
    const origin = decoded !== null && decoded >= 0 && decoded < oracle.count ? decoded : null;
    const slot = output.slotOf(row.values);
    observed.row = row;
    observed.origin = origin;
    observed.slot = slot;
    observed.lands = origin !== null && slot !== null && slot < output.rowsPerRecord && oracle.outcome(origin).type === 'land';
    return observed;
  };
}

/** The row being resolved; its key text is built only when a check asks for it (samples), not for every row. */
class Observed implements ObservedRow {
  row: SinkRow = { values: {}, producedAtMs: null, ingestedAtMs: null };
  origin: number | null = null;
  slot: number | null = null;
  lands = false;

  constructor(
    private readonly output: DatasetOutput,
    private readonly rowsOf: (origin: number, recordKey: string) => OutputRow[],
  ) {}

  get key(): string {
    return rowKey(this.output, this.row.values);
  }

  expected(): OutputRow | null {
    return this.lands ? (this.rowsOf(this.origin as number, this.row.values[this.output.recordKey] as string)[this.slot as number] ?? null) : null;
  }
}

/** Whether the sink holds the dataset's statistics for the checks, as its reader says. */
function statisticsEvidence(reader: SinkReader, dataset: DatasetName): StatisticsEvidence {
  if (!reader.statisticsWhere || !reader.scanStatistics) return { kind: 'unreadable', reader: reader.description };
  const where = reader.statisticsWhere(dataset);
  return where === null ? { kind: 'not-kept' } : { kind: 'kept', where };
}

/** Polls the row count until it reaches `expected` or the time is up; verifying starts either way. */
async function waitForRows(reader: SinkReader, dataset: DatasetName, expected: number, timeoutMs: number, log: (line: string) => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const count = await reader.count(dataset);
    if (count >= expected) return;
    if (Date.now() >= deadline) {
      log(`[${dataset}] ${count} of ${expected} rows after waiting ${Math.round(timeoutMs / 1000)} s; verifying what is there`);
      return;
    }
    await sleep(Math.min(1000, deadline - Date.now()));
  }
}

function incomplete(dataset: DatasetName, generation: DatasetManifest | undefined, count: number): CheckResult {
  const produced = generation?.records ?? 0;
  return {
    name: 'generation',
    dataset,
    status: 'fail',
    summary: `generation incomplete: ${generation ? `${produced} of ${count}` : `no record of ${count}`} records produced; the run did not finish, nothing about it can pass`,
    figures: { expected: count, produced },
    slos: [],
    samples: {},
  };
}

/**
 * Regenerates each dataset's ground truth and streams its sink rows and dead letters through every
 * check once. Nothing the pipeline wrote about itself is trusted; what is missing fails.
 */
export async function verifyRun(manifest: RunManifest, reader: SinkReader, options: VerifyOptions = {}): Promise<Report> {
  const log = options.log ?? (() => {});
  const nowMs = options.nowMs ?? Date.now();
  const results: CheckResult[] = [];
  const series: NonNullable<Report['series']> = {};
  const stages: NonNullable<Report['stages']> = {};
  const startMs = Date.parse(manifest.createdAt);
  // An aborted run never passes, and what it produced is still judged (never the remainder it did not).
  const aborted = manifest.status === 'aborted' ? manifest.aborted : undefined;
  if (aborted) results.push(abortedCheck(aborted));
  for (const name of Object.keys(manifest.scenario.datasets) as DatasetName[]) {
    const spec = manifest.scenario.datasets[name];
    if (!spec) continue;
    const written = manifest.datasets[name];
    if (!written || (!aborted && (!written.complete || written.records < spec.count))) {
      results.push(incomplete(name, written, spec.count));
      continue;
    }
    const part: ProducedPart = aborted ? producedPart(written) : { generation: written, judgedCount: written.count };
    const { generation } = part;
    const generator: Generator = createGenerator(name, generatorConfig(manifest.seed, manifest.baseTimeMs, spec));
    const output = datasetOutputs[name];
    const oracle = new Oracle(generator, part.judgedCount, spec.expect, output.rowsPerRecord, part.produced);
    await reader.checkLayout(name);
    if (options.waitForMs) await waitForRows(reader, name, oracle.counts().expectedRows, options.waitForMs, log);
    // Rows an external pipeline wrote while verify waited for them are still this run's.
    const endMs = options.waitForMs ? Math.max(nowMs, Date.now()) : nowMs;
    const intendedAtMs = (index: number) => (generator.schedule.paced ? generation.startedAtMs + generator.schedule.offsetMs(index) : null);
    const plan = options.chunkPlan?.(generator, spec.count);
    const context: CheckContext = {
      dataset: name,
      oracle,
      output,
      generation,
      slos: manifest.scenario.slos,
      window: { startMs: startMs - WINDOW_SLACK_MS, endMs: endMs + WINDOW_SLACK_MS },
      intendedAtMs,
      sendDueAtMs: (index) => intendedAtMs(plan ? chunkLast(plan, index) : index),
      positionConvention: options.positionConvention ?? "source and position as the run's transport names a record",
      deadLetterStream: options.deadLetters?.where(name) ?? null,
      statistics: datasetStatistics[name],
      statisticsKept: statisticsEvidence(reader, name),
    };
    const runs: CheckRun[] = Object.values(checks)
      .filter((check) => check.appliesTo?.(context) ?? true)
      .map((check) => check.begin(context));
    const observe = rowObserver(oracle, output);
    await reader.scanRows(name, (rows) => {
      for (const row of rows) {
        const observed = observe(row);
        for (const run of runs) run.row?.(observed);
      }
    });
    const indexOf = letterIndexer(generation);
    await reader.scanDeadLetters(name, (letters) => {
      for (const letter of letters) {
        const observed: ObservedLetter = { letter, index: indexOf(letter), from: 'sink' };
        for (const run of runs) run.deadLetter?.(observed);
      }
    });
    if (options.deadLetters && context.deadLetterStream !== null) {
      log(`[${name}] reading dead letters back from ${context.deadLetterStream}`);
      // Read after the table: the topic gets each letter before the table does.
      await options.deadLetters.scan(name, (letters) => {
        for (const letter of letters) {
          const observed: ObservedLetter = { letter, index: letter.recordIndex, from: 'topic' };
          for (const run of runs) run.deadLetter?.(observed);
        }
      });
    }
    if (context.statisticsKept.kind === 'kept' && runs.some((run) => 'statistic' in run)) {
      await reader.scanStatistics?.(name, (rows) => {
        for (const row of rows) for (const run of runs) run.statistic?.(row);
      });
    }
    for (const result of runs.map((run) => run.finish())) {
      // Moved, not copied: a series of thousands of points belongs in the report once.
      const { series: points, stages: summaries, ...check } = result;
      if (points) series[name] = points;
      if (summaries) stages[name] = summaries;
      results.push(check);
    }
  }
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    runId: manifest.runId,
    scenario: manifest.scenario.name,
    generatedAt: new Date(nowMs).toISOString(),
    sink: reader.description,
    // Zero checks is no evidence, and no evidence is never a pass.
    verdict: results.length > 0 && results.every((r) => r.status === 'pass') ? 'pass' : 'fail',
    checks: results,
    ...(Object.keys(series).length > 0 ? { series } : {}),
    ...(Object.keys(stages).length > 0 ? { stages } : {}),
  };
}
