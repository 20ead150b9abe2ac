import { randomBytes } from 'node:crypto';
import type { Client } from '@elastic/elasticsearch';
import { describe } from 'vitest';
import { openClient } from '../../connectors/sinks/elasticsearch/client.ts';
import { elasticsearch } from '../../connectors/sinks/elasticsearch/index.ts';
import { elasticsearchSinkSpec, type ElasticsearchLocation, type ElasticsearchSinkSpec } from '../../connectors/sinks/elasticsearch/spec.ts';
import { statisticsIndices } from '../../connectors/sinks/elasticsearch/statistics.ts';
import type { SinkComponent, SinkSetup } from '../../connectors/sinks/sink.ts';
import type { DatasetName } from '../../generators/generator.ts';
import type { OutputRow } from '../../pipeline/output.ts';
import { FakeCluster } from './elasticsearch-fake.ts';

/**
 * The real cluster, when ES_URL names one (docker compose up elasticsearch, then
 * ES_URL=http://localhost:9200). Without it the live suite is skipped, saying so.
 */
export const ES_URL = process.env.ES_URL;

export const describeIfElasticsearch = ES_URL ? describe : describe.skip;

if (!ES_URL) {
  console.warn(
    'Elasticsearch live tests skipped: set ES_URL=http://localhost:9200 (docker compose up -d elasticsearch) to run them; the contract tests run on @elastic/elasticsearch-mock.',
  );
}

/** One cluster a test talks to: the component as the runner uses it, a client of its own, and a spec with index names of its own. */
export interface EsTarget {
  component: SinkComponent<ElasticsearchSinkSpec, ElasticsearchLocation>;
  env: NodeJS.ProcessEnv;
  location: ElasticsearchLocation;
  spec: ElasticsearchSinkSpec;
  /** For inspecting what landed: the test's own client. */
  client: Client;
  /** The in-memory cluster, when not live. */
  fake: FakeCluster | null;
  /** Deletes the indices the test made (live) and closes the client. */
  cleanup(): Promise<void>;
}

/** A spec whose every index name is unique to the test, so tests never see each other's documents. */
export function uniqueSpec(overrides: Record<string, unknown> = {}): ElasticsearchSinkSpec {
  const prefix = `harness_t_${randomBytes(4).toString('hex')}_`;
  return elasticsearchSinkSpec.parse({
    type: 'elasticsearch',
    indices: {
      ecommerce: `${prefix}user_events`,
      lol: `${prefix}lol_matches_stream`,
      dlq: `${prefix}dead_letters`,
      checkpoints: `${prefix}checkpoints`,
      locks: `${prefix}locks`,
    },
    statistics: { lol: { champion: { index: `${prefix}lol_champion_stats` }, position: { index: `${prefix}lol_position_stats` } } },
    // Quick to give up in tests where the cluster is meant to be away.
    outageLimit: '2s',
    ...overrides,
  });
}

/** Every index the spec names: the data, dead-letter, checkpoint and lock indices, and the statistics'. */
export function indicesOf(spec: ElasticsearchSinkSpec): string[] {
  return [...Object.values(spec.indices), ...(statisticsIndices(spec, 'lol') ?? []).map((kept) => kept.where)];
}

async function fakeTarget(overrides: Record<string, unknown>): Promise<EsTarget> {
  const fake = new FakeCluster();
  const env = { ES_URL: 'http://localhost:9200' };
  const component = fake.component();
  return { component, env, location: component.locate(env, ''), spec: uniqueSpec(overrides), client: fake.client(env), fake, cleanup: async () => {} };
}

async function liveTarget(overrides: Record<string, unknown>): Promise<EsTarget> {
  const env = { ...process.env };
  const spec = uniqueSpec(overrides);
  const client = openClient(env, null);
  return {
    component: elasticsearch,
    env,
    location: elasticsearch.locate(env, ''),
    spec,
    client,
    fake: null,
    async cleanup() {
      // By name: action.destructive_requires_name refuses wildcards.
      await client.indices.delete({ index: indicesOf(spec), ignore_unavailable: true }).catch(() => {});
      await client.close();
    },
  };
}

/** Where the sink and reader tests run: the mock always, the live cluster when ES_URL is set. */
export const esBackends: { name: string; target: (overrides?: Record<string, unknown>) => Promise<EsTarget> }[] = [
  { name: 'mock', target: (overrides = {}) => fakeTarget(overrides) },
  ...(ES_URL ? [{ name: 'live', target: (overrides: Record<string, unknown> = {}) => liveTarget(overrides) }] : []),
];

export function setupFor(datasets: DatasetName[], options: Partial<SinkSetup> = {}): SinkSetup {
  return { datasets, reset: true, uniqueKeys: true, uniqueDeadLetters: true, log: () => {}, ...options };
}

export const AT = Date.UTC(2026, 0, 1, 12, 0, 0, 123);

/** A participant row of seed 002's output; `change` replaces fields (a poisoned value, say). */
export function participant(matchId: string, participantId: number, change: Partial<Record<string, unknown>> = {}): OutputRow {
  return {
    match_id: matchId,
    participant_id: participantId,
    game_creation: AT,
    game_duration: 1800,
    summoner_name: `Player${participantId}`,
    champion_name: 'Ahri',
    team_id: participantId <= 5 ? 100 : 200,
    position: 'MIDDLE',
    win: participantId <= 5,
    kills: 10,
    deaths: 2,
    assists: 15,
    kda: 12.5,
    total_damage_dealt: 50_000,
    gold_earned: 15_000,
    cs: 200,
    vision_score: 30,
    gold_per_minute: 500,
    damage_per_minute: 1666.67,
    cs_per_minute: 6.67,
    ...change,
  };
}

/** An e-commerce row of seed 001's output. */
export function purchase(eventId: string, change: Partial<Record<string, unknown>> = {}): OutputRow {
  return {
    event_id: eventId,
    user_id: 'USER_000001',
    product_id: 'PROD_0001',
    product_name: 'Lamp, "tall"',
    product_category: 'Home & Garden',
    event_type: 'purchase',
    price: 19.99,
    event_timestamp: AT,
    ...change,
  };
}
