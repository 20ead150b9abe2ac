import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type {
  Client,
  ConnectionRequestOptions,
  ConnectionRequestOptionsAsStream,
  ConnectionRequestParams,
  ConnectionRequestResponse,
  ConnectionRequestResponseAsStream,
  errors,
} from '@elastic/elasticsearch';
import type MockModule from '@elastic/elasticsearch-mock';
import { openClient, type ClientExtras } from '../../connectors/sinks/elasticsearch/client.ts';
import { elasticsearchComponent } from '../../connectors/sinks/elasticsearch/index.ts';
import { aggregate, matches, UnknownRequest, type Aggregations, type Properties, type Query } from './elasticsearch-fake-search.ts';

/**
 * A small in-memory Elasticsearch behind @elastic/elasticsearch-mock, answering the APIs the sink
 * uses with the bodies a real 8.x node returns (shapes copied from real responses): bulk with
 * per-item results and errors, mapping checks on write (a value the field's type cannot parse is a
 * 400 document_parsing_exception), `_version` per document, near-real-time search (searches see the
 * last refresh; get by id is real-time), points in time with `_shard_doc` paging and a new PIT id
 * per page, optimistic concurrency on `if_seq_no` (in bulk too), multi-get, and size-0 searches
 * with aggregations over doc values (elasticsearch-fake-search.ts). `intercept` replaces the next
 * answer to a route (a 429, a lost connection) to drive the failure paths. Not a cluster: no
 * analysis, one shard.
 */

export interface StoredDoc {
  source: Record<string, unknown>;
  version: number;
  seqNo: number;
}

interface FakeIndex {
  uuid: string;
  settings: Record<string, unknown>;
  properties: Properties;
  docs: Map<string, StoredDoc>;
  /** Versions of deleted documents: one indexed again within index.gc_deletes (60 s) continues from it. */
  tombstones: Map<string, number>;
  /** What searches see: the documents at the last refresh. */
  searchable: [string, StoredDoc][];
}

interface Pit {
  index: string;
  docs: [string, StoredDoc][];
}

/** A request as the mock hands it to a route: the ndjson of a bulk as an array of objects. */
type Params = { method: string; path: string; body: unknown; querystring: Record<string, string> };
type Answer = Record<string, unknown> | errors.ResponseError | errors.ElasticsearchClientError;

/**
 * The mock is CommonJS and tells an error answer from a body by `instanceof` its own copy of the
 * client's classes: errors handed to it must come from the CommonJS build.
 */
const cjs = createRequire(import.meta.url)('@elastic/elasticsearch') as { errors: typeof errors };
/** Loaded as CommonJS too: its typings describe an ES module default export it does not have. */
const ClientMock = createRequire(import.meta.url)('@elastic/elasticsearch-mock') as typeof MockModule.default;

/** Seconds-since-epoch with nanoseconds, as `_ingest.timestamp` renders (ZonedDateTime#toString). */
function ingestTimestamp(): string {
  return new Date().toISOString().replace('Z', '456789Z');
}

/** A 4xx/5xx answer with the body Elasticsearch sends: `{ error: { root_cause, type, reason, ... }, status }`. */
export function esError(status: number, type: string, reason: string, extra: Record<string, unknown> = {}): errors.ResponseError {
  const cause = { type, reason, ...extra };
  return new cjs.errors.ResponseError({
    body: { error: { root_cause: [cause], ...cause }, status },
    statusCode: status,
    headers: {},
    warnings: null,
    meta: {} as never,
  });
}

/** A connection the node dropped mid-request, as the client's undici connection reports it. */
export function connectionLost(): errors.ConnectionError {
  return new cjs.errors.ConnectionError('other side closed - Local: 127.0.0.1:50802, Remote: 127.0.0.1:9200');
}

export class FakeCluster {
  readonly mock = new ClientMock();
  readonly indices = new Map<string, FakeIndex>();
  readonly pipelines = new Map<string, { processors: { set?: { field: string; value: string } }[] }>();
  readonly pits = new Map<string, Pit>();
  /** Every request, for assertions: method, path, and the querystring. */
  readonly requests: { method: string; path: string; querystring: Record<string, string>; body: unknown }[] = [];
  readonly closedPits: string[] = [];
  private readonly interceptors: { method: string; path: RegExp; answer: (params: Params) => Answer | undefined; when: (params: Params) => boolean }[] = [];
  private readonly holds: { method: string; path: RegExp; when: (body: string) => boolean; released: Promise<void>; arrive: () => void }[] = [];
  private seqNo = 0;

