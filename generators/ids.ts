/**
 * Record ids as keyed, invertible permutations of the record index.
 *
 * Why: a verifier that finds a key in a sink has to know which record it belongs to. With ids that
 * merely look random it would have to regenerate every id of the run into a table first (about 100
 * bytes a record); with a permutation it runs the permutation backwards and has the index in O(1),
 * no table. The permutation is keyed by a word derived from (seed, dataset, base time), so every run
 * gets different ids, a key left over from another run does not decode to a record of this one, and
 * a pinned base time reproduces the same bytes.
 *
 * Both permutations are balanced Feistel networks: round i maps (L, R) to (R, L ^ F(R, k_i)), which
 * is a bijection whatever F is, and is undone by running the rounds backwards. F is murmur3's
 * finaliser (mix32) of the half xor the round key. This is for telling runs apart, not security.
 */
import { mix32 } from './random.ts';

const TWO_POW_32 = 0x1_0000_0000;
/** Indices are JavaScript safe integers: below 2^53, so the high word of an index is below 2^21. */
const MAX_INDEX_HI = 0x20_0000;

/** Round key i of a network keyed by `key`: distinct words per round, all depending on the key. */
function roundKey(key: number, round: number): number {
  return mix32((key + Math.imul(0x9e3779b9, round + 1)) ^ 0x7f4a7c15);
}

/**
 * A permutation of 64-bit words, held as two 32-bit halves, 4 Feistel rounds. The domain the
 * generators use is the index range [0, 2^53); the image of that range is spread over all 2^64
 * words, so `inverse` of a word that is not an image gives a value >= 2^53, reported as null.
 */
export class Feistel64 {
  /** forward()'s result, [hi, lo], reused so the hot path allocates nothing. */
  readonly words = new Uint32Array(2);
  private readonly k0: number;
  private readonly k1: number;
  private readonly k2: number;
  private readonly k3: number;

  constructor(key: number) {
    this.k0 = roundKey(key, 0);
    this.k1 = roundKey(key, 1);
    this.k2 = roundKey(key, 2);
    this.k3 = roundKey(key, 3);
  }

  /** The permuted words of `index` (an integer in [0, 2^53)), as [hi, lo] in the reused `words`. */
  forward(index: number): Uint32Array {
    let l = Math.floor(index / TWO_POW_32) >>> 0;
    let r = index >>> 0;
    l = (l ^ mix32(r ^ this.k0)) >>> 0;
    r = (r ^ mix32(l ^ this.k1)) >>> 0;
    l = (l ^ mix32(r ^ this.k2)) >>> 0;
    r = (r ^ mix32(l ^ this.k3)) >>> 0;
    const w = this.words;
    w[0] = l;
    w[1] = r;
    return w;
  }

  /** The index whose permuted words are (hi, lo), or null when they are not the image of an index. */
  inverse(hi: number, lo: number): number | null {
    let l = hi >>> 0;
    let r = lo >>> 0;
    r = (r ^ mix32(l ^ this.k3)) >>> 0;
    l = (l ^ mix32(r ^ this.k2)) >>> 0;
    r = (r ^ mix32(l ^ this.k1)) >>> 0;
    l = (l ^ mix32(r ^ this.k0)) >>> 0;
    return l < MAX_INDEX_HI ? l * TWO_POW_32 + r : null;
  }
}

/**
 * A permutation of 32-bit words, two 16-bit halves, 6 rounds (small halves mix more slowly, and
 * the rounds are cheap). Every 32-bit word is the image of exactly one index in [0, 2^32).
 */
export class Feistel32 {
  private readonly keys: Uint32Array;

  constructor(key: number) {
    this.keys = Uint32Array.from({ length: 6 }, (_, i) => roundKey(key, i));
  }

  /** The permuted word of `index`, an integer in [0, 2^32). */
  forward(index: number): number {
    const k = this.keys;
    let l = (index >>> 16) & 0xffff;
    let r = index & 0xffff;
    for (let i = 0; i < 6; i += 2) {
      l ^= mix32(r ^ (k[i] as number)) & 0xffff;
      r ^= mix32(l ^ (k[i + 1] as number)) & 0xffff;
    }
    return ((l << 16) | r) >>> 0;
  }

  /** The index whose permuted word is `value` (an integer in [0, 2^32)). */
  inverse(value: number): number {
    const k = this.keys;
    let l = (value >>> 16) & 0xffff;
    let r = value & 0xffff;
    for (let i = 4; i >= 0; i -= 2) {
      r ^= mix32(l ^ (k[i + 1] as number)) & 0xffff;
      l ^= mix32(r ^ (k[i] as number)) & 0xffff;
    }
    return ((l << 16) | r) >>> 0;
  }
}
