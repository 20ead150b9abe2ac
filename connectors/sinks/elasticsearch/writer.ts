import type { Client, estypes } from '@elastic/elasticsearch';
import { HarnessError } from '../../../core/errors.ts';
import type { DatasetName } from '../../../generators/generator.ts';
import { datasetRules } from '../../../pipeline/rules/index.ts';
import type { Checkpoint, Sink, SinkBatch, SinkFailure } from '../../../pipeline/sink.ts';
import type { SinkSetup } from '../sink.ts';
import { statisticsKeepers } from '../statistics.ts';
import { checkpointId, deadLetterDocument, deadLetterId, rowDocument, rowId } from './documents.ts';
import {
  BulkWriteError,
  causeText,
  classifyEsError,
  esMessage,
  explainEsRefusal,
  isContentRefusal,
  isTransientStatus,
  preparingFailure,
  refusalHint,
} from './failures.ts';
import { indexPlans, prepareIndices } from './indices.ts';
import { scanIndex } from './scan.ts';
import type { ElasticsearchSinkSpec } from './spec.ts';
import { DOUBLE_COUNTED, StatisticsRecompute, statisticsIndices } from './statistics.ts';

export interface EsWriterOptions extends Omit<SinkSetup, 'log'> {
  spec: ElasticsearchSinkSpec;
  /** Where it writes, without credentials: for messages. */
  description: string;
  log: (line: string) => void;
}

/**
 * The bulk helper resends only the documents a busy cluster refused (item status 429) this many
 * times, `BUSY_WAIT_MS` apart; what is still refused after that makes the whole batch `unavailable`,
 * and the pipeline's outage wait (backoff to 5 s, sink.outageLimit) takes over.
 */
const BUSY_RETRIES = 3;
const BUSY_WAIT_MS = 500;
/** Bulk request size: well under http.max_content_length (100 MB), large enough to amortise a round trip. */
const FLUSH_BYTES = 5_000_000;
const CONCURRENCY = 2;

/** One bulk operation with its document: rows are indexed (a replay overwrites), dead letters created (a replay keeps the first). */
type BulkAction = [{ index: estypes.BulkIndexOperation }, Record<string, unknown>] | [{ create: estypes.BulkCreateOperation }, Record<string, unknown>];

/** A document the bulk refused, as the helper reports it. */
interface Dropped {
  status: number;
  index: string;
  error: estypes.ErrorCause | null;
  id: string | null;
  create: boolean;
}

/**
 * Elasticsearch as the reference pipeline's sink. Exactly-once by design, with what the cluster
 * offers instead of a transaction: every row has a deterministic `_id` and is written with `index`,
 * so a replay overwrites it (`_version` grows) instead of adding a second document; dead letters are
 * written with `create` under their position's id, so a replay keeps the first. The checkpoint is
 * written only after every bulk request holding the batch's documents has succeeded: a crash
 * before it replays the batch, and the ids absorb it. At-least-once delivery + idempotent ids =
 * an exact count. The dataset's statistics are recomputed from the rows the batch touched after its
 * documents are written and before its checkpoint (statistics.ts), so they too come out the same
 * however often a batch is written.
 */
export class EsSinkWriter implements Sink {
  private connected = false;
  private readonly statistics: Partial<Record<DatasetName, StatisticsRecompute>>;
  private wrote = false;
  /**
   * Rows created by a write that then failed: the batch is written again (isolating a refused
   * record, or after an outage), where the same documents come back `updated`. They are still new
   * to the sink, so they count as inserted once, until the batch's checkpoint lands.
   */
  private createdByFailedWrites = new Set<string>();

  constructor(
    private readonly client: Client,
    private readonly options: EsWriterOptions,
  ) {
    this.statistics = statisticsKeepers(
      options.datasets,
      (dataset) => statisticsIndices(options.spec, dataset),
      (dataset, kept) => new StatisticsRecompute(client, options.spec.indices[dataset], datasetRules[dataset].output, kept, options.doubleCount ?? 0),
    );
  }

  get description(): string {
    return this.options.description;
  }

  async connect(): Promise<void> {
    if (this.connected) return;
    try {
      await this.client.info();
      await prepareIndices(this.client, this.options.spec, this.options.datasets, {
        reset: this.options.reset,
        description: this.description,
        log: this.options.log,
      });
    } catch (error) {
      throw preparingFailure(error, this.description);
    }
    this.connected = true;
  }

