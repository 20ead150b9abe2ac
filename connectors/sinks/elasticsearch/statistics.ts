import type { Client, estypes } from '@elastic/elasticsearch';
import { HarnessError } from '../../../core/errors.ts';
import type { DatasetName } from '../../../generators/generator.ts';
import { faultHits } from '../../../pipeline/faults.ts';
import type { DatasetOutput, OutputRow } from '../../../pipeline/output.ts';
import { deriveFields, measureUnit, WINDOW_START, windowStartOf, type StatisticSpec } from '../../../pipeline/statistics.ts';
import { keptStatistics, measureColumn, type KeptStatistic } from '../statistics.ts';
import { documentId } from './documents.ts';
import { BulkWriteError, causeText, isTransientStatus } from './failures.ts';
import type { ElasticsearchSinkSpec } from './spec.ts';

/**
 * A dataset's declared statistics (pipeline/statistics.ts) in Elasticsearch: one index per
 * statistic, one document per group and window (`_id` = `<window start ms>:<group>`) and one per
 * group in total (`total:<group>`, its window start null). Fields: the group, `window_start`, the
 * declared fields under the names the scenario gives them, then the reference pipeline's measures
 * (`sum_<measure>`, see ../statistics.ts).
 */

/** The dataset's statistics indices (none when it declares none), or null when the scenario says the pipeline keeps none (`statistics: false`). */
export function statisticsIndices(spec: ElasticsearchSinkSpec, dataset: DatasetName): KeptStatistic[] | null {
  return keptStatistics(spec.statistics, dataset, (entry) => ({ where: entry.index, names: entry.fields }));
}

/** What a statistic's index holds and the scenario key naming it, for messages. */
export function statisticsPlace({ statistic }: KeptStatistic, dataset: DatasetName): { holds: string; key: string } {
  return { holds: `the ${statistic.name} statistics of ${dataset}`, key: `sink.statistics.${dataset}.${statistic.name}.index` };
}

/** A statistic document's `_id`: the window start (epoch ms, or `total`), a `:`, the group; the first `:` parts them. */
export function statisticId(group: string, windowStartMs: number | null): string {
  return documentId(`${windowStartMs ?? 'total'}:${group}`);
}

/**
 * Set on the rows of a match the doubleCount fault picks (an injected fault, never in a real run):
 * a recompute only sees what the index holds, so the mark is what makes it count them twice.
 */
export const DOUBLE_COUNTED = 'harness_double_counted';

/**
 * Rounds of read, recompute, conditional write before a batch gives up on documents other writers
 * keep changing (it is then `unavailable`, and written again after a wait). One writer never needs
 * a second.
 */
const MAX_ROUNDS = 10;

/** One statistics document a batch's rows fall in. */
interface Target {
  kept: KeptStatistic;
  group: string;
  windowStartMs: number | null;
  id: string;
}

/** What a document held when read: the version a conditional write needs, or null when there is none yet. */
type Version = { seqNo: number; primaryTerm: number } | null;

/** A terms bucket or a filter aggregation as the response gives it: a doc_count beside its sub-aggregations. */
type Bucket = { doc_count: number } & Record<string, unknown>;

/**
 * Keeps a dataset's statistics equal to what its rows index holds, by recomputing them: after a
 * batch's rows are written (and before its checkpoint), every window the batch touched and every
 * total of a group it touched is summed again from the participant documents by one aggregation
 * (`terms` on the group under a `filter` on the window's range of the event time, `sum`s of the
 * measures; a count is the bucket's doc_count), the declared fields derived by deriveFields, and
 * the documents written under deterministic ids. A recompute reads what the rows are, not what a
 * batch adds, so a replayed batch or a duplicate match (overwritten rows) counts once, and a crash
 * between the rows and the statistics is healed when the batch is replayed: its checkpoint was
 * never written.
 *
 * Several writers (a consumer group) may recompute one document at once, and the one that read
 * the rows earlier may write last. So each round reads the documents' versions first, then
 * refreshes and aggregates, then writes each one only if it is still the version read (`if_seq_no`,
 * or `create` where there was none): a document another writer changed meanwhile is recomputed in
 * the next round, from rows that now include the other writer's.
 *
 * Sums are exact: counts and whole numbers, and the 2-decimal metrics in hundredths, which the
 * rows index maps as scaled_float at their decimals (mapping.ts), so their sum is whole hundredths.
 */
export class StatisticsRecompute {
  constructor(
    private readonly client: Client,
    private readonly rowsIndex: string,
    private readonly output: DatasetOutput,
    private readonly kept: readonly KeptStatistic[],
    /** Share of records counted twice: the injected fault `doubleCount`, 0 otherwise. */
    private readonly doubleCount: number,
  ) {}

