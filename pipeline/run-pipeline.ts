import { setImmediate, setTimeout as sleep } from 'node:timers/promises';
import type { ReasonCode } from '../core/reasons.ts';
import type { DatasetName } from '../generators/generator.ts';
import type { PipelineFaults, SharedPipelineFault } from './spec.ts';
import { corrupted, faultHits, otherReason, Pause, positionKey, RowRateCap } from './faults.ts';
import { datasetRules, datasetStatistics } from './rules/index.ts';
import { rowKey, type Verdict } from './rules/rules.ts';
import { safeText, type FieldSpec, type OutputRow } from './output.ts';
import type { DeadLetter, Sink } from './sink.ts';
import type { Source, SourceBatch, SourceRecord } from './source.ts';
import type { DeadLetterPublisher } from './dead-letter-publisher.ts';
import { DEFAULT_OUTAGE_LIMIT_MS, waitOutOutage, type OutagePolicy } from './outage.ts';
import { writeIsolating } from './isolate.ts';

export interface PipelineOptions {
  sources: Source[];
  sink: Sink;
  batchSize: number;
  futureToleranceMs: number;
  pollIntervalMs: number;
  faults?: PipelineFaults;
  /** Dead letters also go here (a Kafka topic), besides the sink's table. */
  deadLetterTopic?: DeadLetterPublisher;
  /** What the pipeline has to say (outages waited out, records the sink refused), for the terminal. */
  log: (line: string) => void;
  /** One line per batch written (`--verbose`); default none. */
  batchLog?: (line: string) => void;
  /** Told of each batch once the sink has committed it: the live view's ingest figures (runner/monitor.ts). */
  onBatch?: (dataset: DatasetName, batch: BatchProgress) => void;
  /** Stops the pipeline between batches (graceful shutdown, or a crash in tests). */
  signal?: AbortSignal;
  /** How long a sink that is unavailable is waited out (backoff 200 ms doubling to 5 s) before the run fails; default 5 minutes. */
  outageLimitMs?: number;
  /**
   * Run before the sink prepares its tables and before each write, retried with them through an
   * outage: the sink's lock (SinkLock.hold), taken again once a database outage has ended it.
   */
  beforeWrite?: () => Promise<void>;
  /** What to do with each reason a record fails on, per dataset (the scenario's `expect`); default dead-letter. */
  actions?: Partial<Record<DatasetName, Partial<Record<ReasonCode, BadRecordAction>>>>;
}

export type BadRecordAction = 'dead-letter' | 'repair' | 'drop';

/** A batch the sink has committed, as the run's monitor sees it. */
export interface BatchProgress {
  /** Every record the batch handled (landed, dead-lettered, dropped or absorbed), with its send time and index when known. */
  records: readonly SourceRecord[];
  /** Of them, the ones dead-lettered. */
  deadLettered: number;
  committedAtMs: number;
}

export interface DatasetStats {
  batches: number;
  records: number;
  valid: number;
  rows: number;
  inserted: number;
  /** Rows the sink's key absorbed: replays and the generator's duplicates. */
  duplicates: number;
  deadLettered: number;
  byReason: Partial<Record<ReasonCode, number>>;
  /** Records repaired or dropped because the scenario expects it. */
  repaired: number;
  dropped: number;
  /** What the injected faults did, to the record. */
  injected: Record<
    'dropped' | 'doubled' | 'dlqSkipped' | 'corrupted' | 'wrongReason' | 'validDeadLettered' | 'dlqDoubled' | 'skewed' | 'doubleCounted',
    number
  >;
}

export interface PipelineResult {
  startedAtMs: number;
  finishedAtMs: number;
  /** Whether every source reached its end (false when stopped by the signal). */
  completed: boolean;
  datasets: Partial<Record<DatasetName, DatasetStats>>;
}

function emptyStats(): DatasetStats {
  return {
    batches: 0,
    records: 0,
    valid: 0,
    rows: 0,
    inserted: 0,
    duplicates: 0,
    deadLettered: 0,
    byReason: {},
    repaired: 0,
    dropped: 0,
    injected: { dropped: 0, doubled: 0, dlqSkipped: 0, corrupted: 0, wrongReason: 0, validDeadLettered: 0, dlqDoubled: 0, skewed: 0, doubleCounted: 0 },
  };
}

/**
 * The reference pipeline: source -> decode -> validate -> transform -> sink, with the dead-letter
 * queue beside it. Sources are served in turn, one batch each, until all have ended.
 */
