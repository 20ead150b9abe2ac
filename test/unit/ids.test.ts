import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HarnessError } from '../../core/errors.ts';
import { EcommerceGenerator } from '../../generators/ecommerce.ts';
import { noFaults } from '../../generators/faults.ts';
import { Feistel32, Feistel64 } from '../../generators/ids.ts';
import { LolGenerator } from '../../generators/lol.ts';
import { Rng, seedWord } from '../../generators/random.ts';
import { parseScenario } from '../../scenarios/load.ts';
import { BASE_TIME } from '../helpers/generated.ts';

const TWO_32 = 2 ** 32;
const MAX_INDEX = 2 ** 53 - 1;

function ecommerce(seed: number | string = 42, baseTimeMs = BASE_TIME, options: Record<string, unknown> = {}): EcommerceGenerator {
  return new EcommerceGenerator({ seed: seedWord(seed), baseTimeMs, rate: 1000, faults: noFaults, options });
}

function lol(seed: number | string = 42, baseTimeMs = BASE_TIME, options: Record<string, unknown> = {}): LolGenerator {
  return new LolGenerator({ seed: seedWord(seed), baseTimeMs, rate: 1000, faults: noFaults, options });
}

/** Indices spread over [0, 2^53): edges, powers of two around them, and random ones. */
function sampleIndices(max: number, count: number): number[] {
  const rng = new Rng(0x1234).at(0);
  const edges = [0, 1, 2, 0xffff, 0x10000, 2 ** 31 - 1, 2 ** 31, TWO_32 - 1, TWO_32, TWO_32 + 1, MAX_INDEX - 1, MAX_INDEX];
  const spread = Array.from({ length: count }, () => Math.floor(rng.next() * 2 ** Math.floor(rng.next() * 54)));
  return [...edges, ...spread].filter((i) => i <= max);
}

describe('Feistel64', () => {
  const f = new Feistel64(0xdeadbeef);

  it('round-trips every index, edges included', () => {
    for (const index of sampleIndices(MAX_INDEX, 20_000)) {
      const [hi, lo] = f.forward(index) as unknown as [number, number];
      expect(f.inverse(hi, lo)).toBe(index);
    }
  });

  it('scrambles: the words are not the index, and another key gives other words', () => {
    const other = new Feistel64(0xdeadbeee);
    let same = 0;
    for (const index of sampleIndices(MAX_INDEX, 2000)) {
      const [hi, lo] = f.forward(index) as unknown as [number, number];
      if (hi * TWO_32 + lo === index) same++;
      const [hi2, lo2] = other.forward(index) as unknown as [number, number];
      if (hi === hi2 && lo === lo2) same++;
    }
    expect(same).toBe(0);
  });

  it('reports words that are no index as null (almost all 64-bit words)', () => {
    const rng = new Rng(7).at(0);
    let nulls = 0;
    for (let i = 0; i < 10_000; i++) if (f.inverse(rng.next32(), rng.next32()) === null) nulls++;
    // Indices fill 2^53 of 2^64 words: one word in 2048 decodes.
    expect(nulls).toBeGreaterThan(9950);
  });

  it('writes into one reused array', () => {
    expect(f.forward(1)).toBe(f.forward(2));
  });
});

describe('Feistel32', () => {
  const f = new Feistel32(0xdeadbeef);

  it('round-trips edge and random values of [0, 2^32)', () => {
    for (const index of sampleIndices(TWO_32 - 1, 20_000)) {
      const value = f.forward(index);
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(TWO_32);
      expect(Number.isInteger(value)).toBe(true);
      expect(f.inverse(value)).toBe(index);
    }
  });

  it('is a bijection: distinct values for a million consecutive indices, each decoding back', () => {
    const seen = new Set<number>();
    let wrong = 0;
    // The last half million indices and the first half million: the wrap of the 32-bit space.
    for (let i = 0; i < 1_000_000; i++) {
      const index = (TWO_32 - 500_000 + i) % TWO_32;
      const value = f.forward(index);
      seen.add(value);
      if (f.inverse(value) !== index) wrong++;
    }
    expect(seen.size).toBe(1_000_000);
    expect(wrong).toBe(0);
  });

  it('scrambles and depends on the key', () => {
    const other = new Feistel32(0xdeadbeee);
    let same = 0;
    for (let i = 0; i < 10_000; i++) {
      if (f.forward(i) === i) same++;
      if (f.forward(i) === other.forward(i)) same++;
    }
    expect(same).toBeLessThan(3);
  });
});

