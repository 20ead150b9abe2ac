import { describe, expect, it } from 'vitest';
import { mix32, Rng, seedWord, streamKey, unitAt, wordAt } from '../../generators/random.ts';

describe('counter-based randomness', () => {
  it('gives the same draws for the same (key, index), whatever was drawn before', () => {
    const a = new Rng(streamKey(1, 'x'));
    const b = new Rng(streamKey(1, 'x'));
    b.at(999).next();
    const draws = (rng: Rng) => Array.from({ length: 5 }, () => rng.next32());
    a.at(17);
    const first = draws(a);
    b.at(17);
    expect(draws(b)).toEqual(first);
    expect(draws(b.at(18))).not.toEqual(first);
  });

  it('separates streams, seeds and indices', () => {
    expect(wordAt(streamKey(1, 'a'), 5)).not.toBe(wordAt(streamKey(1, 'b'), 5));
    expect(wordAt(streamKey(1, 'a'), 5)).not.toBe(wordAt(streamKey(2, 'a'), 5));
    expect(wordAt(streamKey(1, 'a'), 5)).not.toBe(wordAt(streamKey(1, 'a'), 6));
    // Indices past 2^32 must not alias the low ones.
    expect(wordAt(7, 3)).not.toBe(wordAt(7, 3 + 2 ** 32));
  });

  it('mix32 is a bijection on the values it is given (ids depend on it)', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 200_000; i++) seen.add(mix32(i));
    expect(seen.size).toBe(200_000);
  });

  it('draws uniform values', () => {
    const key = streamKey(3, 'u');
    let sum = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) sum += unitAt(key, i);
    expect(sum / n).toBeGreaterThan(0.49);
    expect(sum / n).toBeLessThan(0.51);
  });

  it('accepts numeric and string seeds', () => {
    expect(seedWord(42)).toBe(seedWord(42));
    expect(seedWord('42')).not.toBe(seedWord(43));
    expect(seedWord('team-a')).toBe(seedWord('team-a'));
  });
});
