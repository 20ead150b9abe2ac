import { HarnessError } from '../../../core/errors.ts';
import type { DatasetName } from '../../../generators/generator.ts';
import type { SinkProbe } from '../sink.ts';
import { literal, type SqlClient } from './client.ts';
import { qualified } from './ddl.ts';
import type { SqlSinkSpec } from './spec.ts';

/**
 * Rows a table has taken, from the server's cumulative statistics instead of `count(*)`: reading
 * them costs the same on an empty table and on one of 10M rows, where a count scans every row.
 * Inserted minus deleted, not `n_live_tup`, which every VACUUM and ANALYZE (autovacuum's too)
 * replaces with an estimate. A server flushes a session's counts when it commits, at most once a
 * second, and an idle session's after 10 s (PGSTAT_IDLE_INTERVAL) or when it disconnects; the
 * session's own counts not yet flushed (`xact`) are added, which on PGlite, one session shared by
 * the writer and the probe, makes the figure exact at once. Rows skipped by ON CONFLICT DO NOTHING
 * never count; inserts of a transaction that rolled back do (the figure is then that much high).
 */
function tuplesSql(relation: string): string {
  return `pg_stat_get_tuples_inserted(${relation}) + pg_stat_get_xact_tuples_inserted(${relation}) - pg_stat_get_tuples_deleted(${relation}) - pg_stat_get_xact_tuples_deleted(${relation})`;
}

/**
 * The SQL sink's progress probe. Rows from the statistics (see `tuplesSql`). Dead letters of every
 * dataset share one table, which the statistics cannot split by dataset: they are counted exactly,
 * but only when that table's statistics moved since the last count, so a clean stream costs nothing
 * more and a faulty one one count of its dead letters (a small share of the rows) a second.
 */
export class SqlSinkProbe implements SinkProbe {
  /** The dead-letter table's statistics figure at the last count, and each dataset's count then. */
  private readonly counted = new Map<DatasetName, { at: number; deadLetters: number }>();

  constructor(
    private readonly client: SqlClient,
    private readonly spec: SqlSinkSpec,
  ) {}

  async read(dataset: DatasetName): Promise<{ rows: number; deadLetters: number; atMs: number }> {
    const table = qualified(this.spec.schema, this.spec.tables[dataset]);
    const dlq = qualified(this.spec.schema, this.spec.tables.dlq);
    const { rows } = await this.client.query<{ rows: string | number | null; dlq: string | number | null }>(
      `SELECT ${tuplesSql('t')} AS rows, ${tuplesSql('d')} AS dlq FROM (SELECT to_regclass(${literal(table)}) AS t, to_regclass(${literal(dlq)}) AS d) AS r`,
    );
    const atMs = Date.now();
    const found = rows[0];
    if (found?.rows === null || found?.rows === undefined || found.dlq === null) {
      throw new HarnessError(
        'config',
        `${this.client.description}: the sink's ${found?.rows === null ? table : dlq} does not exist: the probe reads a run's tables once \`harness run\` (or \`harness sink init\`) has made them`,
      );
    }
    const dlqFigure = Number(found.dlq);
    let dead = this.counted.get(dataset);
    if (dead?.at !== dlqFigure) {
      const counted = await this.client.query<{ n: string | number }>(`SELECT count(*) AS n FROM ${dlq} WHERE dataset = $1`, [dataset]);
      dead = { at: dlqFigure, deadLetters: Number(counted.rows[0]?.n ?? 0) };
      this.counted.set(dataset, dead);
    }
    return { rows: Number(found.rows), deadLetters: dead.deadLetters, atMs };
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/** Without `track_counts` (on by default) a server keeps no statistics to read: say so at once rather than read 0 forever. */
export async function requireStatistics(client: SqlClient): Promise<void> {
  const { rows } = await client.query<{ on: boolean }>(`SELECT current_setting('track_counts')::boolean AS on`);
  if (rows[0]?.on !== true) {
    throw new HarnessError(
      'config',
      `${client.description} has track_counts off, so its tables keep no row statistics for the progress probe to read: set track_counts = on (the default)`,
    );
  }
}