describe('e-commerce event ids (idScheme hash)', () => {
  const gen = ecommerce();
  const uuidShape = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/;

  it('are UUID-shaped, version 8, and decode back to their index', () => {
    expect(gen.invertibleKeys).toBe(true);
    for (const index of sampleIndices(MAX_INDEX, 20_000)) {
      const id = gen.hashId(index);
      expect(id).toMatch(uuidShape);
      expect(gen.decodeRecordKey(id)).toBe(index);
    }
  });

  it('are what recordKey gives and what the record carries', () => {
    for (let i = 0; i < 2000; i++) {
      expect(gen.recordKey(i)).toBe(gen.hashId(i));
      expect(String(gen.payload(i)).slice(0, 37)).toBe(`${gen.hashId(i)},`);
    }
  });

  it('are written as bytes exactly as the string', () => {
    const b = Buffer.alloc(40, 0x20);
    for (const index of sampleIndices(MAX_INDEX, 20_000)) {
      expect(gen.writeHashId(b, 2, index)).toBe(38);
      expect(b.toString('latin1', 2, 38)).toBe(gen.hashId(index));
    }
  });

  it('are distinct for a million consecutive indices', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1_000_000; i++) seen.add(gen.hashId(i));
    expect(seen.size).toBe(1_000_000);
  });

  it('are the same for a pinned base time, and another base time or seed gives ids that do not decode', () => {
    expect(ecommerce().hashId(12345)).toBe(gen.hashId(12345));
    for (const foreign of [ecommerce(42, BASE_TIME + 1), ecommerce(43), ecommerce('other')]) {
      let nulls = 0;
      for (let i = 0; i < 3000; i++) {
        const id = foreign.hashId(i);
        expect(id).not.toBe(gen.hashId(i));
        if (gen.decodeRecordKey(id) === null) nulls++;
      }
      expect(nulls).toBe(3000);
    }
  });

  it('reject random UUIDs, also when they carry the version 8', () => {
    for (let i = 0; i < 5000; i++) {
      const uuid = randomUUID();
      expect(gen.decodeRecordKey(uuid)).toBeNull();
      // randomUUID is version 4; with an 8 in its place only the check digits can reject it.
      expect(gen.decodeRecordKey(`${uuid.slice(0, 14)}8${uuid.slice(15)}`)).toBeNull();
    }
  });

  it('reject malformed strings and any one changed digit', () => {
    const id = gen.hashId(777);
    expect(gen.decodeRecordKey(id)).toBe(777);
    const bad = ['', 'abc', id.toUpperCase(), `${id} `, ` ${id}`, id.slice(1), id.replaceAll('-', ''), `${id.slice(0, 8)}_${id.slice(9)}`];
    bad.push(`${id.slice(0, 14)}4${id.slice(15)}`, `g${id.slice(1)}`, 'USER_000001', 'EUW1_6000000003');
    for (const key of bad) expect(gen.decodeRecordKey(key), key).toBeNull();
    for (let at = 0; at < id.length; at++) {
      if (id[at] === '-' || at === 14) continue;
      const flipped = id[at] === '0' ? '1' : '0';
      const key = `${id.slice(0, at)}${flipped}${id.slice(at + 1)}`;
      expect(gen.decodeRecordKey(key), key).toBeNull();
    }
  });

  it('are not invertible with idScheme md5', () => {
    const md5 = ecommerce(42, BASE_TIME, { idScheme: 'md5' });
    expect(md5.invertibleKeys).toBe(false);
    expect(() => md5.decodeRecordKey(md5.recordKey(0))).toThrow(/not invertible/);
  });
});

