import { connect, isIP, isIPv6, type Socket } from 'node:net';
import pRetry from 'p-retry';
import { createRequire } from 'node:module';
import type * as KafkaJS from 'kafkajs';
import type { ISocketFactory, Kafka, KafkaConfig, LogEntry } from 'kafkajs';
import { HarnessError, isConnectionLost, messageOf } from '../../../core/errors.ts';

let loaded: typeof KafkaJS | undefined;

/** kafkajs, loaded on first use: a command that never meets Kafka (most verifies) does not pay its 0.1 s load. */
export function kafkajs(): typeof KafkaJS {
  return (loaded ??= createRequire(import.meta.url)('kafkajs') as typeof KafkaJS);
}

const example = 'localhost:9092';

/** How long the first contact with the brokers may take, unless the scenario says otherwise (`transport.connectTimeout`). */
export const defaultConnectTimeoutMs = 30_000;

/** One label of a host name: letters, digits, hyphens inside (underscores too, as Docker names have them). */
const label = '[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?';
const hostName = new RegExp(`^(?=.{1,253}$)${label}(?:\\.${label})*\\.?$`);

/** Shows an entry without what a URL could carry before its host (user:password@). */
function redact(entry: string): string {
  return entry.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)?[^@]*@/, '$1***@');
}

/** Why `entry` is not host:port: '' for the plain "is not host:port", a detail otherwise; null when it is fine. */
function brokerProblem(entry: string): string | null {
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(entry)) return 'write it without the scheme://';
  if (entry.includes('@')) return 'credentials do not belong in KAFKA_BROKERS';
  let host: string;
  let port: string;
  if (entry.startsWith('[')) {
    const match = /^\[([^\]]*)\]:(.*)$/.exec(entry);
    if (!match) return '';
    host = match[1] as string;
    port = match[2] as string;
    if (!isIPv6(host)) return `${host || 'an empty host'} in brackets is not an IPv6 address`;
  } else {
    const colon = entry.lastIndexOf(':');
    if (colon < 0) return '';
    host = entry.slice(0, colon);
    port = entry.slice(colon + 1);
    if (host.includes(':')) return isIPv6(host) ? `an IPv6 address goes in brackets: [${host}]:${port}` : '';
    if (host === '') return 'the host is missing';
    // All digits and dots is meant as an IPv4 address: 999.1.1.1 is not one.
    if (/^[\d.]+$/.test(host) ? isIP(host) !== 4 : !hostName.test(host)) return '';
  }
  if (port === '') return 'the port is missing';
  if (!/^\d{1,5}$/.test(port)) return '';
  const number = Number(port);
  if (number < 1 || number > 65535) return `port ${number} is outside 1-65535`;
  return null;
}

/**
 * KAFKA_BROKERS: comma-separated host:port list of the cluster to use (host: a name, an IPv4
 * address or an [IPv6] address in brackets; port 1-65535). A malformed value is a configuration
 * error at once, naming the variable; nothing more than host:port is ever echoed.
 */
export function kafkaBrokers(env: NodeJS.ProcessEnv): string[] {
  const value = env.KAFKA_BROKERS ?? '';
  const brokers = value
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers.length === 0) {
    throw new HarnessError('config', 'transport: kafka needs KAFKA_BROKERS (e.g. KAFKA_BROKERS=localhost:9092); see docker-compose.yml');
  }
  const bad = brokers.flatMap((entry) => {
    const problem = brokerProblem(entry);
    return problem === null ? [] : [`"${redact(entry)}" is not host:port (${problem ? `${problem}; ` : ''}e.g. ${example})`];
  });
  if (bad.length > 0) {
    const shown = value
      .split(',')
      .map((entry) => redact(entry))
      .join(',');
    throw new HarnessError('config', `KAFKA_BROKERS="${shown}": ${bad.join('; ')}`);
  }
  return brokers;
}

/** "localhost:1, localhost:2", for messages. */
export function brokerList(brokers: string[]): string {
  return brokers.join(', ');
}

