import { join } from 'node:path';
import type { SqlClient } from '../../connectors/sinks/sql/client.ts';
import { openPglite } from '../../connectors/sinks/sql/pglite.ts';
import { openPostgres } from '../../connectors/sinks/sql/postgres.ts';
import { sqlSinkSpec, type SqlSinkSpec } from '../../connectors/sinks/sql/spec.ts';
import { PG_URL, uniqueSchema } from './postgres.ts';
import { tempDir } from './scenario.ts';

/** The SQL backends tests run against: PGlite always, the PostgreSQL server when PG_URL is set. */
export const backends: { name: string; open: () => Promise<SqlClient> }[] = [
  { name: 'pglite', open: () => openPglite(join(tempDir('harness-pglite-'), 'db')) },
  ...(PG_URL ? [{ name: 'postgres', open: () => openPostgres(PG_URL as string) }] : []),
];

/** A sink spec in a fresh schema, so tests never see each other's tables. */
export function freshSinkSpec(): SqlSinkSpec {
  return sqlSinkSpec.parse({ type: 'sql', schema: uniqueSchema() });
}
