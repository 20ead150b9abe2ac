import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openPglite } from '../../connectors/sinks/sql/pglite.ts';
import { templatePath } from '../../connectors/sinks/sql/pglite-template.ts';
import { tempDir } from '../helpers/scenario.ts';

const userTables = "SELECT count(*)::int AS n FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')";

describe('a new PGlite database from the template of an empty one', () => {
  // The PGlite thread reads the environment it starts with: this file's own template.
  const template = join(tempDir('harness-pglite-template-'), 'template');
  const previous = process.env.HARNESS_PGLITE_TEMPLATE;
  process.env.HARNESS_PGLITE_TEMPLATE = template;
  afterAll(() => {
    if (previous === undefined) delete process.env.HARNESS_PGLITE_TEMPLATE;
    else process.env.HARNESS_PGLITE_TEMPLATE = previous;
  });
  const fresh = () => join(tempDir('harness-pglite-template-db-'), 'db');

  it('is written by the first database, holds none of its tables, and gives later ones a cluster of their own that persists', async () => {
    const first = await openPglite(fresh());
    expect(existsSync(join(template, 'PG_VERSION'))).toBe(true);
    await first.exec('CREATE TABLE only_in_first (k int)');
    await first.close();

    const dataDir = fresh();
    const copy = await openPglite(dataDir);
    expect((await copy.query<{ n: number }>(userTables)).rows).toEqual([{ n: 0 }]);
    expect((await copy.query<{ c: string }>('SELECT datcollate AS c FROM pg_database WHERE datname = current_database()')).rows).toEqual([{ c: 'C' }]);
    await copy.exec('CREATE TABLE kept (k int); INSERT INTO kept VALUES (1)');
    await copy.close();

    const reopened = await openPglite(dataDir);
    expect((await reopened.query<{ k: number }>('SELECT k FROM kept')).rows).toEqual([{ k: 1 }]);
    await reopened.close();
  });

  it('that does not open is replaced: the database is made by initdb and works', async () => {
    // A cluster whose catalog files are gone: PostgreSQL cannot start on it.
    rmSync(template, { recursive: true, force: true });
    mkdirSync(join(template, 'global'), { recursive: true });
    writeFileSync(join(template, 'PG_VERSION'), '17\n');
    const db = await openPglite(fresh());
    expect((await db.query<{ n: number }>(userTables)).rows).toEqual([{ n: 0 }]);
    await db.close();
    expect(existsSync(join(template, 'global', 'pg_control'))).toBe(true);
  });

  it('is per PGlite version and user, and can be turned off', () => {
    expect(templatePath({})).toMatch(/harness-pglite-\d+\.\d+\.\d+.*-\w+$/);
    expect(templatePath({ HARNESS_PGLITE_TEMPLATE: 'off' })).toBeNull();
  });
});
