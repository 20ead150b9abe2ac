import { z } from 'zod';
import type { MalformedKind } from './faults.ts';

/**
 * Seed 002's dataset as a scenario sees it: its options and malformed kinds. Apart from the
 * generator (lol.ts), so that the scenario schema loads without the generator and its Faker pools.
 */

export const lolOptions = z
  .object({
    platform: z
      .string()
      .regex(/^[A-Z0-9]{2,5}$/)
      .default('EUW1')
      .describe('Platform prefix of matchId, e.g. EUW1.'),
    summoners: z.number().int().min(10).max(1_000_000).default(5000).describe('Size of the summoner name pool.'),
    remakeShare: z.number().min(0).max(1).default(0.01).describe('Share of matches that are remakes, ended by vote between 1:30 and 3:30 (as real ones are).'),
  })
  .strict();

export type LolOptions = z.infer<typeof lolOptions>;

export const lolMalformed = [
  { kind: 'truncated_json', reason: 'json_parse', description: 'the document cut off half way' },
  { kind: 'invalid_utf8', reason: 'invalid_utf8', description: 'bytes that are not UTF-8 in a summoner name' },
  { kind: 'missing_match_id', reason: 'missing_field', description: 'metadata.matchId is absent' },
  { kind: 'duration_not_a_number', reason: 'wrong_type', description: 'info.gameDuration is "abc"' },
  { kind: 'nine_participants', reason: 'participant_count', description: 'a match with 9 participants' },
  { kind: 'zero_duration', reason: 'invalid_duration', description: 'info.gameDuration is 0' },
  { kind: 'negative_kills', reason: 'negative_stat', description: 'a participant with -3 kills' },
  { kind: 'duplicate_participant_id', reason: 'duplicate_participant', description: 'two participants share an id' },
] as const satisfies readonly MalformedKind[];
