import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../../connectors/sinks/sql/postgres.ts';
import { SqlSinkReader } from '../../connectors/sinks/sql/reader.ts';
import { sqlSinkSpec } from '../../connectors/sinks/sql/spec.ts';
import { ExitCode } from '../../core/exit-codes.ts';
import { createGenerator, type DatasetName } from '../../generators/index.ts';
import { LolGenerator } from '../../generators/lol.ts';
import { Oracle } from '../../generators/oracle.ts';
import type { OutputRow } from '../../pipeline/output.ts';
import { datasetOutputs } from '../../pipeline/rules/index.ts';
import { loadManifest, latestRunDir } from '../../runs/manifest.ts';
import { generatorConfig } from '../../scenarios/datasets.ts';
import type { CheckResult } from '../../verifier/check.ts';
import type { Report } from '../../verifier/report.ts';
import { runCli } from '../helpers/cli.ts';
import { corpusProblems, ecommerceKinds, lolKinds, REFUSED, writeCorpus, type Placed } from '../helpers/hostile-corpus.ts';
import { describeIfKafkaBroker, kafkaBootstrap, uniqueTopic } from '../helpers/kafka.ts';
import { dropSchema, PG_URL, uniqueSchema } from '../helpers/postgres.ts';
import { tempDir, writeScenario } from '../helpers/scenario.ts';
import { describeIfSpark, startSpark, type SparkProcess } from '../helpers/spark.ts';

/**
 * The seeds' own engine under harness: examples/spark's Spark Structured Streaming jobs (seed 001's
 * CSV -> PostgreSQL, seed 002's Kafka -> PostgreSQL with statistics), written against
 * docs/external-pipeline.md, verified by `harness verify` the way a user's CI would. Each suite
 * runs all of its scenarios as jobs of one JVM (Spark's start is paid once, then once more after
 * the kill): a correct job killed with SIGKILL mid-stream and restarted on its checkpoint passes;
 * the classic mistakes fail the check that names them.
 */

const describeSpark = PG_URL ? describeIfSpark : describe.skip;
const pgEnv = { PG_URL };

