import type { estypes } from '@elastic/elasticsearch';
import { HarnessError, messageOf } from '../../../core/errors.ts';
import type { OutageJudge } from '../../../pipeline/outage.ts';
import type { SinkFailure } from '../../../pipeline/sink.ts';

/**
 * A bulk request that came back with documents not written: `rejected` when the server refused a
 * document for its content (pipeline/isolate.ts then finds and dead-letters it, with `detail` as the
 * server's reason), `unavailable` when it was too busy or a shard was missing (the whole batch is
 * written again after a wait, which the deterministic ids make harmless).
 */
export class BulkWriteError extends Error {
  constructor(
    readonly failure: Extract<SinkFailure, 'rejected' | 'unavailable'>,
    message: string,
    /** The server's underlying cause, read by isolate.ts into the dead letter's detail. */
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'BulkWriteError';
  }
}

/**
 * How the Elasticsearch sink judges a failure (see SinkFailure):
 *
 * - unavailable: no answer (connection refused or reset, timeout, no living node), or an answer that
 *   says "later": 429 (es_rejected_execution_exception, circuit breakers, a flood-stage disk block in
 *   8.x), 408, and 5xx (the transport has already retried 502/503/504 on its own); a bulk item
 *   refused the same way.
 * - rejected: a bulk item the server refused for the document itself (400: mapper_parsing_exception,
 *   document_parsing_exception, strict_dynamic_mapping_exception, an ingest processor's
 *   illegal_argument_exception...).
 * - fatal: 401/403 (credentials, privileges), a HarnessError (already a verdict).
 * - refused: any other 4xx (a missing or closed index, a request it will not take): the server
 *   answered, waiting will not change its answer, and what it refuses is the configuration.
 * - unexpected: anything else, a bug in harness: never an outage.
 */
export function classifyEsError(error: unknown): SinkFailure {
  if (error instanceof HarnessError) return 'fatal';
  if (error instanceof BulkWriteError) return error.failure;
  const status = statusOf(error);
  if (status !== undefined) return isTransientStatus(status) ? 'unavailable' : isAuthFailure(error) ? 'fatal' : 'refused';
  return connectionFailures.has(nameOf(error)) ? 'unavailable' : 'unexpected';
}

/** The Elasticsearch sink's judgement, for waiting out a cluster outside a writer (connecting, preparing, the lock). */
export function esJudge(description: string): OutageJudge {
  return { description, classify: classifyEsError, explainRefusal: explainEsRefusal };
}

/** A refused error (see classifyEsError) on one line: the cluster's words, which name the index, and what to do about it. */
export function explainEsRefusal(error: unknown): string {
  const cause = bodyOf(error)?.error;
  return `${esMessage(error)}; ${refusalHint(typeof cause === 'object' ? cause.type : undefined)}`;
}

/** What to do about a request the cluster refused, by the error's type. */
export function refusalHint(type: string | undefined): string {
  switch (type) {
    case 'index_not_found_exception':
      return 'the run creates its indices when it starts, so something deleted one while it ran (another run on these sink.indices with sink.reset, or by hand): run it again (harness run; harness resume or harness pipeline create what is missing), or create them with `harness sink init <scenario>` for a pipeline of your own';
    case 'index_closed_exception':
      return 'open the index (POST /<index>/_open) and run again';
    default:
      return "the cluster refuses the request itself: check the sink's settings (ES_URL, sink.indices) against the cluster (see docs/elasticsearch.md)";
  }
}

/** The client's errors for a request that got no answer. */
const connectionFailures = new Set(['ConnectionError', 'TimeoutError', 'NoLivingConnectionsError']);

/**
 * The client's errors are told apart by name, not by class: @elastic/elasticsearch ships a CommonJS
 * and an ES module build, and an error made by one is not an instance of the other's class.
 */
function nameOf(error: unknown): string {
  return error instanceof Error ? error.name : '';
}

/** Statuses a wait can mend. */
export function isTransientStatus(status: number | undefined): boolean {
  return status === 429 || status === 408 || (status !== undefined && status >= 500);
}

