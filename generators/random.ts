/**
 * Counter-based randomness: every draw is a pure function of (seed, stream, index), so any record
 * can be produced without producing the ones before it. That is what makes sharding and worker
 * threads change nothing in the output, and lets the verifier regenerate the ground truth.
 */

/** FNV-1a over a string: turns seeds and dataset names into 32-bit words. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** murmur3's finaliser: a bijection on 32-bit words with full avalanche. */
export function mix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const TWO_POW_32 = 0x1_0000_0000;

/** A 32-bit word for (key, index), index up to 2^53. */
export function wordAt(key: number, index: number): number {
  const lo = index >>> 0;
  const hi = Math.floor(index / TWO_POW_32) >>> 0;
  return mix32(mix32(mix32(key ^ lo) ^ hi) + 0x9e3779b9);
}

/** Derives a stream key, so unrelated draws (faults, content, ids) never share numbers. */
export function streamKey(seed: number, ...names: string[]): number {
  let key = mix32(seed ^ 0x5bd1e995);
  for (const name of names) key = mix32(key ^ hashString(name));
  return key;
}

/** A uniform float in [0, 1) from one word. */
export function unitAt(key: number, index: number): number {
  return wordAt(key, index) / TWO_POW_32;
}

/**
 * sfc32, a small fast generator, reseeded per record from (key, index). One instance is reused
 * across records so the hot path allocates nothing.
 */
export class Rng {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;

  constructor(private readonly key: number) {}

  /** Positions the generator at the start of record `index`'s stream. */
  at(index: number): this {
    const w = wordAt(this.key, index);
    this.a = w;
    this.b = mix32(w ^ 0x68e31da4);
    this.c = mix32(w ^ 0xb5297a4d);
    this.d = 1;
    // Three independent mix32 words already fill the state; a few rounds finish the mixing.
    for (let i = 0; i < 4; i++) this.next32();
    return this;
  }

  next32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.next32() / TWO_POW_32;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform integer in [min, max]. */
  range(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  uniform(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new RangeError('pick from an empty list');
    return item;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal via Box-Muller; enough for shaping stat distributions. */
  normal(mean: number, sd: number): number {
    const u = 1 - this.next();
    const v = this.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Poisson-distributed count (Knuth); means here are small (kills, deaths). */
  poisson(mean: number): number {
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }
}

/** Seeds in scenarios may be numbers or strings; both become one 32-bit word. */
export function seedWord(seed: number | string): number {
  return typeof seed === 'number' && Number.isInteger(seed) && seed >= 0 && seed < TWO_POW_32 ? mix32(seed) : hashString(String(seed));
}