async function query<R extends Record<string, unknown>>(sql: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return (await client.query<R>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** `harness run --no-verify` in a home of its own; the run's directory. */
async function generate(cwd: string, yaml: string, env: NodeJS.ProcessEnv): Promise<string> {
  const produced = await runCli(['run', writeScenario(cwd, yaml), '--no-verify', '--quiet'], { cwd, env });
  expect(produced.code, produced.stderr).toBe(ExitCode.ok);
  return latestRunDir(join(cwd, '.harness'));
}

async function verify(runDir: string, env: NodeJS.ProcessEnv): Promise<{ code: number; report: Report }> {
  const result = await runCli(['verify', '--run', runDir, '--json'], { cwd: runDir, env });
  return { code: result.code, report: JSON.parse(result.stdout) as Report };
}

function check(report: Report, name: string): CheckResult {
  const found = report.checks.find((c) => c.name === name);
  if (!found) throw new Error(`no ${name} check in the report: ${report.checks.map((c) => c.name).join(', ')}`);
  return found;
}

const failing = (report: Report) => report.checks.filter((c) => c.status !== 'pass').map((c) => c.name);

/** Every check passed and verify exited 0; on a failure the message holds the failed checks whole. */
function expectEveryCheckPasses({ code, report }: { code: number; report: Report }): void {
  expect(
    failing(report),
    JSON.stringify(
      report.checks.filter((c) => c.status !== 'pass'),
      null,
      2,
    ),
  ).toEqual([]);
  expect(code).toBe(ExitCode.ok);
}

/** The ground truth of a run's dataset, as the verifier rebuilds it. */
function truth(runDir: string, dataset: DatasetName) {
  const manifest = loadManifest(runDir);
  const spec = manifest.scenario.datasets[dataset];
  if (!spec) throw new Error(`${runDir}: no ${dataset} dataset`);
  const generator = createGenerator(dataset, generatorConfig(manifest.seed, manifest.baseTimeMs, spec));
  return { manifest, generator, oracle: new Oracle(generator, spec.count, spec.expect, datasetOutputs[dataset].rowsPerRecord) };
}

/** Rows by key and dead letters by `<source>#<position>` of a schema, as the verifier reads them. */
async function sinkContents(schema: string, dataset: DatasetName) {
  const client = await openPostgres(PG_URL as string);
  try {
    const reader = new SqlSinkReader(client, sqlSinkSpec.parse({ type: 'sql', schema }));
    const output = datasetOutputs[dataset];
    const rows = new Map<string, OutputRow>();
    await reader.scanRows(dataset, (page) => page.forEach((r) => rows.set(output.key.map((k) => String(r.values[k])).join(':'), r.values)));
    const letters = new Map<string, { reason: string; raw: Buffer }>();
    await reader.scanDeadLetters(dataset, (page) => page.forEach((l) => letters.set(`${l.source}#${l.position}`, l)));
    return { output, rows, letters };
  } finally {
    await client.close();
  }
}

/** The JVM started again after the kill (beforeAll failed when there is none). */
function restartedJob(spark: SparkProcess | undefined): SparkProcess {
  if (!spark) throw new Error("the Spark JVM was not restarted: see the suite's beforeAll");
  return spark;
}

/** The batch id of the first batch line a job printed (written or skipped as a replay). */
function firstBatch(spark: SparkProcess, job: string): number {
  const line = spark.lines.find((l) => l.startsWith(`[${job}] batch `));
  return line === undefined ? -1 : Number(/batch (\d+)/.exec(line)?.[1]);
}

describeSpark("Spark Structured Streaming, seed 001: a run's CSV files into PostgreSQL", () => {
  const correct = { schema: uniqueSchema('spark_ok'), cwd: tempDir(), runDir: '' };
  const append = { schema: uniqueSchema('spark_append'), cwd: tempDir(), runDir: '' };
  const corpus = { schema: uniqueSchema('spark_corpus'), dir: join(tempDir('harness-spark-corpus-'), 'ecommerce'), placed: [] as Placed[] };
  const work = tempDir('harness-spark-');
  let first: SparkProcess | undefined;
  let second: SparkProcess | undefined;
  let heldFiles: string[] = [];
  let rowsAtKill = 0;

  const scenario = (schema: string, faults: string, count: number, reset = true) =>
    [
      'name: spark-ecommerce',
      'seed: 41',
      'transport: { type: csv, rotateRecords: 250 }',
      'pipeline: { type: external, waitFor: 60s }',
      `sink: { schema: ${schema}, outageLimit: 2s${reset ? '' : ', reset: false'} }`,
      'datasets:',
      '  ecommerce:',
      `    count: ${count}`,
      `    faults: ${faults}`,
      '',
    ].join('\n');

  beforeAll(async () => {
    correct.runDir = await generate(correct.cwd, scenario(correct.schema, '{ duplicate: 0.04, malformed: 0.09, future: 0.02, late: 0.03 }', 3000), pgEnv);

    // The append job's table as the classic mistake has it: no key, dead letters not unique. No
    // duplicates in the data, so that every duplicate row is one the replay wrote.
    const appendScenario = writeScenario(append.cwd, scenario(append.schema, '{ malformed: 0.09, future: 0.02, late: 0.03 }', 1500, false), 'append.yaml');
    expect((await runCli(['sink', 'init', appendScenario], { cwd: append.cwd, env: pgEnv })).code).toBe(ExitCode.ok);
    await query(`DO $$ DECLARE r record; BEGIN
      FOR r IN SELECT conrelid::regclass AS t, conname FROM pg_constraint
        WHERE conrelid IN ('"${append.schema}".user_events'::regclass, '"${append.schema}".dead_letters'::regclass) AND contype IN ('p', 'u')
      LOOP EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.t, r.conname); END LOOP; END $$`);
    const produced = await runCli(['run', appendScenario, '--no-verify', '--quiet'], { cwd: append.cwd, env: pgEnv });
    expect(produced.code, produced.stderr).toBe(ExitCode.ok);
    append.runDir = latestRunDir(join(append.cwd, '.harness'));

    corpus.placed = writeCorpus(corpus.dir, 'ecommerce', ecommerceKinds);
    const corpusScenario = writeScenario(work, scenario(corpus.schema, '{}', 1), 'corpus.yaml');
    expect((await runCli(['sink', 'init', corpusScenario], { cwd: work, env: pgEnv })).code).toBe(ExitCode.ok);
    await query(`ALTER TABLE "${corpus.schema}".user_events ADD CONSTRAINT corpus_refuse CHECK (product_name <> '${REFUSED}')`);

    const args = [
      ...[
        'ecommerce',
        '--name',
        'correct',
        '--data',
        join(correct.runDir, 'data/ecommerce'),
        '--schema',
        correct.schema,
        '--checkpoint',
        join(work, 'ck-correct'),
      ],
      ...['--max-files-per-trigger', '1', '--hold-after-batch', '1', '--hold-for', '4s'],
      ...['--and', 'ecommerce', '--name', 'append', '--mode', 'append', '--data', join(append.runDir, 'data/ecommerce'), '--schema', append.schema],
      ...['--checkpoint', join(work, 'ck-append'), '--max-files-per-trigger', '1', '--hold-after-batch', '1', '--hold-for', '4s'],
      ...['--and', 'ecommerce', '--name', 'corpus', '--data', corpus.dir, '--schema', corpus.schema, '--checkpoint', join(work, 'ck-corpus')],
    ];
    const env = { ...process.env, PG_URL };
    const started = startSpark(args, { env, log: join(work, 'spark-1.log') });
    first = started;
    // The append job has committed batch 1 in PostgreSQL and holds before Spark records it: SIGKILL
    // now. The correct job is mid-stream (12 files, one a batch, held 4 s after its batch 1).
    const held = await started.waitFor(/^\[append\] batch 1 written/);
    heldFiles = /\(files ([^)]*)\)/.exec(held)?.[1]?.split(' ') ?? [];
    rowsAtKill = Number((await query<{ n: string }>(`SELECT count(*) AS n FROM "${append.schema}".user_events`))[0]?.n);
    await started.kill9();
    const restarted = startSpark(args, { env, log: join(work, 'spark-2.log') });
    second = restarted;
    expect(await restarted.exited, `see ${join(work, 'spark-2.log')}`).toEqual({ code: 0, signal: null });
  }, 420_000);

  afterAll(async () => {
    await first?.kill9();
    await second?.kill9();
    for (const schema of [correct.schema, append.schema, corpus.schema]) await dropSchema(schema);
  });

  it('the correct job, killed with SIGKILL mid-stream and restarted on its checkpoint: verify passes every check', async () => {
    // It resumed where Spark's checkpoint stood (not from batch 0), with files still to read.
    expect(firstBatch(restartedJob(second), 'correct')).toBeGreaterThanOrEqual(1);
    expect(restartedJob(second).lines.some((l) => /^\[correct\] batch \d+ written: [1-9]/.test(l))).toBe(true);
    const verified = await verify(correct.runDir, pgEnv);
    const { report } = verified;
    expectEveryCheckPasses(verified);
    expect(report.checks.map((c) => c.name)).toEqual(['exactly-once', 'values', 'dlq-capture', 'freshness', 'latency', 'throughput', 'series']);
    expect(check(report, 'exactly-once').figures).toMatchObject({ missing: 0, duplicateRows: 0 });
    expect(check(report, 'exactly-once').figures.generatorDuplicates).toBeGreaterThan(0);
    const dlq = check(report, 'dlq-capture');
    expect(dlq.figures.captured).toBe(dlq.figures.expected);
    // Every malformed kind the generator makes was dead-lettered, with its reason.
    const reasons = (await query<{ reason: string }>(`SELECT DISTINCT reason FROM "${correct.schema}".dead_letters ORDER BY 1`)).map((r) => r.reason);
    expect(reasons).toEqual([
      'column_count',
      'csv_parse',
      'future_timestamp',
      'invalid_event_type',
      'invalid_utf8',
      'missing_field',
      'negative_price',
      'view_with_price',
      'wrong_type',
    ]);
  });

  it('--mode append (plain INSERTs, no key, no batch id), killed and restarted: exactly-once fails naming exactly the rows the replay wrote twice', async () => {
    expect(heldFiles.length).toBeGreaterThan(0);
    expect(rowsAtKill).toBeGreaterThan(0);
    // Spark ran batch 1 again after the restart: its commit had not reached the checkpoint.
    expect(firstBatch(restartedJob(second), 'append')).toBe(1);
    const { generator, oracle, manifest } = truth(append.runDir, 'ecommerce');
    const files = manifest.datasets.ecommerce?.files ?? [];
    const replayedKeys = new Set<string>();
    let replayedLetters = 0;
    for (const file of files.filter((f) => heldFiles.includes(f.name))) {
      for (let index = file.firstIndex; index < file.firstIndex + file.count; index++) {
        const outcome = oracle.outcome(index);
        if (outcome.type === 'land') replayedKeys.add(generator.recordKey(index));
        else if (outcome.type === 'dlq') replayedLetters++;
      }
    }
    expect(replayedKeys.size).toBeGreaterThan(0);

    const { code, report } = await verify(append.runDir, pgEnv);
    expect(code).toBe(ExitCode.sloMissed);
    const once = check(report, 'exactly-once');
    expect(once.status).toBe('fail');
    expect(once.figures).toMatchObject({ missing: 0, unexpected: 0, duplicateKeys: replayedKeys.size, duplicateRows: replayedKeys.size });
    const named = once.samples.duplicated as string[];
    expect(named.length).toBe(Math.min(20, replayedKeys.size));
    for (const key of named) expect(replayedKeys.has(key), `${key} is not a row of the replayed batch`).toBe(true);
    expect(once.summary).toContain(`${replayedKeys.size} duplicate rows over ${replayedKeys.size} keys`);
    // The replay wrote its dead letters twice as well; nothing else is wrong.
    expect(check(report, 'dlq-capture').figures).toMatchObject({ missed: 0, duplicates: replayedLetters });
    expect(failing(report).sort()).toEqual(replayedLetters > 0 ? ['dlq-capture', 'exactly-once'] : ['exactly-once']);
  });

  it('the hostile-input corpus: every line lands intact or is dead-lettered with its reason and bytes, and the job finishes', async () => {
    const { output, rows, letters } = await sinkContents(corpus.schema, 'ecommerce');
    const { problems, expectedRows, expectedLetters } = corpusProblems(corpus.placed, output, rows, letters);
    expect(problems).toEqual([]);
    expect(rows.size).toBe(expectedRows);
    expect(letters.size).toBe(expectedLetters);
    expect(restartedJob(second).lines).toContain('[corpus] done: every record of the input is in');
  });
});

describeSpark('Spark Structured Streaming, seed 002: Kafka lol_matches into PostgreSQL with champion and position statistics', () => {
  describeIfKafkaBroker("on Apache Kafka's broker", () => {
    const home = () => ({ schema: uniqueSchema('spark_lol'), cwd: tempDir(), runDir: '', topic: uniqueTopic('spark_lol') });
    const correct = home();
    const watermark = home();
    const dropping = home();
    const corpus = { schema: uniqueSchema('spark_lolc'), topic: uniqueTopic('spark_corpus'), placed: [] as Placed[] };
    const work = tempDir('harness-spark-lol-');
    let env: NodeJS.ProcessEnv;
    let first: SparkProcess | undefined;
    let second: SparkProcess | undefined;

    const scenario = (h: { schema: string; topic: string }, count: number, faults: string) =>
      [
        'name: spark-lol',
        'seed: 42',
        `transport: { type: kafka, topics: { lol: { name: ${h.topic}, partitions: 3 } }, headers: true }`,
        'pipeline: { type: external, waitFor: 60s }',
        `sink: { schema: ${h.schema}, outageLimit: 2s }`,
        'datasets:',
        '  lol:',
        `    count: ${count}`,
        `    faults: ${faults}`,
        '',
      ].join('\n');

    beforeAll(async () => {
      env = { PG_URL, KAFKA_BROKERS: kafkaBootstrap() };
      correct.runDir = await generate(correct.cwd, scenario(correct, 300, '{ duplicate: 0.03, malformed: 0.1, future: 0.02, late: 0.03 }'), env);
      watermark.runDir = await generate(watermark.cwd, scenario(watermark, 300, '{ malformed: 0.05, late: 0.1 }'), env);
      dropping.runDir = await generate(dropping.cwd, scenario(dropping, 200, '{ duplicate: 0.03, malformed: 0.1, future: 0.03 }'), env);

      // The corpus on a topic of its own, one message a line, in order on one partition (so its
      // offset is its place); 10 MB lines need the topic's message size raised.
      const kafka = new Kafka({ brokers: [kafkaBootstrap()], logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({
        topics: [{ topic: corpus.topic, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: String(32 * 1024 * 1024) }] }],
      });
      await admin.disconnect();
      // A number longer than the JSON parser takes: Spark's job cannot parse the record at all.
      const unparsable = Buffer.from(
        `{"metadata":{"matchId":"CORPUS_HUGE"},"info":{"gameCreation":${'1'.repeat(1001)},"gameDuration":1800,"participants":[]}}`,
      );
      const lines = [
        ...lolKinds.flatMap((k) => k.lines.map((line) => ({ line, kind: k.kind }))),
        { line: { bytes: unparsable, expect: { reason: 'invalid_record' as const } }, kind: 'a 1001-digit number' },
      ];
      const producer = kafka.producer();
      await producer.connect();
      for (const [offset, { line, kind }] of lines.entries()) {
        await producer.send({ topic: corpus.topic, acks: -1, messages: [{ value: line.bytes, partition: 0 }] });
        corpus.placed.push({ source: `${corpus.topic}:0`, position: offset, line, kind });
      }
      await producer.disconnect();
      const corpusScenario = writeScenario(work, scenario({ schema: corpus.schema, topic: corpus.topic }, 1, '{}'), 'corpus.yaml');
      expect((await runCli(['sink', 'init', corpusScenario], { cwd: work, env })).code).toBe(ExitCode.ok);
      await query(`ALTER TABLE "${corpus.schema}".lol_participants ADD CONSTRAINT corpus_refuse CHECK (summoner_name <> '${REFUSED}')`);

      const args = [
        ...['lol', '--name', 'correct', '--run', correct.runDir, '--schema', correct.schema, '--checkpoint', join(work, 'ck-correct')],
        ...['--max-offsets-per-trigger', '60', '--hold-after-batch', '1', '--hold-for', '4s'],
        ...['--and', 'lol', '--name', 'watermark', '--run', watermark.runDir, '--schema', watermark.schema, '--checkpoint', join(work, 'ck-watermark')],
        ...['--max-offsets-per-trigger', '60', '--watermark', '30m'],
        ...[
          '--and',
          'lol',
          '--name',
          'drop',
          '--mode',
          'drop-malformed',
          '--run',
          dropping.runDir,
          '--schema',
          dropping.schema,
          '--checkpoint',
          join(work, 'ck-drop'),
        ],
        ...[
          '--and',
          'lol',
          '--name',
          'corpus',
          '--topic',
          corpus.topic,
          '--bootstrap',
          kafkaBootstrap(),
          '--schema',
          corpus.schema,
          '--checkpoint',
          join(work, 'ck-corpus'),
        ],
      ];
      const sparkEnv = { ...process.env, ...env };
      const started = startSpark(args, { env: sparkEnv, log: join(work, 'spark-1.log') });
      first = started;
      await started.waitFor(/^\[correct\] batch 1 written/);
      await started.kill9();
      const restarted = startSpark(args, { env: sparkEnv, log: join(work, 'spark-2.log') });
      second = restarted;
      expect(await restarted.exited, `see ${join(work, 'spark-2.log')}`).toEqual({ code: 0, signal: null });
    }, 480_000);

    afterAll(async () => {
      await first?.kill9();
      await second?.kill9();
      for (const schema of [correct.schema, watermark.schema, dropping.schema, corpus.schema]) await dropSchema(schema);
    });

    it('the correct job, killed with SIGKILL mid-stream and restarted on its checkpoint: verify passes every check, statistics and dead-letter topic included', async () => {
      expect(firstBatch(restartedJob(second), 'correct')).toBeGreaterThanOrEqual(1);
      const verified = await verify(correct.runDir, env);
      const { report } = verified;
      expectEveryCheckPasses(verified);
      expect(report.checks.map((c) => c.name)).toEqual([
        'exactly-once',
        'values',
        'dlq-capture',
        'dlq-topic',
        'aggregates',
        'freshness',
        'latency',
        'throughput',
        'series',
      ]);
      expect(check(report, 'aggregates').figures.groupsCompared).toBe(check(report, 'aggregates').figures.groupsExpected);
      const reasons = (await query<{ reason: string }>(`SELECT DISTINCT reason FROM "${correct.schema}".dead_letters ORDER BY 1`)).map((r) => r.reason);
      expect(reasons).toEqual([
        'duplicate_participant',
        'future_timestamp',
        'invalid_duration',
        'invalid_utf8',
        'json_parse',
        'missing_field',
        'negative_stat',
        'participant_count',
        'wrong_type',
      ]);
    });

    it("--watermark 30m (shorter than the generator's 1-6 h late matches): aggregates fails, naming exactly the late windows Spark dropped or cut", async () => {
      const { generator, oracle } = truth(watermark.runDir, 'lol');
      if (!(generator instanceof LolGenerator)) throw new Error('the lol generator');
      // Participants per (statistic, group, window) over every landing match, and which are late.
      const expected = new Map<string, number>();
      const late = new Set<string>();
      for (let index = 0; index < oracle.count; index++) {
        const outcome = oracle.outcome(index);
        if (outcome.type !== 'land') continue;
        const match = generator.emitted(index, outcome.plan);
        const window = new Date(Math.floor(match.info.gameCreation / 300_000) * 300_000).toISOString();
        for (const p of match.info.participants) {
          for (const key of [`champion "${p.championName}" window ${window}`, `position "${p.teamPosition}" window ${window}`]) {
            expected.set(key, (expected.get(key) ?? 0) + 1);
            if (outcome.plan.kind === 'late') late.add(key);
          }
        }
      }
      const kept = new Map<string, number>();
      for (const [stat, table, group] of [
        ['champion', 'lol_champion_stats', 'champion_name'],
        ['position', 'lol_position_stats', 'position'],
      ] as const) {
        const rows = await query<{ grp: string; win: Date; games: string }>(
          `SELECT ${group} AS grp, window_start AS win, games_played AS games FROM "${watermark.schema}".${table} WHERE window_start IS NOT NULL`,
        );
        for (const r of rows) kept.set(`${stat} "${r.grp}" window ${r.win.toISOString()}`, Number(r.games));
      }
      const missing = [...expected.keys()].filter((key) => !kept.has(key));
      const cut = [...expected.entries()].filter(([key, n]) => kept.has(key) && kept.get(key) !== n).map(([key]) => key);
      expect(missing.length + cut.length).toBeGreaterThan(0);
      for (const key of [...missing, ...cut]) expect(late.has(key), `${key} is not a late window`).toBe(true);

      const { code, report } = await verify(watermark.runDir, env);
      expect(code).toBe(ExitCode.sloMissed);
      expect(failing(report)).toEqual(['aggregates']);
      const aggregates = check(report, 'aggregates');
      expect(aggregates.figures).toMatchObject({ missing: missing.length, groupsWrong: cut.length, extra: 0 });
      for (const sample of aggregates.samples.missing as string[]) expect(missing).toContain(sample);
      for (const sample of aggregates.samples.wrong as string[]) expect(cut.some((key) => sample.startsWith(`${key} `))).toBe(true);
    });

    it("--mode drop-malformed (seed 000's finding): dlq-capture fails with exactly the records the job lost", async () => {
      const { oracle } = truth(dropping.runDir, 'lol');
      const lost = new Map<number, string>();
      for (let index = 0; index < oracle.count; index++) {
        const outcome = oracle.outcome(index);
        if (outcome.type === 'dlq') lost.set(index, outcome.reason);
      }
      expect(lost.size).toBeGreaterThan(0);
      const { code, report } = await verify(dropping.runDir, env);
      expect(code).toBe(ExitCode.sloMissed);
      // The table and the dead-letter topic both lack them; rows and statistics are right.
      expect(failing(report).sort()).toEqual(['dlq-capture', 'dlq-topic']);
      const dlq = check(report, 'dlq-capture');
      expect(dlq.figures).toMatchObject({ expected: lost.size, missed: lost.size, captured: 0, wrongReason: 0 });
      const named = dlq.samples.missed as string[];
      expect(named.length).toBe(Math.min(20, lost.size));
      for (const sample of named) {
        const [, index, reason] = /^#(\d+) \((\w+)\)$/.exec(sample) ?? [];
        expect(lost.get(Number(index)), sample).toBe(reason);
      }
    });

    it('the hostile-input corpus on a topic: every message lands or is dead-lettered with its reason and bytes (one Spark cannot parse as invalid_record), and the job finishes', async () => {
      const { output, rows, letters } = await sinkContents(corpus.schema, 'lol');
      const { problems, expectedRows, expectedLetters } = corpusProblems(corpus.placed, output, rows, letters);
      expect(problems).toEqual([]);
      expect(rows.size).toBe(expectedRows);
      expect(letters.size).toBe(expectedLetters);
      expect(letters.get(`${corpus.topic}:0#${corpus.placed.length - 1}`)?.reason).toBe('invalid_record');
      expect(restartedJob(second).lines).toContain('[corpus] done: every record of the input is in');
    });
  });
});
