import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { csvRow } from '../../generators/csv-row.ts';
import { noFaults } from '../../generators/faults.ts';
import { createGenerator } from '../../generators/index.ts';
import { Oracle } from '../../generators/oracle.ts';
import { Rng, streamKey } from '../../generators/random.ts';
import { SteadySchedule as Schedule } from '../../generators/load/steady.ts';
import { Zipf } from '../../generators/zipf.ts';
import { BASE_TIME, generator } from '../helpers/generated.ts';

describe('csvRow', () => {
  it('round-trips through csv-parse, whatever the fields hold', () => {
    const rng = new Rng(streamKey(1, 'csv'));
    const alphabet = ['a', 'Z', ' ', ',', '"', '\n', '\r', 'é', '0'];
    for (let i = 0; i < 2000; i++) {
      rng.at(i);
      const fields = Array.from({ length: 1 + rng.int(6) }, () => Array.from({ length: rng.int(6) }, () => rng.pick(alphabet)).join(''));
      // A lone empty field is an empty line to any CSV reader; rows here always have 8 columns.
      if (fields.length === 1 && fields[0] === '') continue;
      expect(parse(csvRow(fields), { relax_column_count: true })).toEqual([fields]);
    }
  });
});

describe('e-commerce realism', () => {
  const rows = (options: Record<string, unknown>, n = 20_000) => {
    const gen = generator('ecommerce', 4, noFaults, options);
    return Array.from({ length: n }, (_, i) => String(gen.payload(i)).split(','));
  };

  it('skews product popularity (Zipf) and evens it out with skew 0', () => {
    const topShare = (options: Record<string, unknown>) => {
      const counts = new Map<string, number>();
      for (const row of rows(options)) counts.set(row[2] as string, (counts.get(row[2] as string) ?? 0) + 1);
      return Math.max(...counts.values()) / 20_000;
    };
    expect(topShare({ productSkew: 1.2, sessionLength: 1 })).toBeGreaterThan(0.15);
    expect(topShare({ productSkew: 0, sessionLength: 1 })).toBeLessThan(0.03);
  });

  it('groups events into sessions: one user, views first, purchases of products the session viewed', () => {
    const K = 8;
    const L = 5;
    const events = rows({ sessionLength: L, concurrentSessions: K }, K * L * 50);
    let purchases = 0;
    for (let block = 0; block < 50; block++) {
      for (let slot = 0; slot < K; slot++) {
        const session = Array.from({ length: L }, (_, step) => events[block * K * L + step * K + slot] as string[]);
        expect(new Set(session.map((e) => e[1])).size).toBe(1);
        expect(session[0]?.[5]).toBe('view');
        const viewed = new Set(session.filter((e) => e[5] === 'view').map((e) => e[2]));
        for (const e of session.filter((x) => x[5] === 'purchase')) {
          purchases++;
          expect(viewed.size).toBeGreaterThan(0);
          expect(session.slice(0, session.indexOf(e)).some((x) => x[5] === 'view')).toBe(true);
        }
      }
    }
    const share = purchases / events.length;
    expect(share).toBeGreaterThan(0.25);
    expect(share).toBeLessThan(0.35);
  });

  it('takes malformed rates per kind', () => {
    const gen = generator('ecommerce', 4, { duplicate: 0, malformed: { click_event: 0.05, truncated_row: 0.02 }, future: 0, late: 0 });
    const counts = new Oracle(gen, 20_000).counts();
    expect(Object.keys(counts.malformedByKind).sort()).toEqual(['click_event', 'truncated_row']);
    expect(counts.malformedByKind.click_event).toBeGreaterThan(counts.malformedByKind.truncated_row ?? Infinity);
  });
});

describe('the schedule', () => {
  it('is index / rate without seasonality', () => {
    expect(new Schedule(500, null, BASE_TIME).offsetMs(1000)).toBe(2000);
  });

  it('with seasonality, sends faster at the peak than in the trough, and keeps the mean rate', () => {
    const day = 86_400_000;
    const schedule = new Schedule(100, { amplitude: 0.5, periodMs: day, peakMs: 20 * 3_600_000 }, Date.UTC(2026, 0, 1));
    // The index due at a given hour, by bisection over the (increasing) schedule.
    const indexAt = (hour: number) => {
      let lo = 0;
      let hi = 100 * 86_400;
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (schedule.offsetMs(mid) < hour * 3_600_000) lo = mid;
        else hi = mid;
      }
      return lo;
    };
    // Records per hour around 20:00 (peak) and 08:00 (trough): 1.5x and 0.5x of the mean 360,000.
    const perHour = (hour: number) => indexAt(hour + 0.5) - indexAt(hour - 0.5);
    expect(perHour(20)).toBeGreaterThan(1.45 * 360_000);
    expect(perHour(8)).toBeLessThan(0.55 * 360_000);
    expect(schedule.offsetMs(100 * 86_400)).toBeCloseTo(day, -4);
    for (let i = 1; i < 1000; i++) expect(schedule.offsetMs(i * 7919)).toBeGreaterThan(schedule.offsetMs((i - 1) * 7919));
  });
});

describe('Zipf', () => {
  it('picks every item and favours the low ranks', () => {
    const zipf = new Zipf(10, 1, 1, 'z');
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 10_000; i++) counts[zipf.pick(i / 10_000)]!++;
    expect(counts.every((c) => c > 0)).toBe(true);
    expect(Math.max(...counts)).toBeGreaterThan(3 * Math.min(...counts));
  });
});

describe('future-dated records', () => {
  it('are dated futureOffset past their due time when set, else 2099-01-01', () => {
    const plain = generator('ecommerce', 4, { duplicate: 0, malformed: 0, future: 1, late: 0 });
    expect(String(plain.payload(0))).toContain(',2099-01-01T');
    const soon = createGenerator('ecommerce', { ...plain.config, futureOffsetMs: 6 * 3_600_000 });
    const stamp = Date.parse(String(soon.payload(10)).split(',').at(-1) as string);
    expect(stamp - BASE_TIME).toBeGreaterThanOrEqual(6 * 3_600_000);
    expect(stamp - BASE_TIME).toBeLessThan(6 * 3_600_000 + 2000);
  });
});
