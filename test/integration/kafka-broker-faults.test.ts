import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import { ExitCode } from '../../core/exit-codes.ts';
import { latestRunDir, loadManifest, type RunManifest } from '../../runs/manifest.ts';
import type { Report } from '../../verifier/report.ts';
import { describeIfKafkaBroker, startKafkaBroker, uniqueTopic, type KafkaBroker } from '../helpers/kafka.ts';
import { describeIfPostgres, dropSchema, PG_URL, uniqueSchema } from '../helpers/postgres.ts';
import { tempDir, writeScenario } from '../helpers/scenario.ts';

const count = 1000;

function scenario(options: { topic: string; schema: string; rate: number; pipelineFaults?: string }): string {
  return [
    'name: kafka-broker-faults',
    'seed: 31',
    `transport: { type: kafka, topics: { lol: { name: ${options.topic}, partitions: 3 } }, batchSize: 100 }`,
    `pipeline: { type: reference, batchSize: 100, pollInterval: 20ms${options.pipelineFaults ? `, faults: ${options.pipelineFaults}` : ''} }`,
    `sink: { schema: ${options.schema} }`,
    'datasets:',
    `  lol: { count: ${count}, rate: ${options.rate}, faults: { duplicate: 0.03, malformed: 0.05, future: 0.01, late: 0.02 } }`,
  ].join('\n');
}

/** The run's manifest once it is written, else null. */
function manifestOf(cwd: string): RunManifest | null {
  try {
    return loadManifest(latestRunDir(join(cwd, '.harness')));
  } catch {
    return null;
  }
}

/**
 * `harness run --verbose` in this process, its stderr followed as it comes. Once `due` says so
 * (polled every 50 ms), the broker's JVM is killed with SIGKILL, left down `downMs`, and started
 * again on the same storage and ports while the run goes on.
 */
async function runThroughKill(broker: KafkaBroker, cwd: string, path: string, due: (stderr: string, manifest: RunManifest | null) => boolean, downMs = 1000) {
  let stderr = '';
  const run = main(['run', path, '--verbose'], {
    stdout: () => {},
    stderr: (text) => (stderr += text),
    env: { KAFKA_BROKERS: broker.bootstrap, PG_URL },
    cwd,
  });
  const ended = run.then(() => true);
  while (!due(stderr, manifestOf(cwd))) {
    if (await Promise.race([ended, sleep(50).then(() => false)])) throw new Error(`the run ended before the broker could be killed:\n${stderr}`);
  }
  const pid = broker.pid();
  const atKill = { stderr, manifest: manifestOf(cwd) };
  await broker.kill('SIGKILL');
  await sleep(downMs);
  await broker.restart();
  expect(broker.pid()).not.toBe(pid);
  const code = await run;
  return { code, stderr, atKill };
}

/** What a run that rode out the kill must show: every record once in the sink and the dead letters, each message of the topic consumed once. */
function expectNothingLostOrDoubled(cwd: string) {
  const runDir = latestRunDir(join(cwd, '.harness'));
  const manifest = loadManifest(runDir);
  if (manifest.transport.type !== 'kafka') throw new Error('expected a kafka transport');
  const topic = manifest.transport.topics.lol!;
  const inTopic = Object.keys(topic.end).reduce((n, p) => n + topic.end[Number(p)]! - topic.start[Number(p)]!, 0);
  expect(manifest.datasets.lol).toMatchObject({ records: count, complete: true });
  // A produce request in flight at the kill may have been written and then retried: the topic can
  // hold a message twice (the producer is not idempotent), never less than every record.
  expect(inTopic).toBeGreaterThanOrEqual(count);
  // The pipeline read every message of the run's range once: none skipped, none re-read after the restart.
  expect(manifest.pipeline?.completed).toBe(true);
  expect(manifest.pipeline?.datasets.lol?.records).toBe(inTopic);
  const report = JSON.parse(readFileSync(join(runDir, 'report.json'), 'utf8')) as Report;
  const figures = (check: string) => report.checks.find((c) => c.name === check)?.figures;
  expect(figures('exactly-once')).toMatchObject({ missing: 0, duplicateRows: 0, unexpected: 0 });
  expect(figures('exactly-once')?.rows).toBe(figures('exactly-once')?.expected);
  expect(figures('dlq-capture')).toMatchObject({ missed: 0, duplicates: 0, validDeadLettered: 0 });
  expect(figures('dlq-topic')).toMatchObject({ missed: 0, wrongReason: 0, conflicting: 0, validDeadLettered: 0 });
  expect(report.verdict).toBe('pass');
}

describeIfKafkaBroker("Apache Kafka's broker killed with -9 and restarted on the same storage", () => {
  describeIfPostgres('into the PostgreSQL server', () => {
    it('mid-produce: harness run rides it out, nothing lost or doubled', async () => {
      // A broker of its own, to kill.
      const broker = await startKafkaBroker({ partitions: 3 });
      const schema = uniqueSchema();
      try {
        const cwd = tempDir();
        // Paced: 1000 records at 200/s take five seconds, so the kill lands while producing.
        const path = writeScenario(cwd, scenario({ topic: uniqueTopic(), schema, rate: 200 }));
        const { code, stderr, atKill } = await runThroughKill(broker, cwd, path, (_, manifest) => (manifest?.datasets.lol?.records ?? 0) >= 250);
        expect(code, stderr.slice(-3000)).toBe(ExitCode.ok);
        expect(atKill.manifest?.datasets.lol?.records).toBeLessThan(count);
        expectNothingLostOrDoubled(cwd);
      } finally {
        await broker.stop();
        await dropSchema(schema);
      }
    });

    it('mid-consume: the pipeline rides it out once production is over, nothing lost or doubled', async () => {
      const broker = await startKafkaBroker({ partitions: 3 });
      const schema = uniqueSchema();
      try {
        const cwd = tempDir();
        // Produced at once; the pipeline held to 2500 rows/s (about 250 matches/s, four seconds),
        // so the kill lands between its batches.
        const path = writeScenario(cwd, scenario({ topic: uniqueTopic(), schema, rate: 0, pipelineFaults: '{ maxRowsPerSec: 2500 }' }));
        const batches = (stderr: string) => (stderr.match(/\[lol\] batch \d+:/g) ?? []).length;
        const { code, stderr, atKill } = await runThroughKill(
          broker,
          cwd,
          path,
          (text, manifest) => manifest?.datasets.lol?.complete === true && batches(text) >= 2,
        );
        expect(code, stderr.slice(-3000)).toBe(ExitCode.ok);
        expect(atKill.manifest?.pipeline).toBeNull();
        expect(batches(stderr)).toBeGreaterThan(batches(atKill.stderr));
        expectNothingLostOrDoubled(cwd);
      } finally {
        await broker.stop();
        await dropSchema(schema);
      }
    });
  });
});
