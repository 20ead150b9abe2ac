import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sinks } from '../../connectors/sinks/index.ts';
import { ExitCode } from '../../core/exit-codes.ts';
import { latestRunDir, loadManifest } from '../../runs/manifest.ts';
import type { Report } from '../../verifier/report.ts';
import { runCli } from '../helpers/cli.ts';
import { FakeCluster } from '../helpers/elasticsearch-fake.ts';
import { describeIfKafkaBroker, kafkaBootstrap, uniqueTopic } from '../helpers/kafka.ts';
import { tempDir, writeScenario } from '../helpers/scenario.ts';

const root = join(import.meta.dirname, '../..');

/**
 * The shipped scenarios/lol-elasticsearch.yaml through the CLI, as a user runs it, with the tests'
 * Apache Kafka broker and the in-memory Elasticsearch node standing in for the cluster (the registry's
 * component swapped for one whose client talks to the mock). Only the match count is cut, so the
 * run takes seconds; topic, rate, batching, indices, settings and SLOs are the file's own.
 * elasticsearch-live.test.ts runs the file unchanged against a real cluster.
 */
describeIfKafkaBroker('scenarios/lol-elasticsearch.yaml through the CLI (Apache Kafka broker, in-memory Elasticsearch)', () => {
  const fake = new FakeCluster();
  const real = sinks.elasticsearch;

  beforeAll(() => {
    sinks.elasticsearch = () => Promise.resolve(fake.component());
  });

  afterAll(() => {
    sinks.elasticsearch = real;
  });

  it("runs seed 002's flow into lol_matches_stream with its statistics and passes every check", { timeout: 120_000 }, async () => {
    const cwd = tempDir();
    const shipped = readFileSync(join(root, 'scenarios/lol-elasticsearch.yaml'), 'utf8');
    expect(shipped).toContain('count: 120');
    const path = writeScenario(cwd, shipped.replace('count: 120', 'count: 16'));
    const env = { KAFKA_BROKERS: kafkaBootstrap(), KAFKA_TOPIC_PREFIX: `${uniqueTopic()}_`, ES_URL: 'http://elastic:changeme@localhost:9200' };
    const run = await runCli(['run', path, '--no-verify'], { cwd, env });
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    expect(run.stderr).toContain('created index lol_matches_stream on Elasticsearch at http://localhost:9200');
    const runDir = latestRunDir(join(cwd, '.harness'));
    expect(loadManifest(runDir).sink).toEqual({ kind: 'elasticsearch', url: 'http://localhost:9200' });
    expect(readFileSync(join(runDir, 'manifest.json'), 'utf8')).not.toContain('changeme');
    const settings = fake.indices.get('lol_matches_stream')?.settings;
    expect(settings).toMatchObject({ number_of_shards: 3, number_of_replicas: 1, refresh_interval: '5s' });

    const verify = await runCli(['verify', '--run', runDir, '--json'], { cwd, env });
    const report = JSON.parse(verify.stdout) as Report;
    const check = (name: string) => report.checks.find((c) => c.name === name);
    expect(check('exactly-once')?.figures).toMatchObject({ missing: 0, duplicateRows: 0, unexpected: 0 });
    expect(check('latency')?.slos.find((s) => s.name === 'latency.p99')).toMatchObject({ limit: 5000, met: true });
    expect(check('throughput')?.slos.find((s) => s.name === 'throughput.minIngestedPerSec')).toMatchObject({ limit: 15, met: true });
    // Every check passes, the champion and position statistics among them.
    expect(report.checks.filter((c) => c.status !== 'pass').map((c) => `${c.name}: ${c.summary}`)).toEqual([]);
    expect(check('aggregates')?.figures).toMatchObject({ groupsWrong: 0, missing: 0, extra: 0 });
    expect(check('aggregates')?.figures.groupsCompared).toBeGreaterThan(0);
    expect(fake.docs('lol_champion_stats').size).toBeGreaterThan(0);
    expect(verify.code).toBe(ExitCode.ok);
    // The lock documents are gone once the run is over.
    expect(fake.docs('harness_locks').size).toBe(0);
  });
});