  constructor() {
    // The mock's router refuses a path parameter over 100 characters; a request on several indices
    // ("a,b,c/_refresh") is longer than that, and a real node takes 4 KB of request line.
    for (const key of Object.getOwnPropertySymbols(this.mock)) {
      const router = (this.mock as unknown as Record<symbol, { maxParamLength?: number }>)[key];
      if (router && typeof router.maxParamLength === 'number') router.maxParamLength = 4096;
    }
    const route = (method: string | string[], path: string | string[], handler: (params: Params) => Answer) =>
      this.mock.add({ method, path }, (params) => {
        const p = params as Params;
        this.requests.push({ method: p.method, path: p.path, querystring: p.querystring, body: p.body });
        const i = this.interceptors.findIndex((x) => x.method === p.method && x.path.test(p.path) && x.when(p));
        if (i >= 0) {
          const answer = this.interceptors[i]!.answer(p);
          this.interceptors.splice(i, 1);
          if (answer !== undefined) return answer as Record<string, unknown>;
        }
        return handler(p) as Record<string, unknown>;
      });
    route('GET', '/', () => ({
      name: 'es01',
      cluster_name: 'docker-cluster',
      cluster_uuid: 'oQhd2f3TR8u3bS0Z0W0a3A',
      version: {
        number: '8.15.3',
        build_flavor: 'default',
        build_type: 'docker',
        lucene_version: '9.11.1',
        minimum_wire_compatibility_version: '7.17.0',
        minimum_index_compatibility_version: '7.0.0',
      },
      tagline: 'You Know, for Search',
    }));
    // Static paths first: the mock files a pattern that an earlier one already matches (DELETE /_pit
    // under DELETE /:index) in that one's place instead of routing it on its own.
    route(['POST', 'PUT'], '/_bulk', (p) => this.bulk(p.body as Record<string, unknown>[], p.querystring));
    route(['POST', 'GET'], '/_search', (p) => this.search(p.body as SearchBody));
    route(['POST', 'GET'], '/_mget', (p) => this.mget((p.body as { docs: { _index: string; _id: string }[] }).docs, p.querystring));
    route('DELETE', '/_pit', (p) => {
      const { id } = p.body as { id: string };
      this.closedPits.push(id);
      return { succeeded: this.pits.delete(id), num_freed: 1 };
    });
    route('PUT', '/_ingest/pipeline/:id', (p) => {
      this.pipelines.set(lastSegment(p.path), p.body as never);
      return { acknowledged: true };
    });
    route('HEAD', '/:index', (p) => (this.indices.has(lastSegment(p.path)) ? {} : esError(404, 'index_not_found_exception', 'no such index')));
    route('PUT', '/:index', (p) =>
      this.createIndex(lastSegment(p.path), p.body as { settings?: Record<string, unknown>; mappings?: { properties?: FakeIndex['properties'] } }),
    );
    route('DELETE', '/:index', (p) => {
      const names = lastSegment(p.path).split(',');
      const missing = names.find((n) => !this.indices.has(n));
      if (missing && p.querystring.ignore_unavailable !== 'true') return notFound(missing);
      for (const n of names) this.indices.delete(n);
      return { acknowledged: true };
    });
    route('GET', '/:index/_settings', (p) => {
      const name = segment(p.path, 0);
      const index = this.indices.get(name);
      if (!index) return notFound(name);
      // As flat_settings=true renders them: index.-prefixed keys, every value a string.
      const flat = Object.fromEntries(Object.entries(index.settings).map(([k, v]) => [k.startsWith('index.') ? k : `index.${k}`, String(v)]));
      return { [name]: { settings: { ...flat, 'index.uuid': index.uuid, 'index.provided_name': name } } };
    });
    route('GET', '/_ingest/pipeline/:id', (p) => {
      const id = lastSegment(p.path);
      const pipeline = this.pipelines.get(id);
      return pipeline ? { [id]: pipeline } : esError(404, 'resource_not_found_exception', `pipeline [${id}] is missing`);
    });
    route('GET', '/:index/_mapping', (p) => {
      const name = segment(p.path, 0);
      const index = this.indices.get(name);
      return index ? { [name]: { mappings: { properties: index.properties } } } : notFound(name);
    });
    route(['POST', 'GET'], '/:index/_refresh', (p) => {
      const names = segment(p.path, 0).split(',');
      for (const n of names) {
        const index = this.indices.get(n);
        if (index) index.searchable = [...index.docs];
        else if (p.querystring.ignore_unavailable !== 'true') return notFound(n);
      }
      return { _shards: { total: names.length * 2, successful: names.length, failed: 0 } };
    });
    route(['POST', 'GET'], '/:index/_count', (p) => {
      const index = this.indices.get(segment(p.path, 0));
      return index ? { count: index.searchable.length, _shards: { total: 1, successful: 1, skipped: 0, failed: 0 } } : notFound(segment(p.path, 0));
    });
    route('PUT', '/:index/_doc/:id', (p) =>
      this.write(segment(p.path, 0), decodeURIComponent(lastSegment(p.path)), p.body as Record<string, unknown>, 'index', p.querystring),
    );
    route('PUT', '/:index/_create/:id', (p) =>
      this.write(segment(p.path, 0), decodeURIComponent(lastSegment(p.path)), p.body as Record<string, unknown>, 'create', p.querystring),
    );
    route('GET', '/:index/_doc/:id', (p) => {
      const name = segment(p.path, 0);
      const id = decodeURIComponent(lastSegment(p.path));
      const doc = this.indices.get(name)?.docs.get(id);
      if (!this.indices.has(name)) return notFound(name);
      return doc
        ? { _index: name, _id: id, _version: doc.version, _seq_no: doc.seqNo, _primary_term: 1, found: true, _source: doc.source }
        : { _index: name, _id: id, found: false };
    });
    route('DELETE', '/:index/_doc/:id', (p) => {
      const name = segment(p.path, 0);
      const id = decodeURIComponent(lastSegment(p.path));
      const doc = this.indices.get(name)?.docs.get(id);
      if (!doc) return { _index: name, _id: id, result: 'not_found' };
      if (p.querystring.if_seq_no !== undefined && Number(p.querystring.if_seq_no) !== doc.seqNo) return conflict(name, id, doc, p.querystring);
      this.indices.get(name)?.docs.delete(id);
      this.indices.get(name)?.tombstones.set(id, doc.version + 1);
      return { _index: name, _id: id, _version: doc.version + 1, result: 'deleted', _seq_no: ++this.seqNo, _primary_term: 1 };
    });
    route('POST', '/:index/_delete_by_query', (p) => {
      const name = segment(p.path, 0);
      const index = this.indices.get(name);
      if (!index) return notFound(name);
      // match_all only: what the tests need.
      const deleted = index.docs.size;
      for (const [id, doc] of index.docs) index.tombstones.set(id, doc.version + 1);
      index.docs.clear();
      if (p.querystring.refresh === 'true') index.searchable = [];
      return {
        took: 12,
        timed_out: false,
        total: deleted,
        deleted,
        batches: 1,
        version_conflicts: 0,
        noops: 0,
        retries: { bulk: 0, search: 0 },
        throttled_millis: 0,
        requests_per_second: -1,
        throttled_until_millis: 0,
        failures: [],
      };
    });
    route(['POST', 'GET'], '/:index/_search', (p) => this.aggregations(segment(p.path, 0), p.body as SearchBody));
    route('POST', '/:index/_pit', (p) => {
      const name = segment(p.path, 0);
      const index = this.indices.get(name);
      if (!index) return notFound(name);
      const id = pitId();
      this.pits.set(id, { index: name, docs: [...index.searchable] });
      return { id, _shards: { total: 1, successful: 1, skipped: 0, failed: 0 } };
    });
  }

