import { reasonCodes } from '../../core/reasons.ts';
import { Samples, slo, statusOf, type Check } from '../check.ts';

/**
 * Every bad record is dead-lettered once, with the right reason and the bytes that were sent; no
 * record that should land (or be dropped) is. The table is exactly once, so a second dead letter
 * for one record is a defect, and two different reasons for one record fail whatever their order.
 */
export const dlqCapture: Check = {
  name: 'dlq-capture',
  description: 'Expected malformed and future-dated records vs dead letters: missed, wrong reason, doubled, conflicting, raw bytes, valid ones dead-lettered.',
  begin(context) {
    const { oracle } = context;
    const letters = new Uint8Array(oracle.count);
    // The first reason seen per index, as 1 + its place in reasonCodes (0: none yet, 255: unknown).
    const reasons = new Uint8Array(oracle.count);
    const conflicting = new Set<number>();
    let total = 0;
    let unmapped = 0;
    let rawMismatches = 0;
    const samples = {
      missed: new Samples(),
      wrongReason: new Samples(),
      duplicated: new Samples(),
      conflicting: new Samples(),
      rawMismatch: new Samples(),
      validDeadLettered: new Samples(),
      unmapped: new Samples(),
    };
    const code = (reason: string) => {
      const at = (reasonCodes as readonly string[]).indexOf(reason);
      return at === -1 ? 255 : at + 1;
    };
    return {
      deadLetter({ letter, index }) {
        total++;
        if (index === null || index < 0 || index >= oracle.count) {
          unmapped++;
          samples.unmapped.add(`${letter.source}:${letter.position} (${letter.reason})`);
          return;
        }
        const n = letters[index] as number;
        if (n < 255) letters[index] = n + 1;
        if (n === 0) {
          reasons[index] = code(letter.reason);
          const sent = oracle.generator.payload(index);
          if (!letter.raw.equals(typeof sent === 'string' ? Buffer.from(sent) : sent)) {
            rawMismatches++;
            samples.rawMismatch.add(() => `#${index} at ${letter.source}:${letter.position}: ${letter.raw.length} bytes kept, ${Buffer.byteLength(sent)} sent`);
          }
        } else if (reasons[index] !== code(letter.reason) && !conflicting.has(index)) {
          conflicting.add(index);
          samples.conflicting.add(() => `#${index}: ${reasonCodes[(reasons[index] as number) - 1] ?? 'unknown'} and ${letter.reason}`);
        }
      },
      finish() {
        let expected = 0;
        let missed = 0;
        let wrongReason = 0;
        let duplicates = 0;
        let validDeadLettered = 0;
        for (let index = 0; index < oracle.count; index++) {
          const outcome = oracle.outcome(index);
          const n = letters[index] as number;
          if (outcome.type !== 'dlq') {
            if (n > 0) {
              validDeadLettered++;
              samples.validDeadLettered.add(() => `#${index} (${outcome.type === 'drop' ? 'to be dropped' : 'valid'}), dead-lettered as ${reasonCodes[(reasons[index] as number) - 1] ?? 'unknown'}`);
            }
            continue;
          }
          expected++;
          if (n === 0) {
            missed++;
            samples.missed.add(() => `#${index} (${outcome.reason})`);
            continue;
          }
          if (n > 1) {
            duplicates += n - 1;
            samples.duplicated.add(`#${index} x${n}`);
          }
          if (!conflicting.has(index) && reasons[index] !== code(outcome.reason)) {
            wrongReason++;
            samples.wrongReason.add(() => `#${index}: expected ${outcome.reason}, got ${reasonCodes[(reasons[index] as number) - 1] ?? 'an unknown reason'}`);
          }
        }
        const captured = expected - missed - wrongReason - conflicting.size;
        const slos = [
          ...slo('maxDlqMissed', 'max', context.slos.maxDlqMissed, missed),
          ...slo('maxDlqWrongReason', 'max', context.slos.maxDlqWrongReason, wrongReason),
          ...slo('maxValidDeadLettered', 'max', context.slos.maxValidDeadLettered, validDeadLettered + unmapped),
          ...slo('maxDlqDuplicates', 'max', context.slos.maxDlqDuplicates, duplicates),
          ...slo('maxDlqRawMismatches', 'max', context.slos.maxDlqRawMismatches, rawMismatches),
          // Two reasons for one record leave the truth to table order: never acceptable.
          ...slo('dlqConflictingReasons', 'max', 0, conflicting.size),
        ];
        const parts = [
          `${missed} missed`,
          `${wrongReason} with the wrong reason`,
          `${validDeadLettered + unmapped} dead-lettered wrongly`,
          ...(duplicates > 0 ? [`${duplicates} written twice`] : []),
          ...(conflicting.size > 0 ? [`${conflicting.size} with conflicting reasons`] : []),
          ...(rawMismatches > 0 ? [`${rawMismatches} whose raw bytes differ from what was sent`] : []),
        ];
        return {
          name: 'dlq-capture',
          dataset: context.dataset,
          status: statusOf(slos),
          summary:
            `${captured} of ${expected} bad records captured: ${parts.join(', ')}` +
            (unmapped > 0 ? `; ${unmapped} dead letters name no record of this run (expected ${context.positionConvention})` : ''),
          figures: {
            expected,
            deadLetters: total,
            captured,
            missed,
            wrongReason,
            validDeadLettered,
            unmapped,
            duplicates,
            conflicting: conflicting.size,
            rawMismatches,
          },
          slos,
          samples: Object.fromEntries(Object.entries(samples).map(([kind, s]) => [kind, s.items])),
        };
      },
    };
  },
};
