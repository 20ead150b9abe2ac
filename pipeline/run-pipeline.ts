import { setTimeout as sleep } from 'node:timers/promises';
import pRetry from 'p-retry';
import { HarnessError, messageOf } from '../core/errors.ts';
import type { ReasonCode } from '../core/reasons.ts';
import type { DatasetName } from '../generators/generator.ts';
import type { PipelineFaults } from '../scenarios/schema.ts';
import { faultHits, positionKey } from './faults.ts';
import { datasetRules } from './rules/index.ts';
import type { CellValue } from './rules/rules.ts';
import type { DeadLetter, Sink } from './sink.ts';
import type { Source, SourceBatch, SourceRecord } from './source.ts';
import type { DeadLetterPublisher } from './dead-letter-topic.ts';

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
  /** Records the injected faults dropped, doubled or kept out of the dead-letter queue. */
  injected: { dropped: number; doubled: number; dlqSkipped: number };
}

export interface PipelineResult {
  startedAtMs: number;
  finishedAtMs: number;
  /** Whether every source reached its end (false when stopped by the signal). */
  completed: boolean;
  datasets: Partial<Record<DatasetName, DatasetStats>>;
}

function emptyStats(): DatasetStats {
  return { batches: 0, records: 0, valid: 0, rows: 0, inserted: 0, duplicates: 0, deadLettered: 0, byReason: {}, injected: { dropped: 0, doubled: 0, dlqSkipped: 0 } };
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
  const faults = options.faults;
  const verdicts = datasetRules[dataset].validateBatch(
    batch.records.map((r) => r.bytes),
    { nowMs: Date.now(), futureToleranceMs: options.futureToleranceMs },
  );
  const rows: CellValue[][] = [];
  const producedAtMs: number[] = [];
  const deadLetters: DeadLetter[] = [];
  const published: { letter: DeadLetter; record: SourceRecord }[] = [];
  let valid = 0;
  verdicts.forEach((verdict, i) => {
    const record = batch.records[i]!;
    if (verdict.ok) {
      valid++;
      verdict.rows.forEach((row, r) => {
        const key = verdict.keys[r] as string;
        if (faults && faultHits('drop', faults.drop, key)) {
          stats.injected.dropped++;
          return;
        }
        const copies = faults && faultHits('duplicateWrite', faults.duplicateWrite, key) ? 2 : 1;
        if (copies === 2) stats.injected.doubled++;
        for (let c = 0; c < copies; c++) {
          rows.push(row);
          producedAtMs.push(record.producedAtMs);
        }
      });
      return;
    }
    if (faults && faultHits('skipDlq', faults.skipDlq, positionKey(record.source, record.position))) {
      stats.injected.dlqSkipped++;
      return;
    }
    stats.byReason[verdict.reason] = (stats.byReason[verdict.reason] ?? 0) + 1;
    const letter = { source: record.source, position: record.position, recordIndex: record.recordIndex, reason: verdict.reason, detail: verdict.detail, raw: record.bytes };
    deadLetters.push(letter);
    published.push({ letter, record });
  });
  await options.deadLetterTopic?.publish(dataset, published);
  const { inserted } = await pRetry(() => options.sink.writeBatch({ dataset, rows, producedAtMs, deadLetters, checkpoint: batch.checkpoint }), {
    retries: options.retries ?? 8,
    factor: 2,
    minTimeout: 200,
    maxTimeout: 5000,
    onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
      if (retriesLeft > 0) options.log(`[${dataset}] sink write failed (attempt ${attemptNumber}): ${messageOf(error)}; retrying with backoff`);
    },
  }).catch((error: unknown) => {
    throw new HarnessError('unreachable', `[${dataset}] the sink ${options.sink.description} could not be written after retries: ${messageOf(error)}`, { cause: error });
  });
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