/**
 * kafkajs splits a broker on ':' and cannot take an IPv6 address: such a broker goes to kafkajs
 * under a stand-in name that the socket factory turns back into the address.
 */
const ipv6Prefix = 'ipv6-';
const ipv6Suffix = '.harness.invalid';

function kafkajsBroker(broker: string): string {
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(broker);
  return match ? `${ipv6Prefix}${Buffer.from(match[1] as string).toString('hex')}${ipv6Suffix}:${match[2]}` : broker;
}

const ipv6SocketFactory: ISocketFactory = ({ host, port, onConnect }) => {
  const address =
    host.startsWith(ipv6Prefix) && host.endsWith(ipv6Suffix) ? Buffer.from(host.slice(ipv6Prefix.length, -ipv6Suffix.length), 'hex').toString() : host;
  const socket: Socket = connect({ host: address, port }, onConnect);
  socket.setKeepAlive(true, 60_000);
  return socket;
};

/** Where kafkajs connects: the brokers (IPv6 ones through the socket factory above). */
function endpoints(brokers: string[]): Pick<KafkaConfig, 'brokers' | 'socketFactory'> {
  const mapped = brokers.map(kafkajsBroker);
  return mapped.some((b, i) => b !== brokers[i]) ? { brokers: mapped, socketFactory: ipv6SocketFactory } : { brokers: mapped };
}

/**
 * A kafkajs client. Its own retries (doubling from 200 ms, up to 5 s apart, about a minute in all)
 * ride out a broker that is down for a while once the run has reached it; the first contact is
 * bounded apart, by `reachBrokers`. Its logs go to `log` at warning level and above.
 */
export function createKafka(brokers: string[], clientId: string, log: (line: string) => void = () => {}): Kafka {
  const { Kafka, logLevel } = kafkajs();
  return new Kafka({
    clientId,
    ...endpoints(brokers),
    connectionTimeout: 3000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 200, maxRetryTime: 5000, retries: 15 },
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      if (entry.level <= logLevel.WARN) log(`kafka${entry.namespace ? ` ${entry.namespace}` : ''}: ${entry.log.message}`);
    },
  });
}

/** "30s", "1.5s", "500ms", "2m": a budget as a user would write it. */
export function formatBudget(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  return ms >= 1000 ? `${ms / 1000}s` : `${ms}ms`;
}

/**
 * A kafkajs error in one short line: the cause under KafkaJSNumberOfRetriesExceeded and
 * KafkaJSConnectionError (e.g. "connect ECONNREFUSED 127.0.0.1:1"), never a stack trace.
 */
export function kafkaReason(error: unknown): string {
  const chain: unknown[] = [];
  for (let e: unknown = error; e !== undefined && e !== null && !chain.includes(e) && chain.length < 8; e = (e as { cause?: unknown }).cause) chain.push(e);
  for (const e of chain.reverse()) {
    const message = messageOf(e).split('\n')[0]?.trim();
    if (message) return message;
  }
  return error instanceof Error ? error.name : 'unknown error';
}

/** kafkajs's errors for a connection that failed, closed or timed out, and librdkafka's local codes for the same. */
const LOST_CONNECTION = new Set(['KafkaJSConnectionError', 'KafkaJSConnectionClosedError', 'KafkaJSRequestTimeoutError', 'KafkaJSBrokerNotFound']);
/** librdkafka: ERR__TRANSPORT, ERR__ALL_BROKERS_DOWN, ERR__TIMED_OUT, ERR__MSG_TIMED_OUT, ERR__RESOLVE. */
const RD_LOST_CONNECTION = new Set([-195, -187, -185, -192, -193]);

/**
 * What a Kafka client's failure means for the exit code, decided before it is wrapped: a lost
 * connection is HarnessError('unreachable') (exit 3); the broker refusing the request for good (a
 * protocol error: too large, not authorized, invalid record) is HarnessError('config') (exit 2);
 * anything else (a bug) is returned as it is, for the CLI to report as one.
 */
