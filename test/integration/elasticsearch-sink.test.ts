import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Sink, SinkBatch } from '../../pipeline/sink.ts';
import { writeIsolating, type IsolatingBatch } from '../../pipeline/isolate.ts';
import type { SourceRecord } from '../../pipeline/source.ts';
import { HarnessError } from '../../core/errors.ts';
import { ExitCode } from '../../core/exit-codes.ts';
import { PAGE_SIZE } from '../../connectors/sinks/elasticsearch/reader.ts';
import type { DeadLetterRow, SinkReader, SinkRow } from '../../connectors/readers.ts';
import { AT, esBackends, indicesOf, participant, purchase, setupFor, type EsTarget } from '../helpers/elasticsearch.ts';

/**
 * The Elasticsearch sink and reader, through the component exactly as the runner and the verifier
 * use it: on @elastic/elasticsearch-mock (an in-memory node answering with real response bodies),
 * and on a real cluster when ES_URL is set.
 */
describe.each(esBackends)('Elasticsearch sink and reader ($name)', ({ name, target }) => {
  let es: EsTarget;
  const open: { close(): Promise<void> }[] = [];

  afterEach(async () => {
    for (const o of open.splice(0)) await o.close().catch(() => {});
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset if the first test failed before target()
    await es?.cleanup();
  });

  async function writer(datasets: ('lol' | 'ecommerce')[] = ['lol'], options: Parameters<typeof setupFor>[1] = {}): Promise<Sink> {
    const sink = await es.component.openWriter(es.location, es.spec, es.env, setupFor(datasets, options));
    open.push(sink);
    await sink.connect();
    await sink.connect(); // idempotent
    return sink;
  }

  async function reader(): Promise<SinkReader> {
    const r = await es.component.openReader(es.location, es.spec, es.env, () => {});
    open.push(r);
    return r;
  }

  async function rows(dataset: 'lol' | 'ecommerce' = 'lol'): Promise<SinkRow[]> {
    const out: SinkRow[] = [];
    await (await reader()).scanRows(dataset, (page) => out.push(...page));
    return out;
  }

  async function letters(dataset: 'lol' | 'ecommerce' = 'lol'): Promise<DeadLetterRow[]> {
    const out: DeadLetterRow[] = [];
    await (await reader()).scanDeadLetters(dataset, (page) => out.push(...page));
    return out;
  }

  const match = (id: string, change: (pid: number) => Partial<Record<string, unknown>> = () => ({})) =>
    Array.from({ length: 10 }, (_, i) => participant(id, i + 1, change(i + 1)));

  function batch(matchIds: string[], position: number, extra: Partial<SinkBatch> = {}): SinkBatch {
    const rowsOf = matchIds.flatMap((id) => match(id));
    return {
      dataset: 'lol',
      rows: rowsOf,
      producedAtMs: rowsOf.map(() => AT + 1000),
      deadLetters: [],
      checkpoint: { source: 'lol_matches:0', position, done: false },
      ...extra,
    };
  }

  it("creates the indices with seed 002's settings, a mapping derived from the declared output, and the ingest pipeline stamping ingested_at", async () => {
    es = await target();
    await writer(['lol', 'ecommerce']);
    const lol = es.spec.indices.lol;
    const settings: Record<string, unknown> | undefined = (await es.client.indices.getSettings({ index: lol, flat_settings: true }))[lol]?.settings;
    const mapping = (await es.client.indices.getMapping({ index: lol }))[lol]?.mappings.properties ?? {};
    const typeOf = (field: string) => (mapping[field] as { type?: string } | undefined)?.type;
    expect({
      shards: settings?.['index.number_of_shards'],
      replicas: settings?.['index.number_of_replicas'],
      refresh: settings?.['index.refresh_interval'],
      pipeline: settings?.['index.default_pipeline'],
    }).toEqual({
      shards: '3',
      replicas: '1',
      refresh: '5s',
      pipeline: es.spec.ingestPipeline,
    });
    expect(
      Object.fromEntries(
        ['match_id', 'participant_id', 'game_creation', 'win', 'kda', 'total_damage_dealt', 'produced_at', 'ingested_at', '@timestamp'].map((f) => [
          f,
          typeOf(f),
        ]),
      ),
    ).toEqual({
      match_id: 'keyword',
      participant_id: 'integer',
      game_creation: 'date',
      win: 'boolean',
      kda: 'scaled_float',
      total_damage_dealt: 'long',
      produced_at: 'date',
      ingested_at: 'date',
      '@timestamp': 'date',
    });
    // Held to 2 decimals, kept as whole hundredths: the statistics sum them exactly.
    expect(mapping.kda).toMatchObject({ scaling_factor: 100 });
    const events = (await es.client.indices.getMapping({ index: es.spec.indices.ecommerce }))[es.spec.indices.ecommerce]?.mappings.properties ?? {};
    expect(events.price).toMatchObject({ type: 'scaled_float', scaling_factor: 100 });
    const pipeline = await es.client.ingest.getPipeline({ id: es.spec.ingestPipeline });
    expect(pipeline[es.spec.ingestPipeline]?.processors).toEqual([{ set: { field: 'ingested_at', value: '{{{_ingest.timestamp}}}' } }]);
  });

  it('writes one document per row under its key, stamps ingested_at on the server, and a replay overwrites instead of duplicating', async () => {
    es = await target();
    const sink = await writer();
    const before = Date.now();
    expect(await sink.writeBatch(batch(['EUW1_1', 'EUW1_2'], 2))).toEqual({ inserted: 20 });
    // The same batch again (a crash before its checkpoint): nothing new, every document rewritten in place.
    expect(await sink.writeBatch(batch(['EUW1_1', 'EUW1_2'], 2))).toEqual({ inserted: 0 });
    expect(await sink.writeBatch(batch(['EUW1_2', 'EUW1_3'], 3))).toEqual({ inserted: 10 });
    await sink.close();

    const got = await rows();
    expect(got).toHaveLength(30);
    const byKey = new Map(got.map((r) => [`${r.values.match_id}:${r.values.participant_id}`, r]));
    expect(byKey.size).toBe(30);
    expect(byKey.get('EUW1_1:3')?.version).toBe(2);
    expect(byKey.get('EUW1_2:3')?.version).toBe(3);
    expect(byKey.get('EUW1_3:3')?.version).toBe(1);
    // The verifier's row view: the declared fields as written, times as epoch ms, numbers as numbers.
    expect(byKey.get('EUW1_3:7')).toMatchObject({ values: participant('EUW1_3', 7), producedAtMs: AT + 1000 });
    const ingested = byKey.get('EUW1_3:7')?.ingestedAtMs ?? 0;
    expect(ingested).toBeGreaterThanOrEqual(before - 60_000);
    expect(ingested).toBeLessThanOrEqual(Date.now() + 60_000);
    expect(await (await reader()).count('lol')).toBe(30);
    const checkpoints = await (await writer(['lol'], { reset: false })).checkpoints('lol');
    expect([...checkpoints.values()]).toEqual([{ source: 'lol_matches:0', position: 3, done: false }]);
  });

  it('dead-letters what the server refuses for its content with its reason, keeps the rest, and moves the checkpoint after the last bulk', async () => {
    es = await target();
    const sink = await writer(['lol'], { reset: true });
    // Match EUW1_2's participant 4 carries a value an integer field cannot parse, as a buggy transform would.
    const rowsOf = [...match('EUW1_1'), ...match('EUW1_2', (pid) => (pid === 4 ? { kills: 'many' } : {})), ...match('EUW1_3')];
    const records: SourceRecord[] = ['EUW1_1', 'EUW1_2', 'EUW1_3'].map((id, i) => ({
      bytes: Buffer.from(`{"match":"${id}"}`),
      source: 'lol_matches:1',
      position: 10 + i,
      producedAtMs: AT,
      recordIndex: i,
    }));
    const isolating: IsolatingBatch = {
      dataset: 'lol',
      rows: rowsOf,
      producedAtMs: rowsOf.map(() => AT),
      deadLetters: [{ source: 'lol_matches:1', position: 9, recordIndex: 99, reason: 'json_parse', detail: 'truncated', raw: Buffer.from('{"meta') }],
      checkpoint: { source: 'lol_matches:1', position: 13, done: false },
      records: [...records, { bytes: Buffer.from('{"meta'), source: 'lol_matches:1', position: 9, producedAtMs: AT, recordIndex: 99 }],
      rowRecords: rowsOf.map((_, i) => Math.floor(i / 10)),
      letterRecords: [3],
    };
    const checkpointed: boolean[] = [];
    const result = await writeIsolating(
      isolating,
      (part) => {
        checkpointed.push(part.checkpoint !== null);
        return sink.writeBatch(part);
      },
      { classify: (error) => sink.classify(error) },
    );
    expect(result.refused.map((r) => r.record)).toEqual([1]);
    // Rows created by the refused writes and written again count once: 20 rows are new.
    expect(result.inserted).toBe(20);
    expect(checkpointed.at(-1)).toBe(true);
    expect(checkpointed.slice(0, -1).filter(Boolean)).toHaveLength(1); // only the first, refused, whole-batch write carried it
    await sink.close();

    // The refused match left no document behind, though nine of its ten were accepted by the bulk.
    const landed = await rows();
    expect(new Set(landed.map((r) => r.values.match_id))).toEqual(new Set(['EUW1_1', 'EUW1_3']));
    expect(landed).toHaveLength(20);
    const dead = (await letters()).sort((a, b) => a.position - b.position);
    expect(dead.map((l) => [l.position, l.reason, l.recordIndex, l.raw.toString()])).toEqual([
      [9, 'json_parse', 99, '{"meta'],
      [11, 'sink_rejected', 1, '{"match":"EUW1_2"}'],
    ]);
    // dead_lettered_at, for the series' dead letters per second.
    expect(dead.every((l) => typeof l.ingestedAtMs === 'number' && Math.abs(l.ingestedAtMs - Date.now()) < 60_000)).toBe(true);
    const detail = (await es.client.get<{ detail: string }>({ index: es.spec.indices.dlq, id: 'lol:lol_matches:1:11' }))._source?.detail ?? '';
    expect(detail).toMatch(/the sink refused the record: .*(document_parsing_exception|mapper_parsing_exception).*\[kills\]/);
    expect(detail).toContain('EUW1_2:4');
    expect([...(await (await writer(['lol'], { reset: false })).checkpoints('lol')).values()]).toEqual([
      { source: 'lol_matches:1', position: 13, done: false },
    ]);
  });

  it('keeps a dead letter as first written when a replay writes it again (version conflict on create)', async () => {
    es = await target();
    const sink = await writer();
    const letter = { source: 'lol_matches:0', position: 41, recordIndex: 7, reason: 'wrong_type' as const, detail: 'first', raw: Buffer.from('x') };
    await sink.writeBatch({ ...batch(['EUW1_9'], 41), deadLetters: [letter] });
    // The replay: same position, a different detail (a later build of the pipeline, say); still one dead letter.
    const replay = await sink.writeBatch({ ...batch(['EUW1_9'], 42), deadLetters: [{ ...letter, detail: 'second' }] });
    expect(replay).toEqual({ inserted: 0 });
    await sink.close();
    const dead = await letters();
    expect(dead).toHaveLength(1);
    expect((await es.client.get<{ detail: string }>({ index: es.spec.indices.dlq, id: 'lol:lol_matches:0:41' }))._source?.detail).toBe('first');
    expect([...(await (await writer(['lol'], { reset: false })).checkpoints('lol')).values()]).toEqual([
      { source: 'lol_matches:0', position: 42, done: false },
    ]);
  });

  it('without unique keys (an injected fault) a second copy is a second document, which the verifier sees as a duplicate', async () => {
    es = await target();
    const sink = await writer(['lol'], { uniqueKeys: false, uniqueDeadLetters: false });
    await sink.writeBatch(batch(['EUW1_5'], 1));
    await sink.writeBatch(batch(['EUW1_5'], 2));
    await sink.close();
    const got = await rows();
    expect(got).toHaveLength(20);
    expect(got.every((r) => r.version === 1)).toBe(true);
  });

  it("checks an existing index's mapping and never changes it: a conflicting or missing field is exit 2 naming the index and the field", async () => {
    es = await target({ reset: false });
    const index = es.spec.indices.lol;
    await es.client.indices.create({
      index,
      mappings: { properties: { match_id: { type: 'keyword' }, participant_id: { type: 'keyword' }, kills: { type: 'keyword' } } },
    });
    const failure = await es.component
      .openWriter(es.location, es.spec, es.env, setupFor(['lol'], { reset: false }))
      .then(async (sink) => {
        open.push(sink);
        return sink.connect();
      })
      .then(
        () => null,
        (error: unknown) => error,
      );
    expect(failure).toBeInstanceOf(HarnessError);
    const error = failure as HarnessError;
    expect(error.exitCode).toBe(ExitCode.usage);
    expect(error.message).toContain(`index ${index} on Elasticsearch at`);
    expect(error.message).toContain('field "participant_id" is mapped as keyword, want integer or long');
    expect(error.message).toContain('field "kills" is mapped as keyword');
    expect(error.message).toContain('no field "kda" (want scaled_float)');
    // Left exactly as it was.
    const after = (await es.client.indices.getMapping({ index }))[index]?.mappings.properties ?? {};
    expect(Object.keys(after).sort()).toEqual(['kills', 'match_id', 'participant_id']);

    // The verifier's layout check says the same, and for an index that is not there at all.
    const layout = await (await reader()).checkLayout('lol').then(
      () => null,
      (e: unknown) => e as HarnessError,
    );
    expect(layout?.exitCode).toBe(ExitCode.usage);
    expect(layout?.message).toContain('field "kills" is mapped as keyword');
    const missing = await (await reader()).checkLayout('ecommerce').then(
      () => null,
      (e: unknown) => e as HarnessError,
    );
    expect(missing?.exitCode).toBe(ExitCode.usage);
    expect(missing?.message).toContain(`index ${es.spec.indices.ecommerce} does not exist`);
  });

  it('prepares the indices for an external pipeline (harness sink init): created empty with reset, kept without', async () => {
    es = await target();
    const sink = await writer();
    await sink.writeBatch(batch(['EUW1_1'], 1));
    await sink.close();
    const kept = await es.component.init(es.location, es.spec, es.env, setupFor(['lol'], { reset: false }));
    const statistics = indicesOf(es.spec).filter((index) => index.endsWith('_stats'));
    expect(kept).toMatch(
      new RegExp(`^Elasticsearch at .*: indices ${[es.spec.indices.lol, ...statistics, es.spec.indices.dlq, es.spec.indices.checkpoints].join(', ')}$`),
    );
    expect(await (await reader()).count('lol')).toBe(10);
    await es.component.init(es.location, es.spec, es.env, setupFor(['lol'], { reset: true }));
    expect(await (await reader()).count('lol')).toBe(0);
    const settings = (await es.client.indices.getSettings({ index: es.spec.indices.lol, flat_settings: true }))[es.spec.indices.lol]?.settings as Record<
      string,
      unknown
    >;
    expect(settings['index.default_pipeline']).toBe(es.spec.ingestPipeline);
  });

  it('streams an index larger than a page through a point in time: every document once, the point in time closed', async () => {
    es = await target();
    const sink = await writer(['ecommerce']);
    const total = 2 * PAGE_SIZE + 345;
    const ids = Array.from({ length: total }, (_, i) => `ev-${String(i).padStart(6, '0')}`);
    for (let at = 0; at < total; at += 4000) {
      const part = ids.slice(at, at + 4000).map((id) => purchase(id, { price: id.endsWith('7') ? null : 19.99 }));
      await sink.writeBatch({
        dataset: 'ecommerce',
        rows: part,
        producedAtMs: part.map(() => AT),
        deadLetters: [],
        checkpoint: { source: 'f.csv', position: at, done: false },
      });
    }
    await sink.close();
    const pages: number[] = [];
    const seen = new Set<string>();
    let views = 0;
    await (
      await reader()
    ).scanRows('ecommerce', (page) => {
      pages.push(page.length);
      for (const row of page) {
        seen.add(row.values.event_id as string);
        if (row.values.event_id === 'ev-000017') views += row.values.price === null ? 1 : 0;
      }
    });
    expect(pages).toEqual([PAGE_SIZE, PAGE_SIZE, 345]);
    expect(seen.size).toBe(total);
    expect(views).toBe(1);
    if (es.fake) {
      // Each page asked with the id the previous answer gave (the fake refuses a stale one), the last one closed.
      const searches = es.fake.requests.filter((r) => r.path === '/_search');
      expect(searches).toHaveLength(3);
      expect(searches.map((s) => (s.body as { search_after?: unknown[] }).search_after === undefined)).toEqual([true, false, false]);
      expect(es.fake.pits.size).toBe(0);
      expect(es.fake.closedPits).toHaveLength(1);
    }
  });

  it('closes the point in time when the verifier stops mid-scan', async () => {
    es = await target();
    const sink = await writer();
    await sink.writeBatch(batch(['EUW1_1'], 1));
    await sink.close();
    await expect(
      (await reader()).scanRows('lol', () => {
        throw new Error('stop');
      }),
    ).rejects.toThrow('stop');
    if (es.fake) expect(es.fake.pits.size).toBe(0);
  });

  it('gives the verifier the same row view of documents another pipeline wrote in other JSON shapes', async () => {
    es = await target();
    await writer();
    const index = es.spec.indices.lol;
    // Dates as ISO text (with nanoseconds, as an ingest pipeline writes them), numbers as text, a missing field.
    const { kda: _kda, ...rest } = participant('EUW1_7', 1);
    await es.client.index({
      index,
      id: 'EUW1_7:1',
      document: { ...rest, participant_id: '1', game_creation: new Date(AT).toISOString(), produced_at: '2026-01-01T12:00:01.500000000Z', win: 'true' },
      refresh: true,
    });
    const [row] = await rows();
    expect(row?.values).toMatchObject({ match_id: 'EUW1_7', participant_id: 1, game_creation: AT, win: true, kda: null });
    expect(row?.producedAtMs).toBe(AT + 1377);
    expect(row?.ingestedAtMs).not.toBeNull(); // the index's default pipeline stamped it
  });

  // Live only: the mock's _count ignores a query, and the dead letters are counted per dataset by one.
  it.runIf(name === 'live')(
    'probes progress with the count API: no refresh, so within refreshInterval of the writes; dead letters per dataset; exact once the writer refreshes at its end',
    { timeout: 60_000 },
    async () => {
      es = await target({ refreshInterval: '1s' });
      const sink = await writer(['lol', 'ecommerce']);
      const probe = await es.component.openProbe(es.location, es.spec, es.env);
      open.push(probe);
      for (const dataset of ['lol', 'ecommerce'] as const) expect(await probe.read(dataset)).toMatchObject({ rows: 0, deadLetters: 0 });
      const letter = (position: number) => ({
        source: 'lol_matches:0',
        position,
        recordIndex: position,
        reason: 'json_parse' as const,
        detail: 'truncated',
        raw: Buffer.from('{"meta'),
      });
      const seen = async (dataset: 'lol' | 'ecommerce', rows: number, deadLetters: number) => {
        // refresh_interval 1 s: visible within it, and a little for the request.
        const until = Date.now() + 3_000;
        let last = await probe.read(dataset);
        while ((last.rows !== rows || last.deadLetters !== deadLetters) && Date.now() < until) last = await probe.read(dataset);
        expect({ rows: last.rows, deadLetters: last.deadLetters }).toEqual({ rows, deadLetters });
      };
      await sink.writeBatch(batch(['EUW1_1'], 1, { deadLetters: [letter(5)] }));
      await seen('lol', 10, 1);
      await sink.writeBatch(batch(['EUW1_2', 'EUW1_3'], 3, { deadLetters: [letter(6), letter(7)] }));
      await seen('lol', 30, 3);
      // Another dataset's dead letters share the index and are not counted as lol's.
      await sink.writeBatch({
        dataset: 'ecommerce',
        rows: [purchase('E1')],
        producedAtMs: [AT],
        deadLetters: [{ ...letter(1), source: 'user_events:0' }],
        checkpoint: null,
      });
      await sink.close();
      expect(await probe.read('ecommerce')).toMatchObject({ rows: 1, deadLetters: 1 });
      expect(await probe.read('lol')).toMatchObject({ rows: 30, deadLetters: 3 });
    },
  );

  it(`locks its indices for one run: another run is refused at once naming the holder, the same run shares, a stale lock is taken over (${name})`, async () => {
    es = await target();
    const lock = (runId: string, holder = `harness run ${runId}`) => es.component.lock(es.location, es.spec, es.env, { holder, runId });
    const first = await lock('run-a');
    const refused = await lock('run-b').then(
      () => null,
      (e: unknown) => e as HarnessError,
    );
    expect(refused?.exitCode).toBe(ExitCode.usage);
    expect(refused?.message).toMatch(new RegExp(`index ${es.spec.indices.ecommerce} is in use by harness run run-a \\(pid ${process.pid} on `));
    // harness pipeline beside its own harness run.
    const sibling = await lock('run-a', 'harness pipeline run-a');
    await sibling.release();
    await expect(lock('run-b')).rejects.toThrow(/in use by harness run run-a/);
    await first.release();
    const second = await lock('run-b');
    await second.release();

    // A holder killed without releasing: its lock stops being renewed and is taken over.
    const stale = Date.now() - 120_000;
    await es.client.index({
      index: es.spec.indices.locks,
      id: es.spec.indices.lol,
      document: { holder: 'harness run dead', run_id: 'dead', host: 'elsewhere', pid: 1, taken_at: stale, renewed_at: stale },
      refresh: true,
    });
    const lines: string[] = [];
    const taken = await es.component.lock(es.location, es.spec, es.env, { holder: 'harness run run-c', runId: 'run-c', log: (line) => lines.push(line) });
    expect(lines.join('\n')).toContain(`took over the lock on index ${es.spec.indices.lol} from harness run dead (pid 1 on elsewhere)`);
    await taken.release();
    const left = await es.client.get({ index: es.spec.indices.locks, id: es.spec.indices.lol }, { ignore: [404] });
    expect(left.found).toBe(false);
  });

  it.runIf(name === 'mock')('a lock another run took over while this one was cut off stops it before its next write (hold: exit 3 naming it)', async () => {
    es = await target();
    // The renewal's timer only: requests and their promises run as they do.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const lines: string[] = [];
      const lock = await es.component.lock(es.location, es.spec, es.env, { holder: 'harness run run-a', runId: 'run-a', log: (line) => lines.push(line) });
      await lock.hold();
      // Cut off past the lease: another run took the lock document over, so its version moved on.
      const now = Date.now();
      await es.client.index({
        index: es.spec.indices.locks,
        id: es.spec.indices.lol,
        document: { holder: 'harness run run-b', run_id: 'run-b', host: 'elsewhere', pid: 2, taken_at: now, renewed_at: now },
      });
      await vi.advanceTimersByTimeAsync(15_000);
      await vi.waitFor(() => expect(lines.join('\n')).toContain(`the lock on index ${es.spec.indices.lol} was taken over by another run`));
      const stopped = await lock.hold().then(
        () => null,
        (e: unknown) => e as HarnessError,
      );
      expect(stopped).toBeInstanceOf(HarnessError);
      expect(stopped?.exitCode).toBe(ExitCode.unreachable);
      expect(stopped?.message).toContain('this run stops rather than write beside it');
      await lock.release();
      // Its release leaves the other run's document as it is.
      const kept = await es.client.get<{ run_id: string }>({ index: es.spec.indices.locks, id: es.spec.indices.lol });
      expect(kept._source?.run_id).toBe('run-b');
    } finally {
      vi.useRealTimers();
    }
  });
});
