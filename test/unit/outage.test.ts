import { describe, expect, it } from 'vitest';
import { HarnessError } from '../../core/errors.ts';
import { ExitCode } from '../../core/exit-codes.ts';
import { formatLimit, waitOutOutage, type OutageJudge } from '../../pipeline/outage.ts';
import type { SinkFailure } from '../../pipeline/sink.ts';

/** A sink whose errors carry their class; `code` stands for the kind of outage. */
class Failure extends Error {
  constructor(
    readonly failure: SinkFailure,
    readonly code: string,
  ) {
    super(`${failure} ${code}`);
  }
}

const judge: OutageJudge = {
  description: 'test://sink',
  classify: (error) => (error instanceof Failure ? error.failure : 'unexpected'),
  explainRefusal: (error) => `${(error as Error).message}; create the table`,
};

/** An operation that fails with each of `failures` in turn, then succeeds; records when it was called. */
function flaky(failures: Failure[]) {
  const calls: number[] = [];
  const start = Date.now();
  return {
    calls,
    operation: async () => {
      calls.push(Date.now() - start);
      const next = failures[calls.length - 1];
      if (next) throw next;
      return 'done';
    },
  };
}

describe('waitOutOutage', () => {
  it('waits an outage out with doubling backoff, logging once per kind and once on recovery', async () => {
    const lines: string[] = [];
    const refused = new Failure('unavailable', 'ECONNREFUSED');
    const starting = new Failure('unavailable', '57P03');
    const { calls, operation } = flaky([refused, refused, refused, starting, starting]);
    await expect(waitOutOutage(judge, '[ecommerce] sink write', operation, { limitMs: 10_000 }, (l) => lines.push(l))).resolves.toBe('done');
    expect(calls).toHaveLength(6);
    // Gaps 200, 400, 800, 1600, 3200 ms (timers may fire late on a busy machine, never early).
    const gaps = calls.slice(1).map((t, i) => t - (calls[i] as number));
    [200, 400, 800, 1600, 3200].forEach((min, i) => {
      expect(gaps[i]).toBeGreaterThanOrEqual(min - 5);
      expect(gaps[i]).toBeLessThan(min + 1000);
    });
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      /^\[ecommerce\] sink write: sink test:\/\/sink unavailable: unavailable ECONNREFUSED; waiting up to 10s \(sink.outageLimit\), retrying with backoff$/,
    );
    expect(lines[1]).toMatch(/still unavailable after \d+\.\d s, now: unavailable 57P03$/);
    expect(lines[2]).toMatch(/^\[ecommerce\] sink write: sink test:\/\/sink back after \d+\.\d s \(5 failed attempts\)$/);
  }, 20_000);

  it('gives up at the limit with exit 3, naming the sink, the time waited and the limit', async () => {
    const { calls, operation } = flaky(Array.from({ length: 100 }, () => new Failure('unavailable', 'ECONNREFUSED')));
    const started = Date.now();
    const error = await waitOutOutage(judge, 'connecting', operation, { limitMs: 1500 }, () => {}).catch((e: unknown) => e);
    const took = Date.now() - started;
    expect(error).toBeInstanceOf(HarnessError);
    expect((error as HarnessError).exitCode).toBe(ExitCode.unreachable);
    expect((error as HarnessError).message).toMatch(
      /^connecting: the sink test:\/\/sink could not be reached for 1\.\d s \(sink.outageLimit 1500ms\): unavailable ECONNREFUSED$/,
    );
    expect(took).toBeGreaterThanOrEqual(1500);
    expect(took).toBeLessThan(3500);
    // 200 + 400 + 800, then the rest of the limit (100 ms): one attempt at the limit, or two when a
    // late timer leaves a millisecond or two of it. None started after it (timers may fire late).
    const gaps = calls.slice(1, 4).map((t, i) => t - (calls[i] as number));
    [200, 400, 800].forEach((min, i) => expect(gaps[i]).toBeGreaterThanOrEqual(min - 5));
    expect(calls.length).toBeGreaterThanOrEqual(5);
    expect(calls.length).toBeLessThanOrEqual(6);
    expect(calls.at(-1)).toBeLessThan(1500 + 1000);
  });

  it('never retries rejected content, a refusal, a fatal error or a bug', async () => {
    const rejected = new Failure('rejected', '23505');
    const r = flaky([rejected]);
    await expect(waitOutOutage(judge, 'write', r.operation, { limitMs: 60_000 }, () => {})).rejects.toBe(rejected);
    expect(r.calls).toHaveLength(1);

    // The server answered and refuses the operation itself: the configuration's, exit 2, in the sink's words.
    const refused = flaky([new Failure('refused', '42P01')]);
    const refusal = await waitOutOutage(judge, 'write', refused.operation, { limitMs: 60_000 }, () => {}).catch((e: unknown) => e);
    expect(refused.calls).toHaveLength(1);
    expect(refusal).toBeInstanceOf(HarnessError);
    expect((refusal as HarnessError).exitCode).toBe(ExitCode.usage);
    expect((refusal as HarnessError).message).toBe('write: the sink test://sink refused: refused 42P01; create the table');

    const f = flaky([new Failure('fatal', '28P01')]);
    const error = await waitOutOutage(judge, 'write', f.operation, { limitMs: 60_000 }, () => {}).catch((e: unknown) => e);
    expect(f.calls).toHaveLength(1);
    expect(error).toBeInstanceOf(HarnessError);
    expect((error as HarnessError).exitCode).toBe(ExitCode.unreachable);
    expect((error as HarnessError).message).toBe('write: the sink test://sink failed: fatal 28P01');

    // A HarnessError (e.g. "authentication failed") is already the verdict: passed on as it is.
    const verdict = new HarnessError('unreachable', 'PostgreSQL at x: authentication failed');
    await expect(
      waitOutOutage(
        judge,
        'write',
        () => Promise.reject(verdict),
        { limitMs: 60_000 },
        () => {},
      ),
    ).rejects.toBe(verdict);

    // Neither an answer nor a lost connection: a bug, passed on as it is for the CLI to report (exit 70).
    const bug = new TypeError("Cannot read properties of undefined (reading 'rows')");
    const b = { calls: 0 };
    await expect(
      waitOutOutage(
        judge,
        'write',
        () => (b.calls++, Promise.reject(bug)),
        { limitMs: 60_000 },
        () => {},
      ),
    ).rejects.toBe(bug);
    expect(b.calls).toBe(1);
  });

  it('keeps an attempt that succeeds as the stop comes: the stop cuts a wait short, never an attempt', async () => {
    const stop = new AbortController();
    const landing = async () => {
      stop.abort();
      await new Promise((resolve) => setTimeout(resolve, 20));
      return 'committed';
    };
    await expect(waitOutOutage(judge, 'write', landing, { limitMs: 60_000, signal: stop.signal }, () => {})).resolves.toBe('committed');
  });

  it('stops waiting when the signal aborts', async () => {
    const stop = new AbortController();
    const { operation } = flaky(Array.from({ length: 100 }, () => new Failure('unavailable', 'ECONNRESET')));
    setTimeout(() => stop.abort(), 300);
    const started = Date.now();
    const error = await waitOutOutage(judge, 'write', operation, { limitMs: 60_000, signal: stop.signal }, () => {}).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(1000);
    expect((error as HarnessError).message).toMatch(/the sink test:\/\/sink stopped after waiting 0\.\d s for it/);
  });

  it('writes limits as a scenario does', () => {
    expect([300_000, 90_000, 30_000, 1500, 200].map(formatLimit)).toEqual(['5m', '90s', '30s', '1500ms', '200ms']);
  });
});
