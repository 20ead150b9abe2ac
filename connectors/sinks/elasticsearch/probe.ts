import type { Client } from '@elastic/elasticsearch';
import type { DatasetName } from '../../../generators/generator.ts';
import type { SinkProbe } from '../sink.ts';
import { readError } from './failures.ts';
import type { ElasticsearchSinkSpec } from './spec.ts';

/**
 * The Elasticsearch sink's progress probe: the count API on the dataset's index, and on the
 * dead-letter index filtered by dataset. It never refreshes: a refresh a second would make a small
 * segment a second, the cost `refresh_interval` exists to spare the writer. So it counts what the
 * last refresh made searchable, up to `sink.refreshInterval` (5 s by default) behind the writes;
 * the reference writer refreshes when it finishes, so its last figure is exact at once.
 */
export class EsSinkProbe implements SinkProbe {
  constructor(
    private readonly client: Client,
    private readonly spec: ElasticsearchSinkSpec,
    private readonly description: string,
  ) {}

  async read(dataset: DatasetName): Promise<{ rows: number; deadLetters: number; atMs: number }> {
    const { indices } = this.spec;
    const count = (index: string, query?: { term: { dataset: DatasetName } }) =>
      this.client.count({ index, ...(query ? { query } : {}) }).then(
        (answer) => answer.count,
        (error: unknown) => {
          throw readError(error, index, this.description);
        },
      );
    const [rows, deadLetters] = await Promise.all([count(indices[dataset]), count(indices.dlq, { term: { dataset } })]);
    return { rows, deadLetters, atMs: Date.now() };
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
