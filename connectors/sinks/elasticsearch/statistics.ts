import type { Client, estypes } from '@elastic/elasticsearch';
import { HarnessError } from '../../../core/errors.ts';
import type { DatasetName } from '../../../generators/generator.ts';
import { faultHits } from '../../../pipeline/faults.ts';
import type { DatasetOutput, OutputRow } from '../../../pipeline/output.ts';
import { deriveFields, measureUnit, WINDOW_START, windowStartOf, type StatisticSpec } from '../../../pipeline/statistics.ts';
import { keptStatistics, measureColumn, type KeptStatistic } from '../statistics.ts';
import { documentId } from './documents.ts';
import { scanIndex } from './scan.ts';
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

/**
 * Statistics documents one round reads, sums and writes at most: bounds each request (the
 * multi-get, the aggregation's filters and `terms` size, the bulk) whatever a batch touches, well
 * under a node's search.max_buckets (65,536).
 */
export const MAX_TARGETS = 1000;

/** Buckets a rebuild reads a page at a time from the rows (a composite aggregation). */
const REBUILD_PAGE = 1000;

/** One statistics document: a group's window (`windowStartMs`), or its total (null). */
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

/** Documents a round wrote and deleted, by index. */
type Tally = Map<string, { written: number; deleted: number }>;

