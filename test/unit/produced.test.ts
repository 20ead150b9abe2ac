import { describe, expect, it } from 'vitest';
import type { CommittedFile } from '../../connectors/transports/transport.ts';
import { Oracle } from '../../generators/oracle.ts';
import type { DatasetManifest } from '../../runs/manifest.ts';
import { producedPart } from '../../verifier/produced.ts';
import { generator } from '../helpers/generated.ts';

/** What an aborted run's verify judges: the files that exist, as index ranges, never the remainder. */
function generation(files: [number, number][]): DatasetManifest {
  const committed: CommittedFile[] = files.map(([first, count], i) => ({
    name: `ecommerce-${i}.csv`,
    firstIndex: first,
    count,
    headerLines: 1,
    committedAtMs: 0,
  }));
  const records = files.reduce((n, [, count]) => n + count, 0);
  return { count: 10_000, records, complete: false, rate: 0, startedAtMs: 0, finishedAtMs: 0, files: committed };
}

describe('producedPart', () => {
  it('judges what a transport without files (Kafka) delivered as a prefix of that many records', () => {
    const part = producedPart({ ...generation([]), records: 1234 });
    expect(part).toMatchObject({ judgedCount: 1234, generation: { count: 1234 } });
    expect(part.produced).toBeUndefined();
  });

  it('judges a prefix of files exactly: the first records, counted as produced, nothing past them', () => {
    const part = producedPart(
      generation([
        [1000, 1000],
        [0, 1000],
        [2000, 500],
      ]),
    );
    expect(part).toMatchObject({ judgedCount: 2500, generation: { count: 2500 } });
    expect(part.produced).toBeUndefined();
  });

  it('with gaps (several workers stopped at their own chunks), judges up to the last file and treats the gaps as never sent', () => {
    const part = producedPart(
      generation([
        [0, 1000],
        [2000, 1000],
        [4000, 1000],
      ]),
    );
    expect(part).toMatchObject({ judgedCount: 5000, generation: { count: 3000 } });
    const produced = part.produced!;
    expect([0, 999, 1000, 1999, 2000, 2999, 3000, 3999, 4000, 4999].map(produced)).toEqual([true, true, false, false, true, true, false, false, true, true]);
    // In the oracle, a record never sent must be nowhere; a sent one keeps its own outcome.
    const gen = generator('ecommerce');
    const oracle = new Oracle(gen, part.judgedCount, undefined, 1, produced);
    const whole = new Oracle(gen, part.judgedCount);
    expect(oracle.outcome(1500)).toEqual({ type: 'drop' });
    expect(oracle.outcome(2500)).toEqual(whole.outcome(2500));
    expect(oracle.counts().uniqueValid).toBeLessThan(whole.counts().uniqueValid * 0.65);
  });
});
