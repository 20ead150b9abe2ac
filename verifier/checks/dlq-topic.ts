import { deadLetterCheck } from './dead-letter-check.ts';

/**
 * The dead letters the run also published (Kafka: `<topic>.dlq`), read back within the run's range
 * and held to the table's standard, except that the place is at least once: a later copy with the
 * same reason is a redelivery, counted apart and never a defect. Runs only where there was one.
 */
export const dlqTopic = deadLetterCheck({
  name: 'dlq-topic',
  description:
    'Expected malformed and future-dated records vs the dead-letter topic: missed, wrong reason, conflicting, raw bytes, valid ones dead-lettered; redeliveries counted apart.',
  from: 'topic',
  atLeastOnce: true,
  appliesTo: (context) => context.deadLetterStream !== null,
  place: (context) => `in ${context.deadLetterStream ?? 'the dead-letter stream'}`,
  convention: () => "the record index in the letter's `harness-dlq-index` header",
});
