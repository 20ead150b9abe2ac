import pRetry from 'p-retry';
import { HarnessError, messageOf } from '../core/errors.ts';
import type { Sink } from './sink.ts';

export interface OutagePolicy {
  /** Retries of a write the sink calls unavailable; backoff doubles from 200 ms up to 5 s. */
  retries: number;
}

/**
 * Runs a sink operation, waiting out an outage with backoff while the sink says it is unavailable;
 * rejected content and fatal errors go straight back to the caller.
 */
export async function waitOutOutage<T>(sink: Sink, what: string, operation: () => Promise<T>, policy: OutagePolicy, log: (line: string) => void): Promise<T> {
  return pRetry(operation, {
    retries: policy.retries,
    factor: 2,
    minTimeout: 200,
    maxTimeout: 5000,
    shouldRetry: ({ error }) => sink.classify(error) === 'unavailable',
    onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
      if (retriesLeft > 0 && sink.classify(error) === 'unavailable') log(`${what} failed (attempt ${attemptNumber}): ${messageOf(error)}; retrying with backoff`);
    },
  }).catch((error: unknown) => {
    if (sink.classify(error) === 'rejected') throw error;
    throw new HarnessError('unreachable', `${what}: the sink ${sink.description} could not be written after retries: ${messageOf(error)}`, { cause: error });
  });
}
