import { setTimeout as sleep } from 'node:timers/promises';
import type { ReasonCode } from '../core/reasons.ts';
import type { DatasetName } from '../generators/generator.ts';
import type { PipelineFaults } from '../scenarios/schema.ts';
import { corrupted, faultHits, otherReason, positionKey } from './faults.ts';
import { datasetRules } from './rules/index.ts';
import { rowKey } from './rules/rules.ts';
import type { FieldSpec, OutputRow } from './output.ts';
import type { DeadLetter, Sink } from './sink.ts';
import type { Source, SourceBatch, SourceRecord } from './source.ts';
import type { DeadLetterPublisher } from './dead-letter-publisher.ts';
import { waitOutOutage } from './outage.ts';

export interface PipelineOptions {
  sources: Source[];
  sink: Sink;
  batchSize: number;
  futureToleranceMs: number;
  pollIntervalMs: number;
  faults?: PipelineFaults;
  /** Dead letters also go here (a Kafka topic), besides the sink's table. */
  deadLetterTopic?: DeadLetterPublisher;
  /** Progress lines (one per batch), for the terminal. */
  log: (line: string) => void;
  /** Stops the pipeline between batches (graceful shutdown, or a crash in tests). */
  signal?: AbortSignal;
  /** Retries of a failed sink write before giving up; backoff doubles from 200 ms up to 5 s. */
  retries?: number;
  /** What to do with each reason a record fails on, per dataset (the scenario's `expect`); default dead-letter. */
  actions?: Partial<Record<DatasetName, Partial<Record<ReasonCode, BadRecordAction>>>>;
}

export type BadRecordAction = 'dead-letter' | 'repair' | 'drop';

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
  injected: Record<'dropped' | 'doubled' | 'dlqSkipped' | 'corrupted' | 'wrongReason' | 'validDeadLettered' | 'dlqDoubled' | 'skewed', number>;
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
    injected: { dropped: 0, doubled: 0, dlqSkipped: 0, corrupted: 0, wrongReason: 0, validDeadLettered: 0, dlqDoubled: 0, skewed: 0 },
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
  await sink.connect();
  for (const source of sources) {
    stats[source.dataset] = emptyStats();
    await source.open(await sink.checkpoints(source.dataset));
  }
  const active = new Set(sources);
  try {
    while (active.size > 0 && !options.signal?.aborted) {
      let idle = true;
      for (const source of [...active]) {
        if (options.signal?.aborted) break;
        const batch = await source.next(options.batchSize);
        if (batch === 'end') active.delete(source);
        else if (batch !== 'idle') {
          idle = false;
          await processBatch(options, source.dataset, batch, stats[source.dataset] as DatasetStats);
        }
      }
      if (idle && active.size > 0) await sleep(options.pollIntervalMs);
    }
  } finally {
    for (const source of sources) await source.close();
    await options.deadLetterTopic?.close();
  }
  return { startedAtMs, finishedAtMs: Date.now(), completed: active.size === 0, datasets: stats };
}

async function processBatch(options: PipelineOptions, dataset: DatasetName, batch: SourceBatch, stats: DatasetStats): Promise<void> {
  const started = performance.now();
  const rules = datasetRules[dataset];
  const verdicts = rules.validateBatch(
    batch.records.map((r) => r.bytes),
    { nowMs: Date.now(), futureToleranceMs: options.futureToleranceMs },
  );
  const actions = options.actions?.[dataset] ?? {};
  const faults = options.faults ? new InjectedFaults(options.faults, rules.output.fields, stats) : null;
  const rows: OutputRow[] = [];
  const producedAtMs: number[] = [];
  const deadLetters: DeadLetter[] = [];
  const published: { letter: DeadLetter; record: SourceRecord }[] = [];
  let valid = 0;
  const land = (record: SourceRecord, landed: OutputRow[]) => {
    for (const row of landed) {
      const key = rowKey(rules.output, row);
      if (faults?.hits('drop', key)) continue;
      const written = faults ? faults.corrupt(row, key) : row;
      const sentAt = faults?.hits('skewTimes', key) ? Date.now() + 3_600_000 : record.producedAtMs;
      const copies = faults?.hits('duplicateWrite', key) ? 2 : 1;
      for (let c = 0; c < copies; c++) {
        rows.push(written);
        producedAtMs.push(sentAt);
      }
    }
  };
  const deadLetter = (record: SourceRecord, reason: ReasonCode, detail: string) => {
    const letter = { source: record.source, position: record.position, recordIndex: record.recordIndex, reason, detail, raw: record.bytes };
    const copies = faults?.hits('duplicateDeadLetter', positionKey(record.source, record.position)) ? 2 : 1;
    for (let c = 0; c < copies; c++) deadLetters.push(letter);
    published.push({ letter, record });
  };
  verdicts.forEach((verdict, i) => {
    const record = batch.records[i]!;
    const position = positionKey(record.source, record.position);
    if (verdict.ok) {
      valid++;
      land(record, verdict.rows);
      if (faults?.hits('deadLetterValid', position)) deadLetter(record, 'wrong_type', 'injected fault: a valid record dead-lettered');
      return;
    }
    const action = actions[verdict.reason] ?? 'dead-letter';
    if (action === 'drop') {
      stats.dropped++;
      return;
    }
    if (action === 'repair' && verdict.repaired) {
      stats.repaired++;
      land(record, verdict.repaired);
      return;
    }
    if (faults?.hits('skipDlq', position)) return;
    stats.byReason[verdict.reason] = (stats.byReason[verdict.reason] ?? 0) + 1;
    deadLetter(record, faults?.hits('wrongReason', position) ? otherReason(verdict.reason) : verdict.reason, verdict.detail);
  });
  await options.deadLetterTopic?.publish(dataset, published);
  const { inserted } = await waitOutOutage(
    options.sink,
    `[${dataset}] sink write`,
    () => options.sink.writeBatch({ dataset, rows, producedAtMs, deadLetters, checkpoint: batch.checkpoint }),
    { retries: options.retries ?? 8 },
    options.log,
  );
  const ms = performance.now() - started;
  stats.batches++;
  stats.records += batch.records.length;
  stats.valid += valid;
  stats.rows += rows.length;
  stats.inserted += inserted;
  stats.duplicates += rows.length - inserted;
  stats.deadLettered += deadLetters.length;
  options.log(
    `[${dataset}] batch ${stats.batches}: ${batch.records.length} records, ${valid} valid, ${deadLetters.length} dlq, ` +
      `${rows.length - inserted} duplicates, ${ms.toFixed(0)} ms, ${Math.round((batch.records.length / ms) * 1000)} rec/s ` +
      `(${batch.checkpoint.source}:${batch.checkpoint.position})`,
  );
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

  hits(fault: Exclude<keyof PipelineFaults, 'corruptValue'>, key: string): boolean {
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
} as const satisfies Record<Exclude<keyof PipelineFaults, 'corruptValue'>, keyof DatasetStats['injected']>;
