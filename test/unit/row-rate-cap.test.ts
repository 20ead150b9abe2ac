import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { RowRateCap } from '../../pipeline/faults.ts';

async function timed(work: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

describe('the injected throughput cap (pipeline.faults.maxRowsPerSec)', () => {
  it('admits rows at the cap when saturated', async () => {
    const cap = new RowRateCap(10_000);
    // 2,000 rows at 10,000/s: 200 ms whatever the batches.
    const took = await timed(async () => {
      for (let i = 0; i < 8; i++) await cap.admit(250);
    });
    expect(took).toBeGreaterThanOrEqual(195);
  });

  it('keeps the cap when the pipeline works between batches: its work runs within the slots', async () => {
    const cap = new RowRateCap(10_000);
    // 2,000 rows at 10,000/s with 10 ms of work after each batch of 250: 200 ms, not 280.
    const took = await timed(async () => {
      for (let i = 0; i < 8; i++) {
        await cap.admit(250);
        await sleep(10);
      }
    });
    expect(took).toBeLessThan(260);
  });

  it('earns at most a quarter second of credit while idle: after a quiet spell a burst still takes its time at the cap', async () => {
    const cap = new RowRateCap(1000);
    await cap.admit(100);
    await sleep(500);
    // A cap counted since the first batch would let these 500 rows through at once (600 rows in 600 ms).
    expect(await timed(() => cap.admit(500))).toBeGreaterThanOrEqual(240);
  });
});