  /**
   * The mock's connection, closable as the client's own (the mock leaves `close` unimplemented).
   * It extends the CommonJS build's BaseConnection, which the ES module client takes as its own at
   * run time; only their typings differ.
   */
  private connection(): ClientExtras['Connection'] {
    const wait = (params: ConnectionRequestParams) => this.waitIfHeld(params);
    return class extends this.mock.getConnection() {
      override request(params: ConnectionRequestParams, options: ConnectionRequestOptions): Promise<ConnectionRequestResponse>;
      override request(params: ConnectionRequestParams, options: ConnectionRequestOptionsAsStream): Promise<ConnectionRequestResponseAsStream>;
      override async request(
        params: ConnectionRequestParams,
        options: ConnectionRequestOptions | ConnectionRequestOptionsAsStream,
      ): Promise<ConnectionRequestResponse | ConnectionRequestResponseAsStream> {
        await wait(params);
        return super.request(params, options);
      }

      override async close(): Promise<void> {}
    } as unknown as ClientExtras['Connection'];
  }

  /**
   * Holds the next request matching (`when` sees its body as sent) on its way to the node until
   * `release()`: other clients' requests go through meanwhile, as past a request slow to arrive.
   * `reached` resolves once it is held.
   */
  hold(method: string, path: RegExp, when: (body: string) => boolean = () => true): { reached: Promise<void>; release(): void } {
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    const reached = new Promise<void>((arrive) => this.holds.push({ method, path, when, released, arrive }));
    return { reached, release };
  }

