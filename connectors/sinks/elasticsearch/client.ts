import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Elasticsearch from '@elastic/elasticsearch';
import type { Client } from '@elastic/elasticsearch';
import type { ClientOptions } from '@elastic/elasticsearch/lib/client';
import { HarnessError, messageOf } from '../../../core/errors.ts';
import type { ElasticsearchLocation } from './spec.ts';

interface Loaded {
  Client: typeof Elasticsearch.Client;
  PlainJsonTransport: typeof Elasticsearch.SniffingTransport;
}

let loaded: Loaded | undefined;

/**
 * The client, loaded on first use: every command loads the sink registry, and the client's 0.25 s
 * of module loading was a tenth of a verify that never meets Elasticsearch (measured).
 */
function elasticsearch(): Loaded {
  if (loaded) return loaded;
  const { Client, SniffingTransport } = createRequire(import.meta.url)('@elastic/elasticsearch') as typeof Elasticsearch;
  /**
   * Plain JSON instead of the v9 client's `compatible-with=9` media types, which an 8.x server
   * refuses (media_type_header_exception): docker-compose.yml ships 8.15, and every API the harness
   * uses reads and answers the same in 8.x and 9.x.
   */
  class PlainJsonTransport extends SniffingTransport {
    constructor(options: ConstructorParameters<typeof SniffingTransport>[0]) {
      super({
        ...options,
        vendoredHeaders: { jsonContentType: 'application/json', ndjsonContentType: 'application/x-ndjson', accept: 'application/json, text/plain' },
      });
    }
  }
  return (loaded = { Client, PlainJsonTransport });
}

/** A request that has not answered in this long counts as a lost connection (unavailable, retried after a wait). */
const REQUEST_TIMEOUT_MS = 60_000;

/** What `openClient` may add: tests pass the mock's Connection class here. */
export type ClientExtras = Partial<Pick<ClientOptions, 'Connection' | 'maxRetries' | 'requestTimeout'>>;

/** ES_URL, the cluster to use; required for an Elasticsearch sink. */
export function esUrl(env: NodeJS.ProcessEnv): string | undefined {
  return env.ES_URL || undefined;
}

/** A URL without user, password or query: safe for logs, reports and the manifest. */
export function publicUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    parsed.search = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '<unparsable ES_URL>';
  }
}

/** Where a new run's sink is: the cluster ES_URL names. Without it there is none (exit 2). */
export function esLocationFor(env: NodeJS.ProcessEnv): ElasticsearchLocation {
  const url = esUrl(env);
  if (!url) throw missingUrl('sink.type is elasticsearch');
  return { kind: 'elasticsearch', url: publicUrl(url) };
}

function missingUrl(why: string): HarnessError {
  return new HarnessError(
    'config',
    `${why}, but ES_URL is not set: set ES_URL to the cluster (e.g. http://localhost:9200, see docker-compose.yml), with ES_API_KEY or ES_USERNAME/ES_PASSWORD when it needs credentials`,
  );
}

/**
 * The client options the environment describes: ES_URL, then ES_API_KEY (preferred) or
 * ES_USERNAME + ES_PASSWORD (or credentials in the URL), and ES_CA_FILE for a private CA. Secrets
 * go into the client and nowhere else; what is wrong is named by variable, never by value.
 */
export function clientOptions(env: NodeJS.ProcessEnv, location: ElasticsearchLocation | null): ClientOptions {
  const url = esUrl(env);
  if (!url) throw missingUrl(location ? `this run's sink is Elasticsearch at ${location.url}` : 'sink.type is elasticsearch');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new HarnessError('config', 'ES_URL is not a URL: expected e.g. http://localhost:9200 or https://user:password@host:9200');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new HarnessError('config', `ES_URL must start with http:// or https://, not ${parsed.protocol}//`);
  }
  const options: ClientOptions = { node: url, Transport: elasticsearch().PlainJsonTransport, requestTimeout: REQUEST_TIMEOUT_MS, maxRetries: 2 };
  if (env.ES_API_KEY) options.auth = { apiKey: env.ES_API_KEY };
  else if (env.ES_USERNAME || env.ES_PASSWORD) {
    if (!env.ES_USERNAME || !env.ES_PASSWORD) throw new HarnessError('config', 'set both ES_USERNAME and ES_PASSWORD (or ES_API_KEY instead)');
    options.auth = { username: env.ES_USERNAME, password: env.ES_PASSWORD };
  }
  if (env.ES_CA_FILE) {
    try {
      options.tls = { ca: readFileSync(env.ES_CA_FILE) };
    } catch (error) {
      throw new HarnessError('config', `ES_CA_FILE=${env.ES_CA_FILE} cannot be read: ${messageOf(error)}`, { cause: error });
    }
  }
  return options;
}

/** A client for the cluster; it connects on its first request. */
export function openClient(env: NodeJS.ProcessEnv, location: ElasticsearchLocation | null, extras: ClientExtras = {}): Client {
  const { Client } = elasticsearch();
  return new Client({ ...clientOptions(env, location), ...extras });
}

/** Makes a client: the environment's by default, a mock's in contract tests. */
export type ClientFactory = (env: NodeJS.ProcessEnv, location: ElasticsearchLocation | null) => Client;

/** How messages name the cluster. */
export function describeCluster(env: NodeJS.ProcessEnv, location: ElasticsearchLocation | null): string {
  const url = esUrl(env);
  return `Elasticsearch at ${url ? publicUrl(url) : (location?.url ?? '<ES_URL not set>')}`;
}
