import { deadLetterCheck } from './dead-letter-check.ts';

/**
 * The sink's dead-letter table: every bad record dead-lettered once, with the right reason and the
 * bytes that were sent. The table is exactly once, so a second dead letter for one record is a defect.
 */
export const dlqCapture = deadLetterCheck({
  name: 'dlq-capture',
  description: 'Expected malformed and future-dated records vs dead letters: missed, wrong reason, doubled, conflicting, raw bytes, valid ones dead-lettered.',
  from: 'sink',
  atLeastOnce: false,
  place: () => 'captured',
  convention: (context) => context.positionConvention,
});