describe('LoL match ids', () => {
  const gen = lol();

  it('are the platform and 10 digits, and decode back to their origin', () => {
    expect(gen.invertibleKeys).toBe(true);
    for (const origin of sampleIndices(TWO_32 - 1, 20_000)) {
      const id = gen.matchId(origin);
      expect(id).toMatch(/^EUW1_\d{10}$/);
      expect(gen.decodeRecordKey(id)).toBe(origin);
    }
    expect(gen.recordKey(5)).toBe(gen.matchId(5));
    expect(String(gen.payload(5))).toContain(`"matchId":"${gen.matchId(5)}"`);
  });

  it('are distinct for a million consecutive origins', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1_000_000; i++) seen.add(gen.matchId(i));
    expect(seen.size).toBe(1_000_000);
  });

  it('use the configured platform', () => {
    const na = lol(42, BASE_TIME, { platform: 'NA1' });
    expect(na.matchId(9)).toMatch(/^NA1_\d{10}$/);
    expect(na.decodeRecordKey(na.matchId(9))).toBe(9);
    expect(gen.decodeRecordKey(na.matchId(9))).toBeNull();
  });

  it('differ for another base time or seed; such ids decode to null or to some origin', () => {
    // Every 10-digit value from 5000000000 up is the image of an origin, so match ids have no
    // check digits to reject another run's id: it decodes to some origin (or null when its
    // platform differs). The verifier tells them apart by the run's count and the record's content.
    expect(lol().matchId(12345)).toBe(gen.matchId(12345));
    for (const foreign of [lol(42, BASE_TIME + 1), lol(43)]) {
      let same = 0;
      for (let i = 0; i < 3000; i++) {
        const id = foreign.matchId(i);
        if (id === gen.matchId(i)) same++;
        const decoded = gen.decodeRecordKey(id);
        if (decoded !== null) {
          expect(Number.isInteger(decoded)).toBe(true);
          expect(decoded).toBeGreaterThanOrEqual(0);
          expect(decoded).toBeLessThan(TWO_32);
          if (decoded === i) same++;
        }
      }
      expect(same).toBeLessThan(3);
    }
  });

  it('reject malformed strings and values outside the id space', () => {
    const id = gen.matchId(3);
    const digits = id.slice(5);
    const bad = ['', 'EUW1_', `NA1_${digits}`, `euw1_${digits}`, `EUW1${digits}`, `${id}0`, id.slice(0, -1), `${id} `];
    bad.push(`EUW1_${digits.slice(0, 9)}x`, 'EUW1_+500000000', 'EUW1_4999999999', 'EUW1_9294967296', 'EUW1_9999999999', 'EUW1_1e10000000');
    for (const key of bad) expect(gen.decodeRecordKey(key), key).toBeNull();
    expect(gen.decodeRecordKey('EUW1_5000000000')).not.toBeNull();
    expect(gen.decodeRecordKey('EUW1_9294967295')).not.toBeNull();
  });
});

describe('scenario limits', () => {
  const scenario = (count: number) => `name: t\ndatasets:\n  lol:\n    count: ${count}\n`;

  it('reject more LoL matches than match ids', () => {
    expect(() => parseScenario(scenario(TWO_32), 'x.yaml')).not.toThrow();
    let message = '';
    try {
      parseScenario(scenario(TWO_32 + 1), 'x.yaml');
    } catch (error) {
      expect(error).toBeInstanceOf(HarnessError);
      message = (error as HarnessError).message;
    }
    expect(message).toContain('2^32');
  });
});