/**
 * Keeps a dataset's statistics equal to what its rows index holds, by recomputing them: after a
 * batch's rows are written (and before its checkpoint), every window the batch touched is summed
 * again from the participant documents by one aggregation (`terms` on the group under a `filter` on
 * the window's range of the event time, `sum`s of the measures; a count is the bucket's doc_count),
 * the declared fields derived by deriveFields, and the documents written under deterministic ids.
 * Then every total of a group the batch touched is summed from that group's window documents (the
 * measures each keeps), not from its rows: a total then costs one document per window of its group,
 * however many rows the index holds, where summing the rows read every row of the group every batch.
 * A recompute reads what the rows are, not what a batch adds, so a replayed batch or a duplicate
 * match (overwritten rows) counts once, and a crash between the rows and the statistics is healed
 * when the batch is replayed: its checkpoint was never written.
 *
 * Several writers (a consumer group) may recompute one document at once, and the one that read
 * the sources earlier may write last. So each round reads the documents' versions first, then
 * refreshes and aggregates, then writes each one only if it is still the version read (`if_seq_no`,
 * or `create` where there was none): a document another writer changed meanwhile is recomputed in
 * the next round, from sources that now include the other writer's. A writer reads a total's
 * version only after its own windows are written, so the last total written has seen them.
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

  /** Recomputes every document the rows fall in, windows then totals; call once their bulk has succeeded. */
  async update(rows: readonly OutputRow[]): Promise<void> {
    const targets = targetsOf(this.kept, rows);
    await this.settle(targets.filter((t) => t.windowStartMs !== null));
    await this.settle(targets.filter((t) => t.windowStartMs === null));
  }

  /**
   * Rebuilds every statistics document from the rows index, whatever the indices held (`harness
   * pipeline --recompute-statistics`): each group's windows found in the rows a page at a time (a
   * composite aggregation: `terms` on the group, a fixed-interval `date_histogram` of the event
   * time), recomputed as a batch recomputes them; then the documents no row accounts for (a stray
   * or corrupt one) deleted; then every group's total. Safe beside writers, as `update` is. Says
   * per index how many documents it wrote and deleted.
   */
  async rebuild(): Promise<{ index: string; written: number; deleted: number }[]> {
    const tally: Tally = new Map(this.kept.map((k) => [k.where, { written: 0, deleted: 0 }]));
    // What the indices hold now; any of it the rows no longer account for goes at the end.
    const before = await this.documentsHeld();
    const seen = new Set<string>();
    const groups = new Map<KeptStatistic, Set<string>>(this.kept.map((k) => [k, new Set()]));
    await this.client.indices.refresh({ index: this.rowsIndex });
    for (const kept of this.kept) {
      for await (const page of this.windowsInRows(kept)) {
        for (const t of page) {
          seen.add(`${t.kept.where}/${t.id}`);
          groups.get(kept)?.add(t.group);
        }
        await this.settle(page, tally);
      }
    }
    const stray = before.filter((t) => !seen.has(`${t.kept.where}/${t.id}`));
    // Before the totals: a stray window would be summed into its group's total.
    await this.settle(
      stray.filter((t) => t.windowStartMs !== null),
      tally,
    );
    const totals = [...groups].flatMap(([kept, names]) => [...names].map((group) => target(kept, group, null)));
    const totalIds = new Set(totals.map((t) => `${t.kept.where}/${t.id}`));
    await this.settle([...totals, ...stray.filter((t) => t.windowStartMs === null && !totalIds.has(`${t.kept.where}/${t.id}`))], tally);
    return [...tally].map(([index, counts]) => ({ index, ...counts }));
  }

  /** Every document in the statistics indices, as a target under its own `_id` (a stray one's may not be the one its fields give). */
  private async documentsHeld(): Promise<Target[]> {
    const held: Target[] = [];
    for (const kept of this.kept) {
      const groupField = kept.name(kept.statistic.groupBy);
      const windowField = kept.name(WINDOW_START);
      await this.client.indices.refresh({ index: kept.where });
      await scanIndex<Record<string, string | number | null | undefined>>(
        this.client,
        { index: kept.where, fields: [groupField, windowField], pageSize: 5000 },
        (hits) => {
          for (const hit of hits) {
            // The window start as written: epoch ms, or ISO 8601 text (a pipeline of its own may write either).
            const window = hit._source?.[windowField];
            const windowStartMs = window === null || window === undefined ? null : typeof window === 'number' ? window : Date.parse(window);
            held.push({ kept, group: String(hit._source?.[groupField] ?? ''), windowStartMs, id: hit._id ?? '' });
          }
        },
      );
    }
    return held;
  }

  /** The (group, window) pairs the rows index holds for a statistic, a page of targets at a time. */
  private async *windowsInRows(kept: KeptStatistic): AsyncGenerator<Target[]> {
    const { groupBy, eventTime, windowMs } = kept.statistic;
    let after: Record<string, estypes.FieldValue> | undefined;
    for (;;) {
      const sources = [{ g: { terms: { field: groupBy } } }, { w: { date_histogram: { field: eventTime, fixed_interval: `${windowMs}ms` } } }];
      const response = await this.client.search({
        index: this.rowsIndex,
        size: 0,
        track_total_hits: false,
        aggs: { pairs: { composite: { size: REBUILD_PAGE, sources, ...(after ? { after } : {}) } } },
      });
      const pairs = response.aggregations?.pairs as estypes.AggregationsCompositeAggregate | undefined;
      const buckets = (pairs?.buckets ?? []) as estypes.AggregationsCompositeBucket[];
      if (buckets.length === 0) return;
      yield buckets.map((b) => target(kept, String(b.key.g), Number(b.key.w)));
      if (!pairs?.after_key) return;
      after = pairs.after_key;
    }
  }

  /** Recomputes the targets (all windows, or all totals) until each is written, MAX_TARGETS at a time. */
  private async settle(targets: readonly Target[], tally?: Tally): Promise<void> {
    for (let at = 0; at < targets.length; at += MAX_TARGETS) {
      let pending = targets.slice(at, at + MAX_TARGETS);
      for (let round = 1; pending.length > 0; round++) {
        if (round > MAX_ROUNDS) {
          throw new BulkWriteError(
            'unavailable',
            `${pending.length} statistics document(s), first ${pending[0]!.id} in ${pending[0]!.kept.where}, were changed by another writer in each of ${MAX_ROUNDS} rounds`,
          );
        }
        const versions = await this.versions(pending);
        const documents = pending[0]!.windowStartMs === null ? await this.sumWindows(pending) : await this.sumRows(pending);
        pending = await this.write(pending, versions, documents, tally);
      }
    }
  }

  /** Each document's version now (a real-time get), read before what it is summed from. */
  private async versions(targets: readonly Target[]): Promise<Version[]> {
    const { docs } = await this.client.mget({ docs: targets.map((t) => ({ _index: t.kept.where, _id: t.id })), _source: false });
    return docs.map((doc, i) => {
      if ('error' in doc) {
        const target = targets[i]!;
        const message = `cannot read statistics document ${target.id} of index ${target.kept.where}: ${causeText(doc.error)}`;
        if (doc.error.type === 'index_not_found_exception')
          throw new HarnessError('config', `${message}; it holds the ${target.kept.statistic.name} statistics (sink.statistics), created when the run starts`);
        throw new BulkWriteError('unavailable', message);
      }
      return doc.found && doc._seq_no !== undefined && doc._primary_term !== undefined ? { seqNo: doc._seq_no, primaryTerm: doc._primary_term } : null;
    });
  }

  /** Windows: one aggregation over the rows index for every target: its document, by `<where>/<id>`. */
  private async sumRows(targets: readonly Target[]): Promise<Map<string, Record<string, unknown>>> {
    const aggs: Record<string, estypes.AggregationsAggregationContainer> = {};
    const asked: { name: string; kept: KeptStatistic; windowStartMs: number | null }[] = [];
    for (const [kept, windows] of byStatisticAndWindow(targets)) {
      const { statistic } = kept;
      for (const [windowStartMs, groups] of windows) {
        const name = `a${asked.length}`;
        const filter: estypes.QueryDslQueryContainer[] = [{ terms: { [statistic.groupBy]: groups } }];
        if (windowStartMs !== null)
          filter.push({ range: { [statistic.eventTime]: { gte: windowStartMs, lt: windowStartMs + statistic.windowMs, format: 'epoch_millis' } } });
        // size = the groups asked for, so every shard returns each of them and the sums are exact.
        aggs[name] = {
          filter: { bool: { filter } },
          aggs: { groups: { terms: { field: statistic.groupBy, size: groups.length }, aggs: this.measureAggs(statistic) } },
        };
        asked.push({ name, kept, windowStartMs });
      }
    }
    // Searches see the last refresh: this batch's rows must be in the sums.
    await this.client.indices.refresh({ index: this.rowsIndex });
    const response = await this.client.search({ index: this.rowsIndex, size: 0, track_total_hits: false, aggs });
    const documents = new Map<string, Record<string, unknown>>();
    for (const { name, kept, windowStartMs } of asked) {
      for (const bucket of groupBuckets(response.aggregations?.[name])) {
        const group = String(bucket.key);
        documents.set(
          `${kept.where}/${statisticId(group, windowStartMs)}`,
          statisticDocument(kept, group, windowStartMs, this.measures(kept.statistic, bucket)),
        );
      }
    }
    return documents;
  }

  /**
   * Totals: per statistic, one aggregation over its own index's window documents of the groups
   * asked (those with a window start), summing the measures each window keeps. The windows hold
   * the doubled counts already, so nothing is added here for doubleCount.
   */
  private async sumWindows(targets: readonly Target[]): Promise<Map<string, Record<string, unknown>>> {
    const statistics = byStatisticAndWindow(targets);
    // The windows this writer just wrote must be in the sums.
    await this.client.indices.refresh({ index: [...statistics.keys()].map((k) => k.where) });
    const documents = new Map<string, Record<string, unknown>>();
    await Promise.all(
      [...statistics].map(async ([kept, windows]) => {
        const { statistic } = kept;
        const groupField = kept.name(statistic.groupBy);
        const groups = windows.get(null) ?? [];
        const sums: Record<string, estypes.AggregationsAggregationContainer> = {};
        for (const [m, measure] of Object.entries(statistic.measures)) sums[`m_${m}`] = { sum: { field: measureColumn(m, measure) } };
        const filter: estypes.QueryDslQueryContainer[] = [{ terms: { [groupField]: groups } }, { exists: { field: kept.name(WINDOW_START) } }];
        const response = await this.client.search({
          index: kept.where,
          size: 0,
          track_total_hits: false,
          aggs: { t: { filter: { bool: { filter } }, aggs: { groups: { terms: { field: groupField, size: groups.length }, aggs: sums } } } },
        });
        for (const bucket of groupBuckets(response.aggregations?.t)) {
          const group = String(bucket.key);
          // Sums of whole numbers come back as doubles: exact below 2^53, rounding only undoes the type.
          const measures = Object.fromEntries(
            Object.keys(statistic.measures).map((m) => [m, Math.round((bucket[`m_${m}`] as estypes.AggregationsSumAggregate).value ?? 0)]),
          );
          documents.set(`${kept.where}/${statisticId(group, null)}`, statisticDocument(kept, group, null, measures));
        }
      }),
    );
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

  /**
   * Writes each recomputed document if it is still the version read, and deletes one nothing
   * accounts for any more (no row in its window, no window of its group: a stray document) on the
   * same condition; returns the targets another writer changed meanwhile.
   */
  private async write(
    targets: readonly Target[],
    versions: readonly Version[],
    documents: ReadonlyMap<string, Record<string, unknown>>,
    tally?: Tally,
  ): Promise<Target[]> {
    const operations: (estypes.BulkOperationContainer | Record<string, unknown>)[] = [];
    const sent: Target[] = [];
    targets.forEach((target, i) => {
      const document = documents.get(`${target.kept.where}/${target.id}`);
      const version = versions[i];
      const at = { _index: target.kept.where, _id: target.id };
      const expected = version ? { if_seq_no: version.seqNo, if_primary_term: version.primaryTerm } : null;
      if (document) operations.push(expected ? { index: { ...at, ...expected } } : { create: at }, document);
      else if (expected) operations.push({ delete: { ...at, ...expected } });
      else return;
      sent.push(target);
    });
    if (sent.length === 0) return [];
    const response = await this.client.bulk<Record<string, unknown>>({ operations });
    const changed: Target[] = [];
    for (const [i, item] of response.items.entries()) {
      const target = sent[i]!;
      const result = item.index ?? item.create ?? item.delete;
      const counts = tally?.get(target.kept.where);
      if (!result?.error) {
        if (counts) {
          if (item.delete) counts.deleted++;
          else counts.written++;
        }
        continue;
      }
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

/** A statistic's document for a group's window (or total, `windowStartMs` null). */
function target(kept: KeptStatistic, group: string, windowStartMs: number | null): Target {
  return { kept, group, windowStartMs, id: statisticId(group, windowStartMs) };
}

/** The `groups` terms buckets under a filter aggregation of the response. */
function groupBuckets(aggregate: unknown): (Bucket & { key: unknown })[] {
  const groups = (aggregate as Bucket | undefined)?.groups as { buckets?: (Bucket & { key: unknown })[] } | undefined;
  return groups?.buckets ?? [];
}

/** Every statistics document the rows fall in: each statistic's group in the row's window, and the group's total. */
function targetsOf(kept: readonly KeptStatistic[], rows: readonly OutputRow[]): Target[] {
  const targets = new Map<string, Target>();
  for (const k of kept) {
    const { groupBy, eventTime, windowMs } = k.statistic;
    for (const row of rows) {
      const group = String(row[groupBy]);
      for (const windowStartMs of [windowStartOf(row[eventTime] as number, windowMs), null]) {
        const t = target(k, group, windowStartMs);
        const key = `${k.where}/${t.id}`;
        if (!targets.has(key)) targets.set(key, t);
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
    if (!windows) out.set(kept, (windows = new Map<number | null, string[]>()));
    const groups = windows.get(windowStartMs);
    if (groups) groups.push(group);
    else windows.set(windowStartMs, [group]);
  }
  return out;
}

/** A statistic's document: the group, the window start, the declared fields derived from the measures, and the measures. */
function statisticDocument(
  { statistic, name }: KeptStatistic,
  group: string,
  windowStartMs: number | null,
  measures: Record<string, number>,
): Record<string, unknown> {
  const document: Record<string, unknown> = { [name(statistic.groupBy)]: group, [name(WINDOW_START)]: windowStartMs };
  for (const [field, value] of Object.entries(deriveFields(statistic, measures))) document[name(field)] = value;
  for (const [m, measure] of Object.entries(statistic.measures)) document[measureColumn(m, measure)] = measures[m];
  return document;
}
