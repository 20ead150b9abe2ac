import { Rng, streamKey } from './random.ts';

/**
 * Zipf-distributed picks over n items: item of rank k is chosen with weight 1/k^s. s = 0 is
 * uniform. Ranks are mapped to items by a seeded shuffle, so which product is the best seller
 * depends on the seed, not on its place in the catalogue.
 */
export class Zipf {
  private readonly cdf: Float64Array;
  private readonly itemOfRank: Uint32Array;

  constructor(n: number, exponent: number, seed: number, name: string) {
    this.cdf = new Float64Array(n);
    let total = 0;
    for (let k = 0; k < n; k++) {
      total += 1 / Math.pow(k + 1, exponent);
      this.cdf[k] = total;
    }
    for (let k = 0; k < n; k++) this.cdf[k] = (this.cdf[k] as number) / total;
    this.itemOfRank = new Uint32Array(n);
    for (let k = 0; k < n; k++) this.itemOfRank[k] = k;
    const rng = new Rng(streamKey(seed, name, 'zipf')).at(0);
    for (let k = n - 1; k > 0; k--) {
      const j = rng.int(k + 1);
      const swap = this.itemOfRank[k] as number;
      this.itemOfRank[k] = this.itemOfRank[j] as number;
      this.itemOfRank[j] = swap;
    }
  }

  /** The item index for a uniform draw u in [0, 1). */
  pick(u: number): number {
    let lo = 0;
    let hi = this.cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.cdf[mid] as number) <= u) lo = mid + 1;
      else hi = mid;
    }
    return this.itemOfRank[lo] as number;
  }
}