/** Error types the server gives with status 400 that are not about a document's content. */
const notContent = new Set(['index_closed_exception', 'cluster_block_exception', 'index_not_found_exception', 'action_request_validation_exception']);

/** Whether a bulk item's error is about the document it carried. */
export function isContentRefusal(status: number, cause: estypes.ErrorCause | null | undefined): boolean {
  return status === 400 && !notContent.has(cause?.type ?? '');
}

/** A server error cause on one line: `type: reason (caused by type: reason)`. */
export function causeText(cause: estypes.ErrorCause | null | undefined): string {
  if (!cause) return 'no reason given';
  const own = cause.reason ? `${cause.type}: ${cause.reason}` : cause.type;
  return cause.caused_by ? `${own} (caused by ${causeText(cause.caused_by)})` : own;
}

/** What went wrong, on one line: the server's error cause when it answered, else the client's message. */
export function esMessage(error: unknown): string {
  const status = statusOf(error);
  if (status !== undefined) {
    const cause = bodyOf(error)?.error;
    const what = typeof cause === 'string' ? cause : cause ? causeText(cause) : messageOf(error).split('\n')[0];
    return `HTTP ${status}: ${what}`;
  }
  return messageOf(error);
}

/** The HTTP status of the server's answer, when the error is one (a ResponseError). */
export function statusOf(error: unknown): number | undefined {
  if (nameOf(error) !== 'ResponseError') return undefined;
  const status = (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** The server's error body: `{ error: { type, reason, caused_by, root_cause }, status }`. */
export function bodyOf(error: unknown): { error?: estypes.ErrorCause | string } | undefined {
  if (nameOf(error) !== 'ResponseError') return undefined;
  const body = (error as { body?: unknown }).body;
  return typeof body === 'object' && body !== null ? body : undefined;
}

function isAuthFailure(error: unknown): boolean {
  const status = statusOf(error);
  return status === 401 || status === 403;
}

/**
 * Credentials refused (401) or short of a privilege (403) become the verdict at once, naming what
 * to fix: never retried, never mistaken for a cluster that could not be reached. Other errors pass
 * through for classifyEsError to judge.
 */
export function explainAuthFailure(error: unknown, description: string, what: string): unknown {
  if (!isAuthFailure(error)) return error;
  const hint =
    statusOf(error) === 401
      ? 'authentication failed; check ES_API_KEY (or ES_USERNAME and ES_PASSWORD)'
      : 'the credentials lack a privilege; the harness needs create_index, delete_index, index, delete, read, view_index_metadata and maintenance on its indices, and monitor and manage_ingest_pipelines on the cluster (see docs/elasticsearch.md)';
  return new HarnessError('unreachable', `${description}: ${what}: ${hint} (${esMessage(error)})`, { cause: error });
}

/**
 * Preparing the indices failed: refused credentials are exit 3 at once (explainAuthFailure); a
 * request about the indices themselves that the cluster refused for good (a name that is an alias
 * or a data stream, a setting it will not take) is the scenario's to fix, exit 2, on one line;
 * outages and verdicts already made pass through.
 */
export function preparingFailure(error: unknown, description: string): unknown {
  const explained = explainAuthFailure(error, description, 'preparing the indices');
  const status = statusOf(explained);
  if (status === undefined || isTransientStatus(status)) return explained;
  return new HarnessError(
    'config',
    `${description}: preparing the indices: ${esMessage(explained)}; check sink.indices in the scenario (see docs/elasticsearch.md)`,
    { cause: error },
  );
}

/**
 * A failed read for the verifier: a missing index or a request the index cannot answer is its
 * layout (exit 2), anything else the cluster's fault (exit 3).
 */
export function readError(error: unknown, index: string, description: string): HarnessError {
  if (error instanceof HarnessError) return error;
  const auth = explainAuthFailure(error, description, `reading index ${index}`);
  if (auth instanceof HarnessError) return auth;
  const status = statusOf(error);
  const layout = status === 404 || status === 400;
  return new HarnessError(layout ? 'config' : 'unreachable', `cannot read index ${index} on ${description}: ${esMessage(error)}`, { cause: error });
}
