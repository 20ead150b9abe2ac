import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, expect, inject, it } from 'vitest';
import { openClient } from '../../connectors/sinks/elasticsearch/client.ts';
import { ExitCode } from '../../core/exit-codes.ts';
import { latestRunDir } from '../../runs/manifest.ts';
import type { Report } from '../../verifier/report.ts';
import { runCli } from '../helpers/cli.ts';
import { describeIfElasticsearch, ES_URL } from '../helpers/elasticsearch.ts';
import { tempDir } from '../helpers/scenario.ts';

const root = join(import.meta.dirname, '../..');

/**
 * Seed 002 end to end on a real cluster: `harness run scenarios/lol-elasticsearch.yaml` as a user
 * types it, Kafka (KAFKA_BROKERS, else the tests' Apache Kafka broker) into Elasticsearch (ES_URL), then
 * `harness verify`. The sink and reader contract tests run on this cluster too
 * (elasticsearch-sink, elasticsearch-verify), as their `live` cases.
 */
const kafkaFromEnv = process.env.KAFKA_BROKERS;
const kafkaReason = kafkaFromEnv ? null : inject('kafkaBrokerUnavailable');

if (ES_URL && kafkaReason) console.warn(`Elasticsearch end-to-end run skipped: no KAFKA_BROKERS and no Kafka test broker (${kafkaReason})`);

describeIfElasticsearch('harness run scenarios/lol-elasticsearch.yaml (live)', () => {
  const prefix = `harness_e2e_${randomBytes(4).toString('hex')}_`;
  const indices = ['lol_matches_stream', 'lol_champion_stats', 'lol_position_stats', 'harness_dead_letters', 'harness_checkpoints', 'harness_locks'].map(
    (name) => `${prefix}${name}`,
  );

  afterAll(async () => {
    const client = openClient(process.env, null);
    await client.indices.delete({ index: indices, ignore_unavailable: true }).catch(() => {});
    await client.close();
  });

  it.skipIf(kafkaReason !== null)(
    "meets seed 002's expectations: every row exactly once, under 5 s, no document refused, the statistics exact",
    { timeout: 300_000 },
    async () => {
      const cwd = tempDir();
      const env = { ...process.env, KAFKA_BROKERS: kafkaFromEnv ?? inject('kafkaBroker') ?? undefined, KAFKA_TOPIC_PREFIX: prefix, ES_INDEX_PREFIX: prefix };
      const run = await runCli(['run', join(root, 'scenarios/lol-elasticsearch.yaml'), '--no-verify', '--quiet'], { cwd, env });
      expect(run.code, run.stderr).toBe(ExitCode.ok);
      const verify = await runCli(['verify', '--run', latestRunDir(join(cwd, '.harness')), '--json'], { cwd, env });
      const report = JSON.parse(verify.stdout) as Report;
      const check = (name: string) => report.checks.find((c) => c.name === name);
      expect(check('exactly-once')?.figures).toMatchObject({ missing: 0, duplicateRows: 0, unexpected: 0 });
      expect(check('dlq-capture')?.figures).toMatchObject({ missed: 0, validDeadLettered: 0 });
      // Every check passes, the champion and position statistics (aggregates) among them.
      expect(report.checks.filter((c) => c.status !== 'pass').map((c) => `${c.name}: ${c.summary}`)).toEqual([]);
      expect(check('aggregates')?.figures).toMatchObject({ groupsWrong: 0, missing: 0, extra: 0 });
      expect(verify.code).toBe(report.verdict === 'pass' ? ExitCode.ok : ExitCode.sloMissed);
    },
  );
});
