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
  // Poison records: no generator fault makes them, the pipeline meets them in the wild.
  /** A value its declared column cannot hold (pipeline/output.ts `checkRow`): NUL in text, int4 overflow, year 0. */
  'out_of_range',
  /** The rules threw on the record; the detail is the error's message. */
  'invalid_record',
  /** The sink refused the record's rows although the rules accepted them; the detail is the sink's message. */
  'sink_rejected',
] as const;

export type ReasonCode = (typeof reasonCodes)[number];
