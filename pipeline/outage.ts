import pRetry from 'p-retry';
import { HarnessError, messageOf } from '../core/errors.ts';
import type { Sink } from './sink.ts';

/** How long a lost sink is waited out when the scenario does not say (`sink.outageLimit`: 5m). */
export const DEFAULT_OUTAGE_LIMIT_MS = 5 * 60_000;

/** Backoff between attempts: doubling from 200 ms, never more than 5 s apart. */
const FIRST_DELAY_MS = 200;
const MAX_DELAY_MS = 5_000;

export interface OutagePolicy {
  /** How long after the first failure the sink may stay unavailable before the run fails (exit 3). */
  limitMs: number;
  /** Stops the wait (a shutdown): the operation then fails at once as unreachable. */
  signal?: AbortSignal;
}

/** What waiting needs of a sink: its name (without secrets) for messages, and its judgement of an error. */
export type OutageJudge = Pick<Sink, 'description' | 'classify' | 'explainRefusal'>;

/**
 * Runs a sink operation, waiting out an outage while the sink calls the error `unavailable`: retried
 * with backoff (200 ms doubling to 5 s) until `limitMs` has passed since the first failure, then a
 * HarnessError 'unreachable' naming the sink and how long it waited. Anything else is never retried:
 * `rejected` and `unexpected` errors go back to the caller as they are (the batch's content; a bug,
 * which the CLI reports as one); `refused` ones become a 'config' error (exit 2) in the sink's words,
 * naming what it refused; `fatal` ones become 'unreachable' (a HarnessError, e.g. "authentication
 * failed", as it is).
 *
 * Logs one line when the outage starts, one when its kind changes (say "connection refused" after
 * "connection terminated", then "the database system is starting up"), and one when the sink is back;
 * never one per attempt. The operation must be safe to repeat: the sink's writes are one transaction
 * each, and a batch whose COMMIT was lost in flight lands again as duplicates the keys absorb.
 */
export async function waitOutOutage<T>(
  sink: OutageJudge,
  what: string,
  operation: () => Promise<T>,
  policy: OutagePolicy,
  log: (line: string) => void,
): Promise<T> {
  // p-retry keeps time from its first attempt, which fails at once in an outage: its maxRetryTime
  // is the limit counted from the first failure, as sink.outageLimit says, within a few ms.
  const outage = { firstFailureAt: null as number | null, failures: 0, lastKind: null as string | null, last: null as unknown, waiting: false };
  const unavailable = (error: unknown) => !(error instanceof HarnessError) && sink.classify(error) === 'unavailable';
  // The stop signal cuts a wait short, never an attempt: a write that lands as the stop comes is kept.
  const wait = new AbortController();
  const onStop = () => outage.waiting && wait.abort();
  policy.signal?.addEventListener('abort', onStop);
  try {
    const result = await pRetry(
      () => {
        outage.waiting = false;
        return operation();
      },
      {
        retries: Number.POSITIVE_INFINITY,
        factor: 2,
        minTimeout: FIRST_DELAY_MS,
        maxTimeout: MAX_DELAY_MS,
        maxRetryTime: policy.limitMs,
        signal: wait.signal,
        shouldRetry: ({ error }) => unavailable(error) && !policy.signal?.aborted,
        onFailedAttempt: ({ error }) => {
          if (!unavailable(error)) return;
          const now = Date.now();
          outage.firstFailureAt ??= now;
          outage.failures++;
          outage.last = error;
          outage.waiting = true;
          const kind = failureKind(error);
          if (kind === outage.lastKind) return;
          log(
            outage.lastKind === null
              ? `${what}: sink ${sink.description} unavailable: ${messageOf(error)}; waiting up to ${formatLimit(policy.limitMs)} (sink.outageLimit), retrying with backoff`
              : `${what}: sink ${sink.description} still unavailable after ${seconds(now - outage.firstFailureAt)}, now: ${messageOf(error)}`,
          );
          outage.lastKind = kind;
        },
      },
    );
    if (outage.firstFailureAt !== null) {
      log(
        `${what}: sink ${sink.description} back after ${seconds(Date.now() - outage.firstFailureAt)} (${outage.failures} failed ${outage.failures === 1 ? 'attempt' : 'attempts'})`,
      );
    }
    return result;
  } catch (error) {
    // Out of time, or stopped while waiting (p-retry then rejects with the signal's reason).
    if (outage.firstFailureAt !== null && (wait.signal.aborted || unavailable(error))) {
      throw gaveUp(sink, what, outage.last, Date.now() - outage.firstFailureAt, policy);
    }
    const failure = error instanceof HarnessError ? null : sink.classify(error);
    if (failure === 'refused')
      throw new HarnessError('config', `${what}: the sink ${sink.description} refused: ${sink.explainRefusal(error)}`, { cause: error });
    if (failure === 'fatal') throw new HarnessError('unreachable', `${what}: the sink ${sink.description} failed: ${messageOf(error)}`, { cause: error });
    // `rejected` (the batch's content), `unexpected` (a bug) and HarnessErrors go back as they are.
    throw error;
  } finally {
    policy.signal?.removeEventListener('abort', onStop);
  }
}

function gaveUp(sink: OutageJudge, what: string, error: unknown, waitedMs: number, policy: OutagePolicy): HarnessError {
  const why = policy.signal?.aborted
    ? `stopped after waiting ${seconds(waitedMs)} for it`
    : `could not be reached for ${seconds(waitedMs)} (sink.outageLimit ${formatLimit(policy.limitMs)})`;
  return new HarnessError('unreachable', `${what}: the sink ${sink.description} ${why}: ${messageOf(error)}`, { cause: error });
}

/** The kind of a failure, to log each kind once: its code (ECONNREFUSED, 57P03), else its words without numbers. */
function failureKind(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code !== '' ? code : messageOf(error).replace(/\d+/g, '#');
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** A limit as a scenario writes it: 5m, 30s, 1500ms. */
export function formatLimit(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