export async function runPipeline(options: PipelineOptions): Promise<PipelineResult> {
  const { sink, sources } = options;
  const startedAtMs = Date.now();
  const stats: Partial<Record<DatasetName, DatasetStats>> = {};
  const connect = async () => {
    await options.beforeWrite?.();
    await sink.connect();
  };
  await waitOutOutage(sink, 'sink connect', connect, outagePolicy(options), options.log);
  for (const source of sources) {
    stats[source.dataset] = emptyStats();
    const checkpoints = () =>
      waitOutOutage(sink, `[${source.dataset}] sink checkpoints`, () => sink.checkpoints(source.dataset), outagePolicy(options), options.log);
    await source.open(await checkpoints(), checkpoints);
  }
  const active = new Set(sources);
  const cap = options.faults?.maxRowsPerSec ? new RowRateCap(options.faults.maxRowsPerSec) : null;
  const pause = options.faults?.pauseAt ? new Pause(startedAtMs, options.faults.pauseAt) : null;
  // One write in flight while the next batch is read and validated: a server works on the one while
  // this process works on the other (it had sat idle for half of each batch). Writes stay in order.
  let writing: Promise<void> = Promise.resolve();
  // In an object, not a let: the compiler would narrow a let the write's callback sets to null for good.
  const state: { writeFailed: { error: unknown } | null } = { writeFailed: null };
  const written = async () => {
    await writing;
    if (state.writeFailed) throw state.writeFailed.error;
  };
  try {
    // A function, not the expression twice: the compiler would take the loop's test as still holding inside it.
    const stopping = () => options.signal?.aborted === true || state.writeFailed !== null;
    while (active.size > 0 && !stopping()) {
      let idle = true;
      for (const source of [...active]) {
        if (stopping()) break;
        if (await pause?.hold(options.signal)) options.log(`injected fault pauseAt: the pipeline took no batch for ${options.faults?.pauseAt?.for} ms`);
        const batch = await source.next(options.batchSize);
        if (batch === 'end') active.delete(source);
        else if (batch !== 'idle') {
          idle = false;
          const prepared = await prepareBatch(options, source.dataset, batch);
          await cap?.admit(prepared.rows.length + prepared.deadLetters.length, options.signal);
          await written();
          // Stopped while the previous batch was written: this one is left for the next run.
          if (options.signal?.aborted) break;
          // Handled at once, so a failed write is never an unhandled rejection while the next batch is read.
          writing = writeBatch(options, prepared, stats[source.dataset] as DatasetStats)
            .then(() => source.committed?.(batch))
            .catch((error: unknown) => {
              state.writeFailed = { error };
            });
        }
      }
      if (idle && active.size > 0) {
        await written();
        await sleep(options.pollIntervalMs);
      }
    }
    await written();
  } finally {
    await writing;
    for (const source of sources) await source.close();
    await options.deadLetterTopic?.close();
  }
  return { startedAtMs, finishedAtMs: Date.now(), completed: active.size === 0, datasets: stats };
}

function outagePolicy(options: PipelineOptions): OutagePolicy {
  return { limitMs: options.outageLimitMs ?? DEFAULT_OUTAGE_LIMIT_MS, ...(options.signal ? { signal: options.signal } : {}) };
}

/** A batch validated and transformed, ready for the sink. */
interface PreparedBatch {
  dataset: DatasetName;
  /** What this batch adds to its dataset's figures, added once it is written. */
  tally: DatasetStats;
  batch: SourceBatch;
  started: number;
  verdicts: Verdict[];
  valid: number;
  rows: OutputRow[];
  producedAtMs: number[];
  deadLetters: DeadLetter[];
  rowRecords: number[];
  letterRecords: number[];
  published: { letter: DeadLetter; record: SourceRecord }[];
}

/**
 * Records validated between two turns of the event loop. The previous batch's write goes through
 * several round trips (COPY, INSERT, checkpoint, COMMIT); each reply waits for the next turn, so
 * validating a whole batch in one go would stall the server between them.
 */
const VALIDATE_SLICE = 256;

