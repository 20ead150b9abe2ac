import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { clientOptions, esLocationFor } from '../../connectors/sinks/elasticsearch/client.ts';
import { elasticsearch } from '../../connectors/sinks/elasticsearch/index.ts';
import { BulkWriteError, classifyEsError, explainEsRefusal } from '../../connectors/sinks/elasticsearch/failures.ts';
import { HarnessError } from '../../core/errors.ts';
import { ExitCode } from '../../core/exit-codes.ts';
import { writeIsolating } from '../../pipeline/isolate.ts';
import { waitOutOutage } from '../../pipeline/outage.ts';
import type { Sink, SinkBatch } from '../../pipeline/sink.ts';
import { runCli } from '../helpers/cli.ts';
import { AT, participant, setupFor, uniqueSpec } from '../helpers/elasticsearch.ts';
import { busy, connectionLost, esError, FakeCluster } from '../helpers/elasticsearch-fake.ts';
import { tempDir, writeScenario } from '../helpers/scenario.ts';

/**
 * What the cluster answers when things go wrong, each as a real node words it, driven through
 * @elastic/elasticsearch-mock: a busy cluster (429), a lost connection, a node restarting (503),
 * refused credentials, documents refused for their content, and no ES_URL at all.
 */
describe('Elasticsearch sink failures (mock)', () => {
  const env = { ES_URL: 'http://localhost:9200' };
  let fake: FakeCluster;
  const open: { close(): Promise<void> }[] = [];

  afterEach(async () => {
    for (const o of open.splice(0)) await o.close().catch(() => {});
  });

  async function writer(spec = uniqueSpec()): Promise<{ sink: Sink; spec: typeof spec }> {
    fake = new FakeCluster();
    const component = fake.component();
    const sink = await component.openWriter(component.locate(env, ''), spec, env, setupFor(['lol']));
    open.push(sink);
    await sink.connect();
    return { sink, spec };
  }

  const match = (id: string) => Array.from({ length: 10 }, (_, i) => participant(id, i + 1));
  const batch = (id: string, position: number): SinkBatch => {
    const rows = match(id);
    return { dataset: 'lol', rows, producedAtMs: rows.map(() => AT), deadLetters: [], checkpoint: { source: 'lol_matches:0', position, done: false } };
  };
  /** Bulk requests writing rows, not the statistics recomputed after them. */
  const bulks = () =>
    fake.requests.filter(
      (r) => r.path === '/_bulk' && (r.body as Record<string, { _index?: string }>[]).some((line) => line.index?._index?.endsWith('lol_matches_stream')),
    );

  it('resends only the documents a busy cluster refused (item 429), then writes the checkpoint', async () => {
    const { sink, spec } = await writer();
    fake.intercept('POST', /^\/_bulk$/, (p) => fake.bulk(p.body as Record<string, unknown>[], p.querystring, (n) => (n === 2 || n === 7 ? busy : undefined)));
    expect(await sink.writeBatch(batch('EUW1_1', 5))).toEqual({ inserted: 10 });
    const [first, second] = bulks();
    expect((first?.body as unknown[]).length).toBe(20);
    // The retry holds the two refused documents only.
    expect((second?.body as { index?: { _id: string } }[]).filter((line) => line.index).map((line) => line.index?._id)).toEqual(['EUW1_1:3', 'EUW1_1:8']);
    expect(fake.docs(spec.indices.lol).size).toBe(10);
    const order = fake.requests.map((r) => r.path);
    expect(order.lastIndexOf('/_bulk')).toBeLessThan(order.indexOf(`/${spec.indices.checkpoints}/_doc/lol:lol_matches:0`));
  });

  it("a cluster still busy after the helper's retries makes the batch unavailable: no checkpoint, and the pipeline waits it out", async () => {
    const { sink, spec } = await writer();
    for (let i = 0; i < 4; i++)
      fake.intercept('POST', /^\/_bulk$/, (p) => fake.bulk(p.body as Record<string, unknown>[], p.querystring, (n) => (n === 0 ? busy : undefined)));
    const error = await sink.writeBatch(batch('EUW1_1', 5)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BulkWriteError);
    expect(sink.classify(error)).toBe('unavailable');
    expect((error as Error).message).toBe(
      '1 document(s) not written, the cluster is busy or missing a shard: EUW1_1:1 (HTTP 429: still refused as too busy after 3 resends)',
    );
    expect(fake.docs(spec.indices.checkpoints).size).toBe(0);
    // Written again whole once the cluster has room: the nine written before count as new, once.
    const lines: string[] = [];
    const result = await waitOutOutage(
      sink,
      '[lol] sink write',
      () => sink.writeBatch(batch('EUW1_1', 5)),
      { limitMs: 30_000 },
      (line) => lines.push(line),
    );
    expect(result).toEqual({ inserted: 10 });
    expect(fake.docs(spec.indices.checkpoints).size).toBe(1);
  });

  it('waits out a whole request refused with 429, a lost connection and a restarting node (503), then writes everything once', async () => {
    const { sink, spec } = await writer();
    fake.intercept('POST', /^\/_bulk$/, () =>
      esError(
        429,
        'es_rejected_execution_exception',
        'rejected execution of org.elasticsearch.action.support.replication.TransportWriteAction$1/WrappedActionListener on EsThreadPoolExecutor[name = es01/write, queue capacity = 10000, ...]',
      ),
    );
    fake.intercept('POST', /^\/_bulk$/, () => connectionLost());
    fake.intercept('POST', /^\/_bulk$/, () =>
      esError(503, 'unavailable_shards_exception', '[lol_matches_stream][1] primary shard is not active Timeout: [1m]'),
    );
    const lines: string[] = [];
    const result = await waitOutOutage(
      sink,
      '[lol] sink write',
      () => sink.writeBatch(batch('EUW1_2', 9)),
      { limitMs: 30_000 },
      (line) => lines.push(line),
    );
    expect(result).toEqual({ inserted: 10 });
    expect(bulks()).toHaveLength(4);
    expect(lines[0]).toMatch(/unavailable: .*es_rejected_execution_exception.*retrying with backoff/s);
    expect(lines.some((l) => l.includes('other side closed'))).toBe(true);
    expect(lines.at(-1)).toMatch(/back after .* \(3 failed attempts\)/);
    expect([...fake.docs(spec.indices.lol).values()].every((d) => d.version === 1)).toBe(true);
  });

  it('a connection lost after the documents but before the checkpoint replays the batch: versions grow, nothing doubles, inserted counts each row once', async () => {
    const { sink, spec } = await writer();
    fake.intercept('PUT', new RegExp(`^/${spec.indices.checkpoints}/_doc/`), () => connectionLost());
    let inserted = 0;
    await waitOutOutage(
      sink,
      '[lol] sink write',
      async () => (inserted += (await sink.writeBatch(batch('EUW1_3', 2))).inserted),
      { limitMs: 30_000 },
      () => {},
    );
    expect(inserted).toBe(10);
    const docs = [...fake.docs(spec.indices.lol).values()];
    expect(docs).toHaveLength(10);
    expect(docs.every((d) => d.version === 2)).toBe(true);
    expect(fake.docs(spec.indices.checkpoints).get('lol:lol_matches:0')?.source.position).toBe(2);
  });

  it('one document refused with mapper_parsing_exception among successes: its record dead-lettered with the reason, the rest written, the checkpoint after', async () => {
    const { sink, spec } = await writer();
    // The server refuses EUW1_5:6 whenever it is sent (7.x wording), accepts everything else.
    const refusal = {
      status: 400,
      error: {
        type: 'mapper_parsing_exception',
        reason: "failed to parse field [gold_earned] of type [integer] in document with id 'EUW1_5:6'. Preview of field's value: '9999999999'",
        caused_by: { type: 'illegal_argument_exception', reason: 'Value [9999999999] is out of range for an integer' },
      },
    };
    for (let i = 0; i < 20; i++)
      fake.intercept('POST', /^\/_bulk$/, (p) =>
        fake.bulk(p.body as Record<string, unknown>[], p.querystring, (_, id) => (id === 'EUW1_5:6' ? refusal : undefined)),
      );
    const rows = [...match('EUW1_4'), ...match('EUW1_5'), ...match('EUW1_6')];
    const records = ['EUW1_4', 'EUW1_5', 'EUW1_6'].map((id, i) => ({
      bytes: Buffer.from(id),
      source: 'lol_matches:2',
      position: 30 + i,
      producedAtMs: AT,
      recordIndex: i,
    }));
    const result = await writeIsolating(
      {
        dataset: 'lol',
        rows,
        producedAtMs: rows.map(() => AT),
        deadLetters: [],
        checkpoint: { source: 'lol_matches:2', position: 33, done: true },
        records,
        rowRecords: rows.map((_, i) => Math.floor(i / 10)),
        letterRecords: [],
      },
      (part) => sink.writeBatch(part),
      { classify: (error) => sink.classify(error) },
    );
    expect(result.refused.map((r) => r.record)).toEqual([1]);
    expect(result.refused[0]?.letter.detail).toContain(
      "mapper_parsing_exception: failed to parse field [gold_earned] of type [integer] in document with id 'EUW1_5:6'",
    );
    expect(result.refused[0]?.letter.detail).toContain('illegal_argument_exception: Value [9999999999] is out of range for an integer');
    expect(result.inserted).toBe(20);
    const ids = [...fake.docs(spec.indices.lol).keys()].sort();
    expect(ids).toHaveLength(20);
    expect(ids.some((id) => id.startsWith('EUW1_5'))).toBe(false);
    expect(fake.docs(spec.indices.dlq).get('lol:lol_matches:2:31')?.source).toMatchObject({
      reason: 'sink_rejected',
      record_index: 1,
      raw: Buffer.from('EUW1_5').toString('base64'),
    });
    const order = fake.requests.map((r) => r.path);
    expect(order.lastIndexOf('/_bulk')).toBeLessThan(order.indexOf(`/${spec.indices.checkpoints}/_doc/lol:lol_matches:2`));
  });

  it('a document refused for something other than its content (403 on the index) stops the run naming it, without isolating', async () => {
    const { sink } = await writer();
    const forbidden = {
      status: 403,
      error: {
        type: 'security_exception',
        reason: 'action [indices:data/write/bulk[s]] is unauthorized for API key id [NzgjmnoB] of user [harness] on indices [lol_matches_stream]',
      },
    };
    fake.intercept('POST', /^\/_bulk$/, (p) => fake.bulk(p.body as Record<string, unknown>[], p.querystring, (n) => (n === 0 ? forbidden : undefined)));
    const error = await sink.writeBatch(batch('EUW1_7', 1)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(sink.classify(error)).toBe('fatal');
    expect((error as HarnessError).exitCode).toBe(ExitCode.unreachable);
    expect((error as Error).message).toContain('EUW1_7:1 (HTTP 403: security_exception: action [indices:data/write/bulk[s]] is unauthorized');
  });

  it('a document refused because its index is gone (404, auto-create off) is exit 2 naming the index and what to do, never retried', async () => {
    const { sink, spec } = await writer();
    const gone = { status: 404, error: { type: 'index_not_found_exception', reason: `no such index [${spec.indices.lol}]`, index: spec.indices.lol } };
    fake.intercept('POST', /^\/_bulk$/, (p) => fake.bulk(p.body as Record<string, unknown>[], p.querystring, () => gone));
    const before = bulks().length;
    const error = await waitOutOutage(
      sink,
      '[lol] sink write',
      () => sink.writeBatch(batch('EUW1_9', 1)),
      { limitMs: 30_000 },
      () => {},
    ).then(
      () => null,
      (e: unknown) => e,
    );
    expect(bulks().length - before).toBe(1);
    expect(error).toBeInstanceOf(HarnessError);
    expect((error as HarnessError).exitCode).toBe(ExitCode.usage);
    expect((error as Error).message).toMatch(
      new RegExp(
        `did not write 10 document\\(s\\): EUW1_9:1 \\(HTTP 404: index_not_found_exception: no such index \\[${spec.indices.lol}\\]\\) into index ${spec.indices.lol}; the run creates its indices when it starts`,
      ),
    );
  });

  it('an index name the cluster will not take (an alias of that name) is exit 2 on one line, naming it, never retried', async () => {
    fake = new FakeCluster();
    const spec = uniqueSpec();
    fake.intercept('PUT', new RegExp(`^/${spec.indices.lol}$`), () =>
      esError(400, 'invalid_index_name_exception', `Invalid index name [${spec.indices.lol}], already exists as alias`, {
        index_uuid: '_na_',
        index: spec.indices.lol,
      }),
    );
    const component = fake.component();
    const error = (await component.init(component.locate(env, ''), spec, env, setupFor(['lol'])).then(
      () => null,
      (e: unknown) => e,
    )) as HarnessError;
    expect(error.exitCode).toBe(ExitCode.usage);
    expect(error.message).toBe(
      `Elasticsearch at http://localhost:9200: preparing the indices: HTTP 400: invalid_index_name_exception: Invalid index name [${spec.indices.lol}], already exists as alias; check sink.indices in the scenario (see docs/elasticsearch.md)`,
    );
    expect(fake.requests.filter((r) => r.method === 'PUT' && r.path === `/${spec.indices.lol}`)).toHaveLength(1);
  });

  it('refused credentials are exit 3 at once, naming what to set and no secret', async () => {
    fake = new FakeCluster();
    fake.intercept('GET', /^\/$/, () =>
      esError(401, 'security_exception', 'unable to authenticate with provided credentials and anonymous access is not allowed for this request', {
        additional_unsuccessful_credentials: 'API key: unable to find apikey with id NzgjmnoB',
      }),
    );
    const secretEnv = { ES_URL: 'https://harness:hunter2@es.example:9200/?token=abc', ES_API_KEY: 'Tnpnam1ub0I6c2VjcmV0a2V5' };
    const component = fake.component();
    const location = component.locate(secretEnv, '');
    expect(location.url).toBe('https://es.example:9200');
    const sink = await component.openWriter(location, uniqueSpec(), secretEnv, setupFor(['lol']));
    open.push(sink);
    const started = Date.now();
    const error = (await waitOutOutage(
      sink,
      'sink connect',
      () => sink.connect(),
      { limitMs: 30_000 },
      () => {},
    ).then(
      () => null,
      (e: unknown) => e,
    )) as HarnessError;
    expect(Date.now() - started).toBeLessThan(1000);
    expect(error.exitCode).toBe(ExitCode.unreachable);
    expect(error.message).toContain(
      'Elasticsearch at https://es.example:9200: preparing the indices: authentication failed; check ES_API_KEY (or ES_USERNAME and ES_PASSWORD)',
    );
    expect(fake.requests.filter((r) => r.path === '/')).toHaveLength(1);
    for (const secret of ['hunter2', 'Tnpnam1ub0I6c2VjcmV0a2V5', 'token=abc']) expect(`${error.message} ${sink.description}`).not.toContain(secret);
  });

  it('a cluster that never answers is exit 3 after sink.outageLimit, naming it', async () => {
    fake = new FakeCluster();
    for (let i = 0; i < 100; i++) fake.intercept('GET', /^\/$/, () => connectionLost());
    const component = fake.component();
    const started = Date.now();
    const error = (await component
      .openReader(component.locate(env, ''), uniqueSpec({ outageLimit: '1s' }), env, () => {})
      .then(
        () => null,
        (e: unknown) => e,
      )) as HarnessError;
    expect(error).toBeInstanceOf(HarnessError);
    expect(error.exitCode).toBe(ExitCode.unreachable);
    expect(error.message).toMatch(
      /connecting: the sink Elasticsearch at http:\/\/localhost:9200 could not be reached for 1\.\d s \(sink\.outageLimit 1s\): other side closed/,
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("a connection lost in the middle of the verifier's scan is exit 3 naming the index; a scan never resumes half way", async () => {
    const { sink, spec } = await writer();
    await sink.writeBatch(batch('EUW1_8', 1));
    const component = fake.component();
    const reader = await component.openReader(component.locate(env, ''), spec, env, () => {});
    open.push(reader);
    fake.intercept('POST', /^\/_search$/, () => connectionLost());
    const error = (await reader
      .scanRows('lol', () => {})
      .then(
        () => null,
        (e: unknown) => e,
      )) as HarnessError;
    expect(error.exitCode).toBe(ExitCode.unreachable);
    expect(error.message).toBe(
      `cannot read index ${spec.indices.lol} on Elasticsearch at http://localhost:9200: other side closed - Local: 127.0.0.1:50802, Remote: 127.0.0.1:9200`,
    );
    expect(fake.pits.size).toBe(0);
  });

  it("judges the client's errors as the outage handling needs", () => {
    const rejected = new BulkWriteError('rejected', 'refused');
    expect(classifyEsError(rejected)).toBe('rejected');
    expect(classifyEsError(esError(429, 'circuit_breaking_exception', '[parent] Data too large'))).toBe('unavailable');
    expect(classifyEsError(esError(503, 'cluster_block_exception', 'blocked by: [SERVICE_UNAVAILABLE/1/state not recovered / initialized];'))).toBe(
      'unavailable',
    );
    expect(classifyEsError(esError(404, 'index_not_found_exception', 'no such index [x]'))).toBe('refused');
    expect(classifyEsError(esError(400, 'action_request_validation_exception', 'Validation Failed: 1: index is missing;'))).toBe('refused');
    expect(classifyEsError(esError(401, 'security_exception', 'missing authentication credentials'))).toBe('fatal');
    expect(classifyEsError(esError(403, 'security_exception', 'action [indices:data/write/bulk] is unauthorized'))).toBe('fatal');
    expect(classifyEsError(connectionLost())).toBe('unavailable');
    expect(classifyEsError(new HarnessError('config', 'x'))).toBe('fatal');
    expect(classifyEsError(new TypeError('a bug'))).toBe('unexpected');
    expect(explainEsRefusal(esError(404, 'index_not_found_exception', 'no such index [lol_matches_x]', { index: 'lol_matches_x' }))).toMatch(
      /^HTTP 404: index_not_found_exception: no such index \[lol_matches_x\]; the run creates its indices when it starts, so something deleted one while it ran/,
    );
  });
});

describe('Elasticsearch configuration from the environment', () => {
  it('no ES_URL is exit 2 naming ES_URL: where a run would go, and where a finished run is', async () => {
    const where = (() => {
      try {
        esLocationFor({});
      } catch (error) {
        return error as HarnessError;
      }
      return null;
    })();
    expect(where?.exitCode).toBe(ExitCode.usage);
    expect(where?.message).toContain('ES_URL is not set');
    const reading = (await elasticsearch
      .openReader({ kind: 'elasticsearch', url: 'http://es.example:9200' }, uniqueSpec(), {}, () => {})
      .then(
        () => null,
        (e: unknown) => e,
      )) as HarnessError;
    expect(reading.exitCode).toBe(ExitCode.usage);
    expect(reading.message).toBe(
      "this run's sink is Elasticsearch at http://es.example:9200, but ES_URL is not set: set ES_URL to the cluster (e.g. http://localhost:9200, see docker-compose.yml), with ES_API_KEY or ES_USERNAME/ES_PASSWORD when it needs credentials",
    );
  });

  it('harness run of an Elasticsearch scenario without ES_URL stops before generating anything, exit 2', async () => {
    const cwd = tempDir();
    const path = writeScenario(cwd, ['name: es', 'sink: { type: elasticsearch }', 'datasets:', '  lol: { count: 5 }', ''].join('\n'));
    const run = await runCli(['run', path], { cwd, env: {} });
    expect(run.code).toBe(ExitCode.usage);
    expect(run.stderr).toContain('sink.type is elasticsearch, but ES_URL is not set');
  });

  it('credentials half given, a bad URL or an unreadable CA file are exit 2 naming the variable, never its value', () => {
    const problem = (vars: NodeJS.ProcessEnv) => {
      try {
        clientOptions(vars, null);
      } catch (error) {
        return error as HarnessError;
      }
      return null;
    };
    expect(problem({ ES_URL: 'http://localhost:9200', ES_USERNAME: 'elastic' })?.message).toBe('set both ES_USERNAME and ES_PASSWORD (or ES_API_KEY instead)');
    const badUrl = problem({ ES_URL: 'localhost:9200 secret' });
    expect(badUrl?.message).toMatch(/^ES_URL/);
    expect(badUrl?.message).not.toContain('secret');
    expect(problem({ ES_URL: 'ftp://localhost:9200' })?.message).toContain('ES_URL must start with http:// or https://');
    const ca = problem({ ES_URL: 'https://localhost:9200', ES_CA_FILE: join(tempDir(), 'missing.crt') });
    expect(ca?.exitCode).toBe(ExitCode.usage);
    expect(ca?.message).toMatch(/^ES_CA_FILE=.*missing\.crt cannot be read/);
    const file = join(tempDir(), 'ca.crt');
    writeFileSync(file, '-----BEGIN CERTIFICATE-----\n');
    const options = clientOptions({ ES_URL: 'https://localhost:9200', ES_API_KEY: 'key', ES_USERNAME: 'u', ES_PASSWORD: 'p', ES_CA_FILE: file }, null);
    expect(options.auth).toEqual({ apiKey: 'key' });
    expect(options.tls?.ca?.toString()).toContain('BEGIN CERTIFICATE');
  });
});
