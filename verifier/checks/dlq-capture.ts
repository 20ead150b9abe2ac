import { sample, slo, statusOf, type Check } from '../check.ts';

/** Every bad record is dead-lettered with the right reason, and no valid record is. */
export const dlqCapture: Check = {
  name: 'dlq-capture',
  description: 'Expected malformed and future-dated records vs dead letters: missed, wrong reason, valid ones dead-lettered.',
  run(evidence) {
    const expected = evidence.truth.expectedDlq;
    const seen = new Map<number, string>();
    const unmapped: string[] = [];
    for (const letter of evidence.deadLetters) {
      const index = evidence.indexOf(letter);
      if (index === null) unmapped.push(`${letter.source}:${letter.position}`);
      else seen.set(index, letter.reason);
    }
    const missed = [...expected.keys()].filter((index) => !seen.has(index));
    const wrongReason = [...seen].filter(([index, reason]) => expected.has(index) && expected.get(index) !== reason);
    const validDeadLettered = [...seen.keys()].filter((index) => !expected.has(index));
    const captured = expected.size - missed.length - wrongReason.length;
    const slos = [
      ...slo('maxDlqMissed', 'max', evidence.slos.maxDlqMissed, missed.length),
      ...slo('maxDlqWrongReason', 'max', evidence.slos.maxDlqWrongReason, wrongReason.length),
      ...slo('maxValidDeadLettered', 'max', evidence.slos.maxValidDeadLettered, validDeadLettered.length + unmapped.length),
    ];
    return {
      name: this.name,
      dataset: evidence.dataset,
      status: statusOf(slos),
      summary: `${captured} of ${expected.size} bad records captured: ${missed.length} missed, ${wrongReason.length} with the wrong reason, ${validDeadLettered.length + unmapped.length} dead-lettered wrongly`,
      figures: {
        expected: expected.size,
        deadLetters: evidence.deadLetters.length,
        captured,
        missed: missed.length,
        wrongReason: wrongReason.length,
        validDeadLettered: validDeadLettered.length,
        unmapped: unmapped.length,
      },
      slos,
      samples: {
        missed: sample(missed, (index) => `#${index} (${expected.get(index)})`),
        wrongReason: sample(wrongReason, ([index, reason]) => `#${index}: expected ${expected.get(index)}, got ${reason}`),
        validDeadLettered: sample(validDeadLettered, (index) => `#${index}`),
        unmapped: sample(unmapped),
      },
    };
  },
};