/** Decode, validate, transform and encode for the sink: the CPU-bound half of a batch, run while the previous one is written. */
async function prepareBatch(options: PipelineOptions, dataset: DatasetName, batch: SourceBatch): Promise<PreparedBatch> {
  const started = performance.now();
  const stats = emptyStats();
  const rules = datasetRules[dataset];
  const context = { nowMs: Date.now(), futureToleranceMs: options.futureToleranceMs };
  const lines = batch.records.map((r) => r.bytes);
  const verdicts: Verdict[] = [];
  for (let at = 0; at < lines.length; at += VALIDATE_SLICE) {
    if (at > 0) await setImmediate();
    verdicts.push(...rules.validateBatch(lines.slice(at, at + VALIDATE_SLICE), context));
  }
  const actions = options.actions?.[dataset] ?? {};
  const faults = options.faults ? new InjectedFaults(options.faults, rules.output.fields, stats) : null;
  const rows: OutputRow[] = [];
  const producedAtMs: number[] = [];
  const deadLetters: DeadLetter[] = [];
  // The record (its index in the batch) each row and dead letter comes from, to isolate what the sink refuses.
  const rowRecords: number[] = [];
  const letterRecords: number[] = [];
  const published: { letter: DeadLetter; record: SourceRecord }[] = [];
  let valid = 0;
  // The sink's statistics count these records twice (see the SQL sink's statistics.ts); counted here as they land.
  const keepsStatistics = datasetStatistics[dataset].length > 0;
  const land = (at: number, landed: OutputRow[]) => {
    const record = batch.records[at]!;
    const recordKey = landed[0]?.[rules.output.recordKey];
    if (keepsStatistics && recordKey !== undefined) faults?.hits('doubleCount', String(recordKey));
    for (const row of landed) {
      const key = rowKey(rules.output, row);
      if (faults?.hits('drop', key)) continue;
      const written = faults ? faults.corrupt(row, key) : row;
      const sentAt = faults?.hits('skewTimes', key) ? Date.now() + 3_600_000 : record.producedAtMs;
      const copies = faults?.hits('duplicateWrite', key) ? 2 : 1;
      for (let c = 0; c < copies; c++) {
        rows.push(written);
        producedAtMs.push(sentAt);
        rowRecords.push(at);
      }
    }
  };
  const deadLetter = (at: number, reason: ReasonCode, detail: string) => {
    const record = batch.records[at]!;
    // The detail quotes the record at times: without NUL, a dead letter is never refused for it.
    const letter = { source: record.source, position: record.position, recordIndex: record.recordIndex, reason, detail: safeText(detail), raw: record.bytes };
    const copies = faults?.hits('duplicateDeadLetter', positionKey(record.source, record.position)) ? 2 : 1;
    for (let c = 0; c < copies; c++) {
      deadLetters.push(letter);
      letterRecords.push(at);
    }
    published.push({ letter, record });
  };
  verdicts.forEach((verdict, i) => {
    const record = batch.records[i]!;
    const position = positionKey(record.source, record.position);
    if (verdict.ok) {
      valid++;
      land(i, verdict.rows);
      if (faults?.hits('deadLetterValid', position)) deadLetter(i, 'wrong_type', 'injected fault: a valid record dead-lettered');
      return;
    }
    const action = actions[verdict.reason] ?? 'dead-letter';
    if (action === 'drop') {
      stats.dropped++;
      return;
    }
    if (action === 'repair' && verdict.repaired) {
      stats.repaired++;
      land(i, verdict.repaired);
      return;
    }
    if (faults?.hits('skipDlq', position)) return;
    stats.byReason[verdict.reason] = (stats.byReason[verdict.reason] ?? 0) + 1;
    deadLetter(i, faults?.hits('wrongReason', position) ? otherReason(verdict.reason) : verdict.reason, verdict.detail);
  });
  await options.sink.prepare?.({ dataset, rows, producedAtMs, deadLetters, checkpoint: batch.checkpoint });
  return { dataset, tally: stats, batch, started, verdicts, valid, rows, producedAtMs, deadLetters, rowRecords, letterRecords, published };
}