  private async waitIfHeld(params: ConnectionRequestParams): Promise<void> {
    const body = typeof params.body === 'string' ? params.body : '';
    const i = this.holds.findIndex((h) => h.method === params.method && h.path.test(params.path) && h.when(body));
    if (i < 0) return;
    const [gate] = this.holds.splice(i, 1);
    gate!.arrive();
    await gate!.released;
  }

  /** A client of this cluster, as the sink makes one from the environment. */
  client(env: NodeJS.ProcessEnv = { ES_URL: 'http://localhost:9200' }): Client {
    return openClient(env, null, { Connection: this.connection(), maxRetries: 0 });
  }

  /** The sink component the runner uses, talking to this cluster. */
  component() {
    return elasticsearchComponent((env, location) => openClient(env, location, { Connection: this.connection(), maxRetries: 0 }));
  }

  /**
   * The next request matching (and, given `when`, for which it holds) gets `answer`'s result
   * instead of the normal one (undefined: the normal one).
   */
  intercept(method: string, path: RegExp, answer: (params: Params) => Answer | undefined, when: (params: Params) => boolean = () => true): void {
    this.interceptors.push({ method, path, answer, when });
  }

  /** Documents of an index as stored (real-time), by id. */
  docs(index: string): Map<string, StoredDoc> {
    return this.indices.get(index)?.docs ?? new Map<string, StoredDoc>();
  }

  createIndex(name: string, body: { settings?: Record<string, unknown>; mappings?: { properties?: FakeIndex['properties'] } } = {}): Answer {
    if (this.indices.has(name)) {
      const uuid = this.indices.get(name)?.uuid;
      return esError(400, 'resource_already_exists_exception', `index [${name}/${uuid}] already exists`, { index_uuid: uuid, index: name });
    }
    this.indices.set(name, {
      uuid: randomBytes(16).toString('base64url').slice(0, 22),
      settings: body.settings ?? {},
      properties: { ...(body.mappings?.properties ?? {}) },
      docs: new Map(),
      tombstones: new Map(),
      searchable: [],
    });
    return { acknowledged: true, shards_acknowledged: true, index: name };
  }

  private index(name: string): FakeIndex {
    // Writing to a missing index creates it (action.auto_create_index), with dynamic mappings.
    if (!this.indices.has(name)) this.createIndex(name);
    return this.indices.get(name) as FakeIndex;
  }

  /** Applies the request's (or the index's default) ingest pipeline. */
  private ingest(index: FakeIndex, source: Record<string, unknown>, pipeline: string | undefined): Record<string, unknown> {
    const name = pipeline ?? (index.settings.default_pipeline as string | undefined);
    const processors = name ? (this.pipelines.get(name)?.processors ?? []) : [];
    const out = { ...source };
    for (const { set } of processors) {
      if (set) out[set.field] = set.value === '{{{_ingest.timestamp}}}' ? ingestTimestamp() : set.value;
    }
    return out;
  }

