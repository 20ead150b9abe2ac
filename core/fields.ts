import { z } from 'zod';
import { parseDuration } from './duration.ts';

/**
 * Field types shared by the scenario schema and each component's own spec.
 *
 * `duration`: "250ms", "2s", "1m", "1h" or a number of ms, to ms.
 */
export const duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: `expected a duration like 250ms, 2s or 1m, got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return ms;
});

export const share = z.number().min(0).max(1);

/** A SQL identifier (schema, table or column name) as scenarios may write it. */
export const identifier = z.string().regex(/^[a-z_][a-z0-9_]*$/);