export function classifyKafkaFailure(error: unknown, what: string): Error {
  if (error instanceof HarnessError) return error;
  const chain: unknown[] = [];
  for (let e: unknown = error; e instanceof Error && !chain.includes(e) && chain.length < 8; e = e.cause) chain.push(e);
  const lost = chain.some((e) => {
    const { name, code } = e as { name: string; code?: unknown };
    return LOST_CONNECTION.has(name) || (typeof code === 'number' && RD_LOST_CONNECTION.has(code)) || isConnectionLost(e);
  });
  if (lost) return new HarnessError('unreachable', `${what} failed after retries: ${kafkaReason(error)}`, { cause: error });
  const refused = chain.some((e) => {
    const { name, type, code } = e as { name: string; type?: unknown; code?: unknown };
    return (
      name === 'KafkaJSProtocolError' ||
      (typeof type === 'string' && name.startsWith('KafkaJS')) ||
      (typeof code === 'number' && code > 0 && !name.startsWith('KafkaJS'))
    );
  });
  if (refused) return new HarnessError('config', `${what}: the broker refused it: ${kafkaReason(error)}`, { cause: error });
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * The first contact with the cluster, bounded by `timeoutMs`: connects an admin client of its own
 * (TCP and ApiVersions) until one broker answers, every broker of the list in turn, backing off
 * from 200 ms to 2 s. Past the budget, HarnessError('unreachable') naming KAFKA_BROKERS, the
 * addresses tried and why (exit 3). Nothing keeps retrying behind it: the probe makes one attempt
 * at a time and is disconnected when it gives up. Once this has succeeded, the clients of the run
 * connect with kafkajs's own long retries, which ride out a broker going down mid-run. `signal`
 * gives up early (the caller no longer needs the answer).
 */
export async function reachBrokers(brokers: string[], timeoutMs: number, log: (line: string) => void = () => {}, signal?: AbortSignal): Promise<void> {
  const { Kafka, logLevel } = kafkajs();
  const admin = new Kafka({
    clientId: 'harness-probe',
    ...endpoints(brokers),
    connectionTimeout: Math.max(1, Math.min(3000, timeoutMs)),
    requestTimeout: Math.max(1, Math.min(30_000, timeoutMs)),
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  }).admin({ retry: { retries: 0 } });
  const reasons: string[] = [];
  const startedAt = Date.now();
  let said = false;
  // One attempt at a time, each bounded by what is left of the budget; given up with `signal`.
  const attempt = async () => {
    const remaining = timeoutMs - (Date.now() - startedAt);
    let timer: NodeJS.Timeout | undefined;
    let onAbort = () => {};
    try {
      const reason = await Promise.race([
        admin.connect().then(
          () => null,
          (error: unknown) => kafkaReason(error),
        ),
        new Promise<string>((resolve) => (timer = setTimeout(() => resolve(`no answer within ${formatBudget(remaining)}`), Math.max(1, remaining)))),
        new Promise<string>((resolve) => {
          onAbort = () => resolve('given up');
          signal?.addEventListener('abort', onAbort, { once: true });
        }),
      ]);
      if (reason !== null) throw new Error(reason);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  };
  try {
    await pRetry(attempt, {
      retries: Number.POSITIVE_INFINITY,
      factor: 2,
      minTimeout: 200,
      maxTimeout: 2000,
      maxRetryTime: timeoutMs,
      ...(signal ? { signal } : {}),
      onFailedAttempt: ({ error }) => {
        if (!reasons.includes(error.message)) reasons.push(error.message);
        if (!said && Date.now() - startedAt + 200 < timeoutMs) {
          said = true;
          log(`kafka: cannot reach ${brokerList(brokers)} yet (${error.message}); trying for up to ${formatBudget(timeoutMs)}`);
        }
      },
    });
    return;
  } catch (error) {
    if (signal?.aborted) throw new Error('the first contact with the Kafka brokers was given up', { cause: error });
  } finally {
    await admin.disconnect().catch(() => {});
  }
  throw new HarnessError(
    'unreachable',
    `Kafka brokers from KAFKA_BROKERS (${brokerList(brokers)}) could not be reached within ${formatBudget(timeoutMs)}: ${reasons.slice(-3).join('; ') || 'no answer'}`,
  );
}