  /** Indexes one document as a primary shard would: parse against the mapping, then create or overwrite. */
  private apply(
    name: string,
    id: string | undefined,
    source: Record<string, unknown>,
    op: 'index' | 'create',
    options: { pipeline?: string; ifSeqNo?: number },
  ): { status: number; body: Record<string, unknown> } {
    const index = this.index(name);
    const doc = this.ingest(index, source, options.pipeline);
    const docId = id ?? randomBytes(15).toString('base64url');
    const failure = parseFailure(index, doc, docId);
    if (failure) return { status: 400, body: { _index: name, _id: docId, status: 400, error: failure } };
    const existing = index.docs.get(docId);
    if ((op === 'create' && existing) || (options.ifSeqNo !== undefined && existing?.seqNo !== options.ifSeqNo)) {
      const reason = existing
        ? op === 'create'
          ? `[${docId}]: version conflict, document already exists (current version [${existing.version}])`
          : `[${docId}]: version conflict, required seqNo [${options.ifSeqNo}], primary term [1]. current document has seqNo [${existing.seqNo}] and primary term [1]`
        : `[${docId}]: version conflict, required seqNo [${options.ifSeqNo}], primary term [1] but no document was found`;
      return {
        status: 409,
        body: {
          _index: name,
          _id: docId,
          status: 409,
          error: { type: 'version_conflict_engine_exception', reason, index_uuid: index.uuid, shard: '0', index: name },
        },
      };
    }
    const stored = { source: doc, version: (existing?.version ?? index.tombstones.get(docId) ?? 0) + 1, seqNo: ++this.seqNo };
    index.docs.set(docId, stored);
    for (const [field, value] of Object.entries(doc)) if (!(field in index.properties)) index.properties[field] = { type: dynamicType(value) };
    const status = existing ? 200 : 201;
    return {
      status,
      body: {
        _index: name,
        _id: docId,
        _version: stored.version,
        result: existing ? 'updated' : 'created',
        _shards: { total: 2, successful: 1, failed: 0 },
        _seq_no: stored.seqNo,
        _primary_term: 1,
        status,
      },
    };
  }

  private write(name: string, id: string, source: Record<string, unknown>, op: 'index' | 'create', qs: Record<string, string>): Answer {
    const { status, body } = this.apply(name, id, source, op, {
      ...(qs.pipeline ? { pipeline: qs.pipeline } : {}),
      ...(qs.if_seq_no !== undefined ? { ifSeqNo: Number(qs.if_seq_no) } : {}),
    });
    if (status >= 400) {
      const error = body.error as { type: string; reason: string };
      return esError(status, error.type, error.reason, { index: name });
    }
    if (qs.refresh === 'true' || qs.refresh === 'wait_for') {
      const index = this.indices.get(name) as FakeIndex;
      index.searchable = [...index.docs];
    }
    const { status: _, ...rest } = body;
    return rest;
  }

  /**
   * Answers a bulk request as the node would, except that `refuse` may answer for an operation (by
   * its position among the request's operations) with a failed item: `{ status, error }`.
   */
  bulk(lines: Record<string, unknown>[], qs: Record<string, string>, refuse: BulkRefusal = () => undefined): Answer {
    const items: Record<string, unknown>[] = [];
    let n = 0;
    for (let i = 0; i < lines.length; i++) {
      const action = lines[i] as Record<string, BulkMeta>;
      const op = Object.keys(action)[0] as 'index' | 'create' | 'delete';
      const meta = action[op] as BulkMeta;
      if (op === 'delete') {
        const index = this.indices.get(meta._index);
        const existing = index?.docs.get(meta._id ?? '');
        // Conditional on the version read, as the index and create operations are.
        if (meta.if_seq_no !== undefined && existing?.seqNo !== meta.if_seq_no) {
          const reason = existing
            ? `[${meta._id}]: version conflict, required seqNo [${meta.if_seq_no}], primary term [1]. current document has seqNo [${existing.seqNo}] and primary term [1]`
            : `[${meta._id}]: version conflict, required seqNo [${meta.if_seq_no}], primary term [1]. but no document was found`;
          items.push({
            delete: { _index: meta._index, _id: meta._id, status: 409, error: { type: 'version_conflict_engine_exception', reason, index: meta._index } },
          });
          continue;
        }
        index?.docs.delete(meta._id ?? '');
        if (existing) index?.tombstones.set(meta._id ?? '', existing.version + 1);
        items.push({
          delete: {
            _index: meta._index,
            _id: meta._id,
            _version: (existing?.version ?? 0) + 1,
            result: existing ? 'deleted' : 'not_found',
            _seq_no: ++this.seqNo,
            _primary_term: 1,
            status: existing ? 200 : 404,
          },
        });
        continue;
      }
      const source = lines[++i] as Record<string, unknown>;
      const refused = refuse(n++, meta._id ?? null, source);
      if (refused) {
        items.push({ [op]: { _index: meta._index, _id: meta._id ?? randomBytes(15).toString('base64url'), status: refused.status, error: refused.error } });
        continue;
      }
      const pipeline = meta.pipeline ?? qs.pipeline;
      const { body } = this.apply(meta._index, meta._id, source, op, {
        ...(pipeline ? { pipeline } : {}),
        ...(meta.if_seq_no !== undefined ? { ifSeqNo: meta.if_seq_no } : {}),
      });
      items.push({ [op]: body });
    }
    return { errors: items.some((item) => 'error' in (Object.values(item)[0] as object)), took: 3, items };
  }

