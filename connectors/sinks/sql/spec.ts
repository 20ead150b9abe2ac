import { z } from 'zod';
import { duration, identifier } from '../../../core/fields.ts';
import { partNames, statisticsSetting } from '../statistics.ts';

/** The SQL sink's part of a scenario: where in the database, never how to reach it (that is PG_URL). */
export const sqlSinkSpec = z
  .object({
    type: z.literal('sql').describe('PostgreSQL through pg when PG_URL/DATABASE_URL is set, else embedded PGlite.'),
    schema: identifier.default('harness').describe('Database schema holding the tables.'),
    reset: z.boolean().default(true).describe('Drop and recreate the tables at the start of a run (external pipelines: create them empty before producing).'),
    tables: z
      .object({
        ecommerce: identifier.default('user_events').describe('E-commerce events, one row per event.'),
        lol: identifier.default('lol_participants').describe('LoL matches, one row per participant.'),
        dlq: identifier.default('dead_letters').describe('Dead letters of every dataset.'),
      })
      .strict()
      .prefault({})
      .describe('Table names per dataset, and the dead-letter table.'),
    statistics: statisticsSetting(
      (statistic) =>
        z
          .object({ table: identifier.default(statistic.table).describe(statistic.description), columns: partNames(statistic, 'Column', identifier) })
          .strict()
          .prefault({}),
      '{ table, columns }',
      "Where the pipeline keeps each dataset's statistics (seed 002: champion and position stats per 5-minute window and in total; see docs/external-pipeline.md): per dataset and statistic, `{ table, columns }`. `false`: the pipeline under test keeps none, and the aggregates check does not apply.",
    ),
    outageLimit: duration
      .prefault('5m')
      .describe(
        'How long a lost database is waited out before the run fails (exit 3): connecting, writing and the verifier connecting retry with backoff (200 ms doubling to 5 s) while the server is down or restarting. Authentication failures are never retried.',
      ),
  })
  .strict();

export type SqlSinkSpec = z.output<typeof sqlSinkSpec>;

/** How to reach a run's SQL sink again. Never holds a password: servers are re-read from the environment. */
export type SqlLocation = { kind: 'pglite'; dataDir: string } | { kind: 'postgres'; url: string };
