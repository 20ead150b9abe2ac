/**
 * Dead-letter reason codes: the pipeline writes them, the generators' oracle expects them, and the
 * verifier compares the two. One list so the three can never drift apart.
 */
export const reasonCodes = [
  'invalid_utf8',
  'csv_parse',
  'column_count',
  'json_parse',
  'missing_field',
  'wrong_type',
  'invalid_event_type',
  'negative_price',
  'view_with_price',
  'future_timestamp',
  'participant_count',
  'team_structure',
  'invalid_duration',
  'negative_stat',
  'duplicate_participant',
  'duplicate',
] as const;

export type ReasonCode = (typeof reasonCodes)[number];