  /** Whether the statistics count this row twice (the doubleCount fault, by its record key as faultHits picks). */
  countsTwice(row: OutputRow): boolean {
    return this.doubleCount > 0 && faultHits('doubleCount', this.doubleCount, String(row[this.output.recordKey]));
  }

  /** Recomputes every document the rows fall in; call once their bulk has succeeded. */
  async update(rows: readonly OutputRow[]): Promise<void> {
    let pending = targetsOf(this.kept, rows);
    for (let round = 1; pending.length > 0; round++) {
      if (round > MAX_ROUNDS) {
        throw new BulkWriteError('unavailable', `${pending.length} statistics document(s), first ${pending[0]!.id} in ${pending[0]!.kept.where}, were changed by another writer in each of ${MAX_ROUNDS} rounds`);
      }
      const versions = await this.versions(pending);
      // Searches see the last refresh: this batch's rows must be in the sums.
      await this.client.indices.refresh({ index: this.rowsIndex });
      const documents = await this.recompute(pending);
      pending = await this.write(pending, versions, documents);
    }
  }

  /** Each document's version now (a real-time get), read before the rows are. */
  private async versions(targets: readonly Target[]): Promise<Version[]> {
    const { docs } = await this.client.mget({ docs: targets.map((t) => ({ _index: t.kept.where, _id: t.id })), _source: false });
    return docs.map((doc, i) => {
      if ('error' in doc) {
        const target = targets[i]!;
        const message = `cannot read statistics document ${target.id} of index ${target.kept.where}: ${causeText(doc.error)}`;
        if (doc.error.type === 'index_not_found_exception') throw new HarnessError('config', `${message}; it holds the ${target.kept.statistic.name} statistics (sink.statistics), created when the run starts`);
        throw new BulkWriteError('unavailable', message);
      }
      return doc.found && doc._seq_no !== undefined && doc._primary_term !== undefined ? { seqNo: doc._seq_no, primaryTerm: doc._primary_term } : null;
    });
  }

  /** One aggregation over the rows index for every target: its document, by `<where>/<id>`. */
  private async recompute(targets: readonly Target[]): Promise<Map<string, Record<string, unknown>>> {
    const aggs: Record<string, estypes.AggregationsAggregationContainer> = {};
    const asked: { name: string; kept: KeptStatistic; windowStartMs: number | null }[] = [];
    for (const [kept, windows] of byStatisticAndWindow(targets)) {
      const { statistic } = kept;
      for (const [windowStartMs, groups] of windows) {
        const name = `a${asked.length}`;
        const filter: estypes.QueryDslQueryContainer[] = [{ terms: { [statistic.groupBy]: groups } }];
        if (windowStartMs !== null) filter.push({ range: { [statistic.eventTime]: { gte: windowStartMs, lt: windowStartMs + statistic.windowMs, format: 'epoch_millis' } } });
        // size = the groups asked for, so every shard returns each of them and the sums are exact.
        aggs[name] = { filter: { bool: { filter } }, aggs: { groups: { terms: { field: statistic.groupBy, size: groups.length }, aggs: this.measureAggs(statistic) } } };
        asked.push({ name, kept, windowStartMs });
      }
    }
    const response = await this.client.search({ index: this.rowsIndex, size: 0, track_total_hits: false, aggs });
    const documents = new Map<string, Record<string, unknown>>();
    for (const { name, kept, windowStartMs } of asked) {
      const groups = (response.aggregations?.[name] as Bucket | undefined)?.groups as { buckets?: (Bucket & { key: unknown })[] } | undefined;
      for (const bucket of groups?.buckets ?? []) {
        const group = String(bucket.key);
        const measures = this.measures(kept.statistic, bucket);
        documents.set(`${kept.where}/${statisticId(group, windowStartMs)}`, statisticDocument(kept, group, windowStartMs, measures));
      }
    }
    return documents;
  }

  /** A `sum` per summed measure (a count is the bucket's doc_count), and with doubleCount the same over the marked rows again. */
  private measureAggs(statistic: StatisticSpec, doubled = this.doubleCount > 0): Record<string, estypes.AggregationsAggregationContainer> {
    const aggs: Record<string, estypes.AggregationsAggregationContainer> = {};
    for (const [name, m] of Object.entries(statistic.measures)) if (m.kind === 'sum') aggs[`m_${name}`] = { sum: { field: m.field } };
    if (doubled) aggs.doubled = { filter: { term: { [DOUBLE_COUNTED]: true } }, aggs: this.measureAggs(statistic, false) };
    return aggs;
  }