/** The batch's dead letters to the topic, then everything to the sink in one transaction (isolating what it refuses). */
async function writeBatch(options: PipelineOptions, prepared: PreparedBatch, total: DatasetStats): Promise<void> {
  const { dataset, tally: stats, batch, started, verdicts, valid, rows, producedAtMs, deadLetters, rowRecords, letterRecords, published } = prepared;
  await options.deadLetterTopic?.publish(dataset, published);
  // Outages are waited out per write; content the sink refuses is isolated to its records (isolate.ts).
  const result = await writeIsolating(
    { dataset, rows, producedAtMs, deadLetters, checkpoint: batch.checkpoint, records: batch.records, rowRecords, letterRecords },
    (part) =>
      waitOutOutage(
        options.sink,
        `[${dataset}] sink write`,
        async () => {
          await options.beforeWrite?.();
          return options.sink.writeBatch(part);
        },
        outagePolicy(options),
        options.log,
      ),
    {
      classify: (error) => options.sink.classify(error),
      beforeCommit: async (refused) => {
        if (refused.length === 0) return;
        options.log(`[${dataset}] the sink refused ${refused.length} record(s) of the batch, dead-lettered as sink_rejected: ${refused[0]!.letter.detail}`);
        await options.deadLetterTopic?.publish(
          dataset,
          refused.map((r) => ({ letter: r.letter, record: batch.records[r.record]! })),
        );
      },
    },
  );
  const { inserted } = result;
  const refused = result.refused.length;
  const rowsWritten = rows.length - result.refusedRows;
  const lettersWritten = deadLetters.length - result.refusedLetters + refused;
  const refusedValid = result.refused.filter((r) => verdicts[r.record]?.ok).length;
  if (refused > 0) stats.byReason.sink_rejected = (stats.byReason.sink_rejected ?? 0) + refused;
  const ms = performance.now() - started;
  stats.batches++;
  stats.records += batch.records.length;
  stats.valid += valid - refusedValid;
  stats.rows += rowsWritten;
  stats.inserted += inserted;
  stats.duplicates += rowsWritten - inserted;
  stats.deadLettered += lettersWritten;
  addStats(total, stats);
  options.onBatch?.(dataset, { records: batch.records, deadLettered: lettersWritten, committedAtMs: Date.now() });
  options.batchLog?.(
    `[${dataset}] batch ${total.batches}: ${batch.records.length} records, ${valid - refusedValid} valid, ${lettersWritten} dlq` +
      `${refused > 0 ? ` (${refused} sink_rejected, ${result.writes} writes)` : ''}, ` +
      `${rowsWritten - inserted} duplicates, ${ms.toFixed(0)} ms, ${Math.round((batch.records.length / ms) * 1000)} rec/s ` +
      `(${batch.checkpoint.source}:${batch.checkpoint.position})`,
  );
}

/** Adds `batch`'s figures to `total`'s: a batch's to its dataset's, or one process's to another's (a consumer group). */
export function addStats(total: DatasetStats, batch: DatasetStats): void {
  for (const figure of ['batches', 'records', 'valid', 'rows', 'inserted', 'duplicates', 'deadLettered', 'repaired', 'dropped'] as const)
    total[figure] += batch[figure];
  for (const [reason, n] of Object.entries(batch.byReason) as [ReasonCode, number][]) total.byReason[reason] = (total.byReason[reason] ?? 0) + n;
  for (const [figure, n] of Object.entries(batch.injected) as [keyof DatasetStats['injected'], number][]) total.injected[figure] += n;
}

/** The pipeline's injected faults, each a pure function of its key (see faultHits), counted as they strike. */
class InjectedFaults {
  private readonly corruptFields: [string, FieldSpec, number][];

  constructor(
    private readonly faults: PipelineFaults,
    fields: Readonly<Record<string, FieldSpec>>,
    private readonly stats: DatasetStats,
  ) {
    this.corruptFields = Object.entries(faults.corruptValue).flatMap(([name, share]) => {
      const spec = fields[name];
      return spec ? [[name, spec, share] as [string, FieldSpec, number]] : [];
    });
  }

  hits(fault: SharedPipelineFault, key: string): boolean {
    if (!faultHits(fault, this.faults[fault], key)) return false;
    this.stats.injected[injectedFigure[fault]]++;
    return true;
  }

  corrupt(row: OutputRow, key: string): OutputRow {
    let out = row;
    for (const [name, spec, share] of this.corruptFields) {
      if (!faultHits(`corruptValue.${name}`, share, key)) continue;
      out = { ...out, [name]: corrupted(spec, row[name] ?? null) };
    }
    if (out !== row) this.stats.injected.corrupted++;
    return out;
  }
}

const injectedFigure = {
  drop: 'dropped',
  duplicateWrite: 'doubled',
  skipDlq: 'dlqSkipped',
  wrongReason: 'wrongReason',
  deadLetterValid: 'validDeadLettered',
  duplicateDeadLetter: 'dlqDoubled',
  skewTimes: 'skewed',
  doubleCount: 'doubleCounted',
} as const satisfies Record<SharedPipelineFault, keyof DatasetStats['injected']>;
