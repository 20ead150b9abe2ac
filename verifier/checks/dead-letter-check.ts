import { reasonCodes } from '../../core/reasons.ts';
import { Samples, slo, statusOf, type Check, type CheckContext, type ObservedLetter } from '../check.ts';

export interface DeadLetterCheckOptions {
  name: string;
  description: string;
  /** Which dead letters it judges: the sink's table, or the stream they were also published to. */
  from: ObservedLetter['from'];
  /**
   * Exactly once (false): a second letter for one record is a defect (`duplicates`). At least once
   * (true): a later copy with the same reason is a redelivery, counted apart (`redeliveries`) and
   * never a defect; a copy with another reason is still a conflict.
   */
  atLeastOnce: boolean;
  /** What the summary calls the place, e.g. "captured" or "in <topic>". */
  place(context: CheckContext): string;
  /** How a letter names its record there, for the message when one names none of this run's. */
  convention(context: CheckContext): string;
  appliesTo?: Check['appliesTo'];
}

/**
 * Every bad record is dead-lettered, with the right reason and the bytes that were sent; no record
 * that should land (or be dropped) is. Two different reasons for one record fail whatever their
 * order. One implementation for the table (`dlq-capture`) and the dead-letter topic (`dlq-topic`),
 * which differ only in what a second copy of a letter means.
 */
export function deadLetterCheck(options: DeadLetterCheckOptions): Check {
  const { name, from, atLeastOnce } = options;
  return {
    name,
    description: options.description,
    ...(options.appliesTo ? { appliesTo: options.appliesTo } : {}),
    begin(context) {
      const { oracle } = context;
      // Letters per index, saturating at 255.
      const letters = new Uint8Array(oracle.count);
      // The first reason seen per index, as 1 + its place in reasonCodes (0: none yet, 255: unknown).
      const reasons = new Uint8Array(oracle.count);
      const conflicting = new Set<number>();
      let total = 0;
      let unmapped = 0;
      let rawMismatches = 0;
      let redeliveries = 0;
      // Letters per reason as written, for report.html's dead letters by reason.
      const byReason = new Map<string, number>();
      const samples = {
        missed: new Samples(),
        wrongReason: new Samples(),
        duplicated: new Samples(),
        redelivered: new Samples(),
        conflicting: new Samples(),
        rawMismatch: new Samples(),
        validDeadLettered: new Samples(),
        unmapped: new Samples(),
      };
      const code = (reason: string) => {
        const at = (reasonCodes as readonly string[]).indexOf(reason);
        return at === -1 ? 255 : at + 1;
      };
      const reasonOf = (index: number): string | undefined => reasonCodes[(reasons[index] as number) - 1];
      return {
        deadLetter(observed) {
          if (observed.from !== from) return;
          const { letter, index } = observed;
          total++;
          byReason.set(letter.reason, (byReason.get(letter.reason) ?? 0) + 1);
          if (index === null || index < 0 || index >= oracle.count) {
            unmapped++;
            samples.unmapped.add(`${letter.source}:${letter.position} (${letter.reason})`);
            return;
          }
          const n = letters[index] as number;
          if (n < 255) letters[index] = n + 1;
          // Every copy must hold the bytes that were sent.
          const sent = oracle.generator.payload(index);
          if (!letter.raw.equals(typeof sent === 'string' ? Buffer.from(sent) : sent)) {
            rawMismatches++;
            samples.rawMismatch.add(() => `#${index} at ${letter.source}:${letter.position}: ${letter.raw.length} bytes kept, ${Buffer.byteLength(sent)} sent`);
          }
          if (n === 0) {
            reasons[index] = code(letter.reason);
          } else if (reasons[index] !== code(letter.reason)) {
            if (!conflicting.has(index)) {
              conflicting.add(index);
              samples.conflicting.add(() => `#${index}: ${reasonOf(index) ?? 'unknown'} and ${letter.reason}`);
            }
          } else if (atLeastOnce) {
            redeliveries++;
            samples.redelivered.add(`#${index} (${letter.reason}) again at ${letter.source}:${letter.position}`);
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
                samples.validDeadLettered.add(
                  () => `#${index} (${outcome.type === 'drop' ? 'to be dropped' : 'valid'}), dead-lettered as ${reasonOf(index) ?? 'unknown'}`,
                );
              }
              continue;
            }
            expected++;
            if (n === 0) {
              missed++;
              samples.missed.add(() => `#${index} (${outcome.reason})`);
              continue;
            }
            if (n > 1 && !atLeastOnce) {
              duplicates += n - 1;
              samples.duplicated.add(`#${index} x${n}`);
            }
            if (!conflicting.has(index) && reasons[index] !== code(outcome.reason)) {
              wrongReason++;
              samples.wrongReason.add(() => `#${index}: expected ${outcome.reason}, got ${reasonOf(index) ?? 'an unknown reason'}`);
            }
          }
          const captured = expected - missed - wrongReason - conflicting.size;
          const slos = [
            ...slo('maxDlqMissed', 'max', context.slos.maxDlqMissed, missed),
            ...slo('maxDlqWrongReason', 'max', context.slos.maxDlqWrongReason, wrongReason),
            ...slo('maxValidDeadLettered', 'max', context.slos.maxValidDeadLettered, validDeadLettered + unmapped),
            // At least once promises no bound on copies: redeliveries are reported, never judged.
            ...(atLeastOnce ? [] : slo('maxDlqDuplicates', 'max', context.slos.maxDlqDuplicates, duplicates)),
            ...slo('maxDlqRawMismatches', 'max', context.slos.maxDlqRawMismatches, rawMismatches),
            // Two reasons for one record leave the truth to the order they are read in: never acceptable.
            ...slo('dlqConflictingReasons', 'max', 0, conflicting.size),
          ];
          const parts = [
            `${missed} missed`,
            `${wrongReason} with the wrong reason`,
            `${validDeadLettered + unmapped} dead-lettered wrongly`,
            ...(duplicates > 0 ? [`${duplicates} written twice`] : []),
            ...(conflicting.size > 0 ? [`${conflicting.size} with conflicting reasons`] : []),
            ...(rawMismatches > 0 ? [`${rawMismatches} whose raw bytes differ from what was sent`] : []),
            ...(atLeastOnce ? [`${redeliveries} redelivered (at least once: not a defect)`] : []),
          ];
          return {
            name,
            dataset: context.dataset,
            status: statusOf(slos),
            summary:
              `${captured} of ${expected} bad records ${options.place(context)}: ${parts.join(', ')}` +
              (unmapped > 0 ? `; ${unmapped} dead letters name no record of this run (expected ${options.convention(context)})` : ''),
            figures: {
              expected,
              deadLetters: total,
              captured,
              missed,
              wrongReason,
              validDeadLettered,
              unmapped,
              ...(atLeastOnce ? { redeliveries } : { duplicates }),
              conflicting: conflicting.size,
              rawMismatches,
              ...Object.fromEntries([...byReason].sort(([a], [b]) => a.localeCompare(b)).map(([reason, n]) => [`reason.${reason}`, n])),
            },
            slos,
            samples: Object.fromEntries(
              Object.entries(samples).flatMap(([kind, s]) => (kind === (atLeastOnce ? 'duplicated' : 'redelivered') ? [] : [[kind, s.items]])),
            ),
          };
        },
      };
    },
  };
}