  /** A bucket's measures in their units (hundredths for a 2-decimal metric), as statistics.ts's measureValue adds them up. */
  private measures(statistic: StatisticSpec, bucket: Bucket, doubled = this.doubleCount > 0): Record<string, number> {
    const again = doubled ? this.measures(statistic, bucket.doubled as Bucket, false) : null;
    const measures: Record<string, number> = {};
    for (const [name, m] of Object.entries(statistic.measures)) {
      // A sum comes back as a double; it holds whole units (scaled_float keeps exact hundredths), so rounding only undoes the division.
      const own = m.kind === 'count' ? bucket.doc_count : Math.round(((bucket[`m_${name}`] as estypes.AggregationsSumAggregate).value ?? 0) * measureUnit(m));
      measures[name] = own + (again?.[name] ?? 0);
    }
    return measures;
  }

  /** Writes each recomputed document if it is still the version read; returns the targets another writer changed meanwhile. */
  private async write(targets: readonly Target[], versions: readonly Version[], documents: ReadonlyMap<string, Record<string, unknown>>): Promise<Target[]> {
    const operations: (estypes.BulkOperationContainer | Record<string, unknown>)[] = [];
    const sent: Target[] = [];
    targets.forEach((target, i) => {
      const document = documents.get(`${target.kept.where}/${target.id}`);
      // No rows in it: only when another writer's refused write was undone meanwhile; nothing to count.
      if (!document) return;
      const version = versions[i];
      const at = { _index: target.kept.where, _id: target.id };
      operations.push(version ? { index: { ...at, if_seq_no: version.seqNo, if_primary_term: version.primaryTerm } } : { create: at }, document);
      sent.push(target);
    });
    if (sent.length === 0) return [];
    const response = await this.client.bulk<Record<string, unknown>>({ operations });
    const changed: Target[] = [];
    for (const [i, item] of response.items.entries()) {
      const result = item.index ?? item.create;
      if (!result?.error) continue;
      const target = sent[i]!;
      if (result.status === 409) {
        changed.push(target);
        continue;
      }
      const message = `index ${target.kept.where} did not take the ${target.kept.statistic.name} statistics document ${target.id} (HTTP ${result.status}: ${causeText(result.error)})`;
      if (isTransientStatus(result.status)) throw new BulkWriteError('unavailable', message);
      throw new HarnessError('config', `${message}: check its mapping against docs/elasticsearch.md, or let the harness recreate it (sink.reset: true)`);
    }
    return changed;
  }
}

/** Every statistics document the rows fall in: each statistic's group in the row's window, and the group's total. */
function targetsOf(kept: readonly KeptStatistic[], rows: readonly OutputRow[]): Target[] {
  const targets = new Map<string, Target>();
  for (const k of kept) {
    const { groupBy, eventTime, windowMs } = k.statistic;
    for (const row of rows) {
      const group = String(row[groupBy]);
      for (const windowStartMs of [windowStartOf(row[eventTime] as number, windowMs), null]) {
        const id = statisticId(group, windowStartMs);
        const key = `${k.where}/${id}`;
        if (!targets.has(key)) targets.set(key, { kept: k, group, windowStartMs, id });
      }
    }
  }
  return [...targets.values()];
}

/** Targets by statistic, then by window (null: the totals), each with its groups. */
function byStatisticAndWindow(targets: readonly Target[]): Map<KeptStatistic, Map<number | null, string[]>> {
  const out = new Map<KeptStatistic, Map<number | null, string[]>>();
  for (const { kept, windowStartMs, group } of targets) {
    let windows = out.get(kept);
    if (!windows) out.set(kept, (windows = new Map()));
    const groups = windows.get(windowStartMs);
    if (groups) groups.push(group);
    else windows.set(windowStartMs, [group]);
  }
  return out;
}

/** A statistic's document: the group, the window start, the declared fields derived from the measures, and the measures. */
function statisticDocument({ statistic, name }: KeptStatistic, group: string, windowStartMs: number | null, measures: Record<string, number>): Record<string, unknown> {
  const document: Record<string, unknown> = { [name(statistic.groupBy)]: group, [name(WINDOW_START)]: windowStartMs };
  for (const [field, value] of Object.entries(deriveFields(statistic, measures))) document[name(field)] = value;
  for (const [m, measure] of Object.entries(statistic.measures)) document[measureColumn(m, measure)] = measures[m];
  return document;
}
