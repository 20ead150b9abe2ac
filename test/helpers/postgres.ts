import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The real PostgreSQL server, when PG_URL names one. CI always sets it (.ci/run), and then a server
 * that cannot be reached fails the tests; on a laptop without PG_URL they are skipped.
 */
export const PG_URL = process.env.PG_URL;

export const describeIfPostgres = PG_URL ? (await import('vitest')).describe : (await import('vitest')).describe.skip;

if (!PG_URL) {
  console.warn('PostgreSQL tests skipped: set PG_URL=postgres://postgres@127.0.0.1:5432/test to run them.');
}

export function uniqueSchema(prefix = 'harness_t'): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

export async function dropSchema(schema: string): Promise<void> {
  if (!PG_URL) return;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
