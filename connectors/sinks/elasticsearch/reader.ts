import type { Client } from '@elastic/elasticsearch';
import type { DatasetName } from '../../../generators/generator.ts';
import { rowBuilder, type OutputRow } from '../../../pipeline/output.ts';
import { outputOf } from '../../../pipeline/rules/outputs.ts';
import { WINDOW_START } from '../../../pipeline/statistics.ts';
import type { DeadLetterRow, SinkReader, SinkRow, StatisticsRow } from '../../readers.ts';
import { epochMs, sourceValue } from './documents.ts';
import { esMessage, readError, statusOf } from './failures.ts';
import { requireMapping } from './indices.ts';
import { deadLetterFields, readFields, statisticsFields } from './mapping.ts';
import { scanIndex } from './scan.ts';
import type { ElasticsearchSinkSpec } from './spec.ts';
import { statisticsIndices, statisticsPlace } from './statistics.ts';

/** Documents per page of a scan: a few MB of `_source`, a round trip amortised over thousands of rows. */
export const PAGE_SIZE = 5000;

/**
 * Reads a run's indices for the verifier: every document once, a page at a time, through a point
 * in time (scan.ts), as the same row view the SQL reader gives, with each document's `_version` so
 * rows rewritten in place by a replay are told apart from true duplicates (two documents, one key).
 * Each read starts with a refresh, so what the cluster acknowledged is what is verified, whatever
 * the index's refresh_interval.
 */
export class EsSinkReader implements SinkReader {
  /** Refreshing needs the `maintenance` privilege; without it the reader says so once and relies on refresh_interval. */
  private refreshRefused = false;

  constructor(
    private readonly client: Client,
    private readonly spec: ElasticsearchSinkSpec,
    readonly description: string,
    private readonly log: (line: string) => void = () => {},
  ) {}

  async checkLayout(dataset: DatasetName): Promise<void> {
    const { indices } = this.spec;
    await this.read(indices[dataset], () =>
      requireMapping(this.client, indices[dataset], readFields(outputOf(dataset)), this.description, `the ${dataset} rows (sink.indices.${dataset})`),
    );
    await this.read(indices.dlq, () => requireMapping(this.client, indices.dlq, deadLetterFields, this.description, 'the dead letters (sink.indices.dlq)'));
  }

  async count(dataset: DatasetName): Promise<number> {
    const index = this.spec.indices[dataset];
    return this.read(index, async () => {
      await this.refresh(index);
      return (await this.client.count({ index })).count;
    });
  }

  async scanRows(dataset: DatasetName, onPage: (rows: SinkRow[]) => void): Promise<void> {
    const index = this.spec.indices[dataset];
    const fields = Object.entries(outputOf(dataset).fields);
    const build = rowBuilder(fields.map(([name]) => name));
    const values = Array.from<OutputRow[string]>({ length: fields.length }).fill(null);
    await this.read(index, async () => {
      await this.refresh(index);
      await scanIndex<Record<string, unknown>>(
        this.client,
        { index, fields: [...fields.map(([name]) => name), 'produced_at', 'ingested_at'], pageSize: PAGE_SIZE, version: true },
        (hits) =>
          onPage(
            hits.map((hit) => {
              const doc = hit._source ?? {};
              for (let c = 0; c < fields.length; c++) {
                const [name, field] = fields[c] as (typeof fields)[number];
                values[c] = sourceValue(field, doc[name]);
              }
              const row: SinkRow = { values: build(values), producedAtMs: epochMs(doc.produced_at), ingestedAtMs: epochMs(doc.ingested_at) };
              if (hit._version !== undefined) row.version = hit._version;
              return row;
            }),
          ),
      );
    });
  }

  async scanDeadLetters(dataset: DatasetName, onPage: (letters: DeadLetterRow[]) => void): Promise<void> {
    const index = this.spec.indices.dlq;
    await this.read(index, async () => {
      await this.refresh(index);
      await scanIndex<Record<string, unknown>>(
        this.client,
        { index, fields: ['source', 'position', 'record_index', 'reason', 'raw', 'dead_lettered_at'], query: { term: { dataset } }, pageSize: PAGE_SIZE },
        (hits) =>
          onPage(
            hits.map((hit) => {
              const doc = hit._source ?? {};
              const recordIndex = doc.record_index;
              return {
                source: typeof doc.source === 'string' ? doc.source : '',
                position: Number(doc.position),
                recordIndex: recordIndex === null || recordIndex === undefined ? null : Number(recordIndex),
                reason: typeof doc.reason === 'string' ? doc.reason : '',
                raw: typeof doc.raw === 'string' ? Buffer.from(doc.raw, 'base64') : Buffer.alloc(0),
                ingestedAtMs: epochMs(doc.dead_lettered_at),
              };
            }),
          ),
      );
    });
  }

  statisticsWhere(dataset: DatasetName): string | null {
    return (
      statisticsIndices(this.spec, dataset)
        ?.map((kept) => kept.where)
        .join(', ') ?? null
    );
  }

  /** Every document of each statistic's index, once, through a point in time as the rows; fields under their declared names. */
  async scanStatistics(dataset: DatasetName, onPage: (rows: StatisticsRow[]) => void): Promise<void> {
    for (const kept of statisticsIndices(this.spec, dataset) ?? []) {
      const { statistic, where: index, name } = kept;
      const fields = Object.entries(statistic.fields);
      const { holds, key } = statisticsPlace(kept, dataset);
      await this.read(index, async () => {
        await requireMapping(
          this.client,
          index,
          statisticsFields(kept),
          this.description,
          `${holds} (${key})`,
          ', or set `sink.statistics: false` when your pipeline keeps none',
        );
        await this.refresh(index);
        await scanIndex<Record<string, unknown>>(
          this.client,
          { index, fields: [name(statistic.groupBy), name(WINDOW_START), ...fields.map(([field]) => name(field))], pageSize: PAGE_SIZE },
          (hits) =>
            onPage(
              hits.map((hit) => {
                const doc = hit._source ?? {};
                const group = doc[name(statistic.groupBy)];
                return {
                  statistic: statistic.name,
                  group: typeof group === 'string' || typeof group === 'number' ? String(group) : null,
                  windowStartMs: epochMs(doc[name(WINDOW_START)]),
                  values: Object.fromEntries(
                    fields.map(([field, f]) => {
                      // A value that does not read as a number is held as NULL, which the check reports with the field.
                      const value = sourceValue(f.spec, doc[name(field)]);
                      return [field, typeof value === 'number' ? value : null];
                    }),
                  ),
                };
              }),
            ),
        );
      });
    }
  }

  /** Makes every acknowledged write visible to the next search. */
  private async refresh(index: string): Promise<void> {
    if (this.refreshRefused) return;
    try {
      await this.client.indices.refresh({ index });
    } catch (error) {
      if (statusOf(error) !== 403) throw error;
      this.refreshRefused = true;
      this.log(
        `cannot refresh ${index} on ${this.description} (${esMessage(error)}): reading what its refresh_interval has made visible; give the credentials the maintenance privilege to verify at once`,
      );
    }
  }

  private async read<T>(index: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw readError(error, index, this.description);
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