  /** Multi-get, real-time as a get: each document's version, or found: false, or the error of an index that is not there. */
  private mget(docs: { _index: string; _id: string }[], qs: Record<string, string>): Answer {
    return {
      docs: docs.map(({ _index, _id }) => {
        const index = this.indices.get(_index);
        if (!index) return { _index, _id, error: (notFound(_index).body as { error: unknown }).error };
        const doc = index.docs.get(_id);
        if (!doc) return { _index, _id, found: false };
        return {
          _index,
          _id,
          _version: doc.version,
          _seq_no: doc.seqNo,
          _primary_term: 1,
          found: true,
          ...(qs._source === 'false' ? {} : { _source: doc.source }),
        };
      }),
    };
  }

  /** A search on an index without a point in time: size 0, the aggregations over what the last refresh made visible. */
  private aggregations(name: string, body: SearchBody): Answer {
    const index = this.indices.get(name);
    if (!index) return notFound(name);
    if ((body.size ?? 10) !== 0)
      return esError(400, 'illegal_argument_exception', 'this fake answers size 0 searches on an index (aggregations); page documents through a point in time');
    try {
      const docs = index.searchable.map(([, doc]) => doc.source).filter((source) => matches(body.query, source, index.properties));
      return {
        took: 4,
        timed_out: false,
        _shards: { total: 1, successful: 1, skipped: 0, failed: 0 },
        hits: { ...(body.track_total_hits === false ? {} : { total: { value: docs.length, relation: 'eq' } }), max_score: null, hits: [] },
        aggregations: aggregate(body.aggs ?? {}, docs, index.properties),
      };
    } catch (error) {
      if (error instanceof UnknownRequest) return esError(400, error.type, error.message);
      throw error;
    }
  }

  private search(body: SearchBody): Answer {
    const pit = body.pit ? this.pits.get(body.pit.id) : undefined;
    if (!body.pit || !pit) return esError(404, 'search_context_missing_exception', `No search context found for id [${body.pit?.id ?? ''}]`);
    const sort = body.sort?.[0] as Record<string, unknown> | undefined;
    if (!sort || !('_shard_doc' in sort)) return esError(400, 'illegal_argument_exception', 'this fake pages on _shard_doc only');
    const term = body.query?.term;
    const filtered = pit.docs
      .map((d, position) => ({ d, position }))
      .filter(
        ({ d }) =>
          !term ||
          Object.entries(term).every(
            ([field, value]) => d[1].source[field] === (typeof value === 'object' && value !== null ? (value as { value: unknown }).value : value),
          ),
      );
    const after = body.search_after ? Number(body.search_after[0]) : -1;
    const page = filtered.filter(({ position }) => position > after).slice(0, body.size ?? 10);
    // A new id for the same point in time, as a real cluster may hand back: the old one is no longer accepted here.
    const next = pitId();
    this.pits.delete(body.pit.id);
    this.pits.set(next, pit);
    return {
      pit_id: next,
      took: 2,
      timed_out: false,
      _shards: { total: 1, successful: 1, skipped: 0, failed: 0 },
      hits: {
        max_score: null,
        hits: page.map(({ d: [id, doc], position }) => ({
          _index: pit.index,
          _id: id,
          ...(body.version ? { _version: doc.version } : {}),
          _score: null,
          _source: body._source ? Object.fromEntries(body._source.filter((f) => f in doc.source).map((f) => [f, doc.source[f]])) : doc.source,
          sort: [position],
        })),
      },
    };
  }
}