  async checkpoints(dataset: DatasetName): Promise<Map<string, Checkpoint>> {
    const index = this.options.spec.indices.checkpoints;
    // Searches see what the last refresh made visible; the checkpoints written before a restart must all be seen.
    await this.client.indices.refresh({ index });
    const found = new Map<string, Checkpoint>();
    await scanIndex<{ source: string; position: number; done: boolean }>(
      this.client,
      { index, fields: ['source', 'position', 'done'], query: { term: { dataset } }, pageSize: 5000 },
      (hits) => {
        for (const hit of hits) {
          const doc = hit._source;
          if (doc) found.set(doc.source, { source: doc.source, position: doc.position, done: doc.done });
        }
      },
    );
    return found;
  }

  async writeBatch(batch: SinkBatch): Promise<{ inserted: number }> {
    const now = Date.now();
    const { spec, uniqueKeys, uniqueDeadLetters } = this.options;
    const output = datasetRules[batch.dataset].output;
    const rowsIndex = spec.indices[batch.dataset];
    const statistics = this.statistics[batch.dataset];
    const documents: BulkAction[] = batch.rows.map((row, i) => {
      const document = rowDocument(output, row, batch.producedAtMs[i] as number);
      if (statistics?.countsTwice(row)) document[DOUBLE_COUNTED] = true;
      // Without unique keys (injected faults only) the cluster picks the id, and a second copy is a second document.
      return [{ index: { _index: rowsIndex, ...(uniqueKeys ? { _id: rowId(output, row) } : {}), pipeline: spec.ingestPipeline } }, document];
    });
    for (const letter of batch.deadLetters) {
      documents.push([
        { create: { _index: spec.indices.dlq, ...(uniqueDeadLetters ? { _id: deadLetterId(batch.dataset, letter) } : {}) } },
        deadLetterDocument(batch.dataset, letter, now),
      ]);
    }
    // Set before: a bulk that fails may still have written some of its documents.
    this.wrote = true;
    const { inserted, createdRows } = documents.length > 0 ? await this.bulk(documents) : { inserted: 0, createdRows: [] };
    try {
      if (statistics && batch.rows.length > 0) await statistics.update(batch.rows);
      // A part of a refused batch being isolated carries no checkpoint: its last part does.
      if (batch.checkpoint) {
        const { source, position, done } = batch.checkpoint;
        await this.client.index({
          index: spec.indices.checkpoints,
          id: checkpointId(batch.dataset, source),
          document: { dataset: batch.dataset, source, position, done, updated_at: now },
        });
      }
    } catch (error) {
      // The batch is written again, its statistics recomputed then; its rows are this write's, still new to the sink.
      for (const id of createdRows) this.createdByFailedWrites.add(id);
      throw error;
    }
    if (batch.checkpoint) this.createdByFailedWrites.clear();
    return { inserted };
  }

  /**
   * Writes the documents through the bulk helper; returns how many rows are new to the sink. When
   * any is refused it throws a BulkWriteError; refused for content, it first deletes what this write
   * created, so a record whose rows were partly written (a bulk is not a transaction) is left as if
   * the write had not happened, as a rolled-back transaction would leave it.
   */
  private async bulk(documents: BulkAction[]): Promise<{ inserted: number; createdRows: string[] }> {
    const created: { index: string; id: string }[] = [];
    const createdRows: string[] = [];
    const updatedRows: string[] = [];
    const dropped: Dropped[] = [];
    const result = this.client.helpers.bulk<BulkAction>({
      datasource: documents,
      onDocument: (action) => action,
      flushBytes: FLUSH_BYTES,
      concurrency: CONCURRENCY,
      retries: BUSY_RETRIES,
      wait: BUSY_WAIT_MS,
      onSuccess: ({ result: item }) => {
        const done = item.index ?? item.create;
        if (!done?._id) return;
        if (done.result === 'created') created.push({ index: done._index, id: done._id });
        if (item.index) (done.result === 'created' ? createdRows : updatedRows).push(done._id);
      },
      onDrop: ({ status, error, operation }) => {
        const op = Array.isArray(operation) ? operation[0] : operation;
        const meta = 'create' in op ? op.create : 'index' in op ? op.index : undefined;
        dropped.push({ status, error, index: meta?._index ?? '', id: meta?._id ?? null, create: 'create' in op });
      },
    });
    try {
      await result;
    } catch (error) {
      // The whole request failed (connection lost, 5xx past the transport's retries): the batch is written again.
      for (const id of createdRows) this.createdByFailedWrites.add(id);
      throw error;
    }
    // A dead letter already there (a replay): kept as first written, as ON CONFLICT DO NOTHING would.
    const failed = dropped.filter((d) => !(d.create && d.status === 409));
    if (failed.length === 0) {
      const revived = updatedRows.filter((id) => this.createdByFailedWrites.has(id));
      for (const id of revived) this.createdByFailedWrites.delete(id);
      return { inserted: createdRows.length + revived.length, createdRows: [...createdRows, ...revived] };
    }
    const failure = bulkFailure(failed, this.description);
    if (failure instanceof BulkWriteError && failure.failure === 'rejected') await this.rollBack(created, failure);
    else for (const id of createdRows) this.createdByFailedWrites.add(id);
    throw failure;
  }

