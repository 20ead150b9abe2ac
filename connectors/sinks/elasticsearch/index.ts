import { HarnessError } from '../../../core/errors.ts';
import { waitOutOutage } from '../../../pipeline/outage.ts';
import type { SinkComponent } from '../sink.ts';
import { describeCluster, esLocationFor, openClient, type ClientFactory } from './client.ts';
import { esJudge, explainAuthFailure, preparingFailure } from './failures.ts';
import { prepareIndices } from './indices.ts';
import { lockIndices } from './lock.ts';
import { EsSinkProbe } from './probe.ts';
import { EsSinkReader } from './reader.ts';
import { elasticsearchSinkSpec, type ElasticsearchLocation, type ElasticsearchSinkSpec } from './spec.ts';
import { EsSinkWriter } from './writer.ts';

/**
 * Elasticsearch at ES_URL as a sink component. `connect` is the client factory: the environment's
 * by default; contract tests pass one whose client talks to @elastic/elasticsearch-mock, and so
 * drive the very component the runner uses.
 */
export function elasticsearchComponent(
  connect: ClientFactory = (env, location) => openClient(env, location),
): SinkComponent<ElasticsearchSinkSpec, ElasticsearchLocation> {
  /** A client that has reached the cluster: as the SQL reader's connect, a cluster that is down or restarting is waited for, then exit 3. */
  const connected = async (env: NodeJS.ProcessEnv, location: ElasticsearchLocation, spec: ElasticsearchSinkSpec, log: (line: string) => void) => {
    const client = connect(env, ours(location));
    const description = describeCluster(env, location);
    try {
      await waitOutOutage(esJudge(description), 'connecting', () => client.info(), { limitMs: spec.outageLimit }, log).catch((error: unknown) => {
        throw explainAuthFailure(error, description, 'connecting');
      });
    } catch (error) {
      await client.close();
      throw error;
    }
    return { client, description };
  };
  return {
    spec: elasticsearchSinkSpec,
    locate: (env) => esLocationFor(env),
    shared: () => true,
    async openWriter(location, spec, env, setup) {
      return new EsSinkWriter(connect(env, ours(location)), { spec, ...setup, description: describeCluster(env, location) });
    },
    async init(location, spec, env, setup) {
      const client = connect(env, ours(location));
      const description = describeCluster(env, location);
      try {
        const names = await waitOutOutage(
          esJudge(description),
          'preparing the indices',
          () =>
            prepareIndices(client, spec, setup.datasets, { reset: setup.reset, description, log: setup.log }).catch((error: unknown) => {
              throw preparingFailure(error, description);
            }),
          { limitMs: spec.outageLimit },
          setup.log,
        );
        return `${description}: indices ${names.join(', ')}`;
      } finally {
        await client.close();
      }
    },
    async openReader(location, spec, env, log) {
      const { client, description } = await connected(env, location, spec, log);
      return new EsSinkReader(client, spec, description, log);
    },
    async openProbe(location, spec, env) {
      const { client, description } = await connected(env, location, spec, () => {});
      return new EsSinkProbe(client, spec, description);
    },
    async lock(location, spec, env, who) {
      const client = connect(env, ours(location));
      const description = describeCluster(env, location);
      // lock() is not told the run's datasets: it takes every data index the spec names, as the SQL lock takes the whole schema.
      const lock = await lockIndices(client, spec, ['ecommerce', 'lol'], who, { description }).catch(async (error: unknown) => {
        await client.close();
        throw error;
      });
      return {
        hold: () => lock.hold(),
        async release() {
          await lock.release();
          await client.close();
        },
      };
    },
  };
}

/** A location of another sink kind means the manifest and the scenario disagree: say so instead of misreading it. */
function ours(location: { kind: string }): ElasticsearchLocation {
  if (location.kind !== 'elasticsearch')
    throw new HarnessError('config', `the run's sink location is ${location.kind}, but its scenario's sink.type is elasticsearch`);
  return location as ElasticsearchLocation;
}

export const elasticsearch = elasticsearchComponent();