/** A failed bulk item in place of an operation: its HTTP status and the server's error cause. */
export type BulkRefusal = (
  operation: number,
  id: string | null,
  source: Record<string, unknown>,
) => { status: number; error: Record<string, unknown> } | undefined;

/** The item error of a write thread pool or indexing-pressure rejection (HTTP 429), as 8.x words it. */
export const busy = {
  status: 429,
  error: {
    type: 'es_rejected_execution_exception',
    reason:
      'rejected execution of coordinating operation [coordinating_and_primary_bytes=50331520, replica_bytes=0, all_bytes=50331520, coordinating_operation_bytes=2097152, max_coordinating_and_primary_bytes=53687091]',
  },
};

interface SearchBody {
  pit?: { id: string; keep_alive?: string };
  size?: number;
  sort?: unknown[];
  search_after?: unknown[];
  _source?: string[];
  version?: boolean;
  query?: Query & { term?: Record<string, unknown> };
  aggs?: Aggregations;
  track_total_hits?: boolean;
}

/** A bulk operation's metadata line. */
interface BulkMeta {
  _index: string;
  _id?: string;
  pipeline?: string;
  if_seq_no?: number;
  if_primary_term?: number;
}

function pitId(): string {
  return `46ToAwMDaWR5BXV1aWQyKwZub2RlXzMAAAAAAAAAACoBYwADaWR4BXV1aWQxAgZub2RlXzEAAAAAAAAAAAEBYQADaWR5${randomBytes(6).toString('base64url')}`;
}

function segment(path: string, i: number): string {
  return path.split('/').filter(Boolean)[i] ?? '';
}

function lastSegment(path: string): string {
  return path.split('/').filter(Boolean).at(-1) ?? '';
}

function notFound(index: string): errors.ResponseError {
  return esError(404, 'index_not_found_exception', `no such index [${index}]`, {
    'resource.type': 'index_or_alias',
    'resource.id': index,
    index_uuid: '_na_',
    index,
  });
}

function conflict(index: string, id: string, doc: StoredDoc, qs: Record<string, string>): errors.ResponseError {
  return esError(
    409,
    'version_conflict_engine_exception',
    `[${id}]: version conflict, required seqNo [${qs.if_seq_no}], primary term [1]. current document has seqNo [${doc.seqNo}] and primary term [1]`,
    { index_uuid: 'x', shard: '0', index },
  );
}

function dynamicType(value: unknown): string {
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return Number.isInteger(value) ? 'long' : 'float';
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value)) && /^\d{4}-\d{2}-\d{2}/.test(value)) return 'date';
  return 'text';
}

const numeric = new Set(['integer', 'long', 'short', 'byte', 'float', 'double', 'half_float', 'scaled_float']);

/** The 400 a shard answers when a value does not parse as its field's type (8.x wording). */
function parseFailure(index: FakeIndex, doc: Record<string, unknown>, id: string): Record<string, unknown> | null {
  for (const [field, value] of Object.entries(doc)) {
    const type = index.properties[field]?.type;
    if (value === null || type === undefined) continue;
    const preview = typeof value === 'string' ? value : JSON.stringify(value);
    const fail = (causedBy: Record<string, unknown>) => ({
      type: 'document_parsing_exception',
      reason: `[1:${JSON.stringify(doc).indexOf(`"${field}"`) + field.length + 3}] failed to parse field [${field}] of type [${type}] in document with id '${id}'. Preview of field's value: '${preview}'`,
      caused_by: causedBy,
    });
    if (numeric.has(type)) {
      const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
      if (Number.isNaN(n)) return fail({ type: 'number_format_exception', reason: `For input string: "${preview}"` });
      if (type === 'integer' && (n > 2 ** 31 - 1 || n < -(2 ** 31)))
        return fail({ type: 'illegal_argument_exception', reason: `Value [${preview}] is out of range for an integer` });
    } else if (type === 'boolean' && typeof value !== 'boolean' && value !== 'true' && value !== 'false') {
      return fail({ type: 'illegal_argument_exception', reason: `Failed to parse value [${preview}] as only [true] or [false] are allowed.` });
    } else if (type === 'date' && typeof value !== 'number' && (typeof value !== 'string' || Number.isNaN(Date.parse(value)))) {
      return fail({
        type: 'illegal_argument_exception',
        reason: `failed to parse date field [${preview}] with format [strict_date_optional_time||epoch_millis]`,
      });
    }
  }
  return null;
}