  /** Deletes the documents a refused write created; if the cluster cannot, the batch waits and is written again whole. */
  private async rollBack(created: { index: string; id: string }[], refusal: BulkWriteError): Promise<void> {
    if (created.length === 0) return;
    let response: estypes.BulkResponse;
    try {
      response = await this.client.bulk({ operations: created.map(({ index, id }) => ({ delete: { _index: index, _id: id } })) });
    } catch (error) {
      throw new BulkWriteError('unavailable', `${refusal.message}; undoing the ${created.length} document(s) it created failed: ${esMessage(error)}`);
    }
    const left = response.items.filter((item) => (item.delete?.status ?? 200) >= 300 && item.delete?.status !== 404);
    if (left.length > 0)
      throw new BulkWriteError(
        'unavailable',
        `${refusal.message}; ${left.length} document(s) it created could not be deleted: ${causeText(left[0]?.delete?.error)}`,
      );
  }

  classify(error: unknown): SinkFailure {
    return classifyEsError(error);
  }

  explainRefusal(error: unknown): string {
    return explainEsRefusal(error);
  }

  async recomputeStatistics(dataset: DatasetName): Promise<string[]> {
    const kept = statisticsIndices(this.options.spec, dataset);
    if (!kept || kept.length === 0) return [];
    const rowsIndex = this.options.spec.indices[dataset];
    // Each row counted once, as the index holds it: doubleCount is a fault injected into a run, not into its repair.
    const rebuilt = await new StatisticsRecompute(this.client, rowsIndex, datasetRules[dataset].output, kept, 0).rebuild();
    return rebuilt.map(
      ({ index, written, deleted }) =>
        `${index}: ${written} documents recomputed from ${rowsIndex}${deleted > 0 ? `, ${deleted} that no row accounts for deleted` : ''}`,
    );
  }

  /** Makes what the run wrote visible to searches at once (instead of within refresh_interval), then closes. Safe before connect. */
  async close(): Promise<void> {
    if (this.wrote) {
      await this.client.indices
        .refresh({ index: indexPlans(this.options.spec, this.options.datasets).map((plan) => plan.name), ignore_unavailable: true })
        .catch((error: unknown) =>
          this.options.log(`refreshing the indices on ${this.description} failed (${esMessage(error)}); they refresh on their own within sink.refreshInterval`),
        );
      this.wrote = false;
    }
    await this.client.close();
  }
}

/** Why a bulk left documents unwritten: busy or missing shards first (wait), then content (isolate), then anything else (stop). */
function bulkFailure(failed: Dropped[], description: string): Error {
  // The helper drops a 429 without its reason once it has resent it BUSY_RETRIES times.
  const why = (d: Dropped) => (d.error ? causeText(d.error) : d.status === 429 ? `still refused as too busy after ${BUSY_RETRIES} resends` : 'no reason given');
  const sample = (d: Dropped) => `${d.id ?? 'a document'} (HTTP ${d.status}: ${why(d)})`;
  const busy = failed.filter((d) => isTransientStatus(d.status));
  if (busy.length > 0) {
    return new BulkWriteError('unavailable', `${busy.length} document(s) not written, the cluster is busy or missing a shard: ${sample(busy[0] as Dropped)}`);
  }
  const content = failed.filter((d) => isContentRefusal(d.status, d.error));
  const first = content[0];
  if (first) {
    const cause = first.error?.caused_by ? causeText(first.error.caused_by) : undefined;
    const own = first.error ? (first.error.reason ? `${first.error.type}: ${first.error.reason}` : first.error.type) : `HTTP ${first.status}`;
    return new BulkWriteError(
      'rejected',
      `${content.length} document(s) refused for their content, first ${first.id ?? 'a document'} by ${first.index}: ${own}`,
      cause,
    );
  }
  // Refused for the request itself (a missing or closed index): the configuration's, exit 2; for the credentials, exit 3.
  const other = failed[0] as Dropped;
  const what = `${description} did not write ${failed.length} document(s): ${sample(other)}`;
  if (other.status === 401 || other.status === 403)
    return new HarnessError('unreachable', `${what}; check the credentials and their privileges (see docs/elasticsearch.md)`);
  return new HarnessError('config', `${what} into index ${other.index}; ${refusalHint(other.error?.type)}`);
}
