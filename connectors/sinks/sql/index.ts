import type { SinkComponent } from '../sink.ts';
import { openSql, sinkLocationFor } from './open.ts';
import { requireStatistics, SqlSinkProbe } from './probe.ts';
import { SqlSinkReader } from './reader.ts';
import { sqlSinkSpec, type SqlLocation, type SqlSinkSpec } from './spec.ts';
import { statisticsTables } from './statistics.ts';
import { CHECKPOINT_TABLE } from './ddl.ts';

/** The writer (with the pipeline's rules) and the lock (with pg) load when a command writes: verify only reads. */
const writer = () => import('./writer.ts');

/** PostgreSQL: the server named by PG_URL / DATABASE_URL, else PGlite in the run directory. */
export const sql: SinkComponent<SqlSinkSpec, SqlLocation> = {
  spec: sqlSinkSpec,
  locate: sinkLocationFor,
  shared: (location) => location.kind === 'postgres',
  async openWriter(location, spec, env, setup) {
    const { SqlSinkWriter } = await writer();
    return new SqlSinkWriter(await openSql(location, env, { log: setup.log, outageLimitMs: spec.outageLimit }), { spec, ...setup });
  },
  async init(location, spec, env, setup) {
    const { createTables } = await writer();
    const client = await openSql(location, env, { log: setup.log, outageLimitMs: spec.outageLimit });
    try {
      await createTables(client, { spec, ...setup });
      const statistics = setup.datasets.flatMap((d) => statisticsTables(spec, d) ?? []).map((t) => t.table);
      return `${client.description} schema ${spec.schema}: ${[...setup.datasets.map((d) => spec.tables[d]), ...statistics, spec.tables.dlq, CHECKPOINT_TABLE].join(', ')}`;
    } finally {
      await client.close();
    }
  },
  ddl: async (spec, setup) => (await writer()).tableStatements({ spec, ...setup }),
  async openReader(location, spec, env, log) {
    return new SqlSinkReader(await openSql(location, env, { log, outageLimitMs: spec.outageLimit }), spec);
  },
  async openProbe(location, spec, env) {
    // PGlite: the writer's own database when this process has it open (see openPglite).
    const client = await openSql(location, env, { outageLimitMs: spec.outageLimit });
    try {
      await requireStatistics(client);
    } catch (error) {
      await client.close();
      throw error;
    }
    return new SqlSinkProbe(client, spec);
  },
  lock: async (location, spec, env, who) => (await import('./lock.ts')).lockSchema(location, spec, env, who),
};
