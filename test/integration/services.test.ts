import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { PG_URL } from '../helpers/postgres.ts';

/**
 * CI sets HARNESS_REQUIRE_SERVICES: there, a real-server test that would skip is a failure, so a
 * green CI always means the PostgreSQL path ran.
 */
describe.runIf(process.env.HARNESS_REQUIRE_SERVICES)('services required by CI', () => {
  it('PostgreSQL is configured and answers', async () => {
    expect(PG_URL, 'PG_URL must be set when HARNESS_REQUIRE_SERVICES is').toBeTruthy();
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    const { rows } = await client.query<{ one: number }>('SELECT 1 AS one');
    await client.end();
    expect(rows[0]?.one).toBe(1);
  });
});
