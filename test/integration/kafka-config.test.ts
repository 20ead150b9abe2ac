import { createServer, connect, type Server, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { reachBrokers } from '../../connectors/transports/kafka/client.ts';
import { kafka, type KafkaLocation } from '../../connectors/transports/kafka/index.ts';
import { kafkaSpec } from '../../connectors/transports/kafka/spec.ts';
import { HarnessError } from '../../core/errors.ts';
import { ExitCode } from '../../core/exit-codes.ts';
import { createGenerator } from '../../generators/index.ts';
import { generatorConfig } from '../../scenarios/datasets.ts';
import { parseScenario } from '../../scenarios/load.ts';
import { runCli } from '../helpers/cli.ts';
import { describeIfKafkaBroker, kafkaBootstrap, uniqueTopic } from '../helpers/kafka.ts';
import { dropSchema, PG_URL, uniqueSchema } from '../helpers/postgres.ts';
import { tempDir, writeScenario } from '../helpers/scenario.ts';

/** A port nothing listens on: bound, then released. */
async function closedPort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Forwards host:port to target: a broker that appears late, or on another address. */
async function forward(host: string, port: number, target: string): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  const [targetHost, targetPort] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const open = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((client) => {
    connections++;
    const upstream = connect(targetPort, targetHost);
    open.add(client).add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  return {
    port: (server.address() as { port: number }).port,
    connections: () => connections,
    close: async () => {
      for (const socket of open) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const hasIpv6Loopback = Object.values(networkInterfaces())
  .flat()
  .some((i) => i?.address === '::1');

function kafkaScenario(extra = '', schema = 'harness'): string {
  return [
    'name: kafka-config',
    'seed: 3',
    `transport: { type: kafka, topics: { lol: { name: ${uniqueTopic()} } }, batchSize: 50${extra} }`,
    'pipeline: { type: reference, batchSize: 50, pollInterval: 20ms }',
    `sink: { schema: ${schema} }`,
    'datasets:',
    '  lol: { count: 60 }',
  ].join('\n');
}

const noStack = /^\s+at /m;

describe('Kafka configuration errors through the CLI', () => {
  const schema = uniqueSchema();
  afterAll(() => dropSchema(schema));

  it('a malformed KAFKA_BROKERS is exit 2 at once, naming the variable', async () => {
    const cwd = tempDir();
    const path = writeScenario(cwd, kafkaScenario());
    const started = Date.now();
    const run = await runCli(['run', path], { cwd, env: { KAFKA_BROKERS: 'not a broker' } });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(run.code, run.stderr).toBe(ExitCode.usage);
    expect(run.stderr).toContain('error: KAFKA_BROKERS="not a broker": "not a broker" is not host:port (e.g. localhost:9092)');
    expect(run.stderr).not.toMatch(noStack);
  });

  it('unreachable brokers are exit 3 within connectTimeout, naming KAFKA_BROKERS and the addresses tried', async () => {
    const cwd = tempDir();
    const [first, second] = [await closedPort(), await closedPort()];
    const path = writeScenario(cwd, kafkaScenario(', connectTimeout: 3s', schema));
    const started = Date.now();
    const run = await runCli(['run', path], { cwd, env: { KAFKA_BROKERS: `127.0.0.1:${first},127.0.0.1:${second}`, ...(PG_URL ? { PG_URL } : {}) } });
    const elapsed = Date.now() - started;
    expect(run.code, run.stderr).toBe(ExitCode.unreachable);
    expect(run.stderr).toContain(`error: Kafka brokers from KAFKA_BROKERS (127.0.0.1:${first}, 127.0.0.1:${second}) could not be reached within 3s: `);
    expect(run.stderr).toMatch(/ECONNREFUSED 127\.0\.0\.1/);
    expect(run.stderr).not.toMatch(noStack);
    expect(elapsed).toBeGreaterThanOrEqual(3000);
    // The budget runs while the sink opens. A server sink is quick, so the budget is nearly all of
    // the time; the embedded one (PGlite) can take longer than the budget on a loaded machine.
    expect(elapsed).toBeLessThan(PG_URL ? 6000 : 45_000);
  });
});

describe('the first contact is bounded', () => {
  const spec = (connectTimeout: string) => kafkaSpec.parse({ type: 'kafka', connectTimeout });

  it("a run's prepare gives up after connectTimeout with HarnessError('unreachable')", async () => {
    const port = await closedPort();
    const lines: string[] = [];
    const transport = kafka.create(spec('2s'), { runId: 'r', runDir: tempDir(), env: { KAFKA_BROKERS: `localhost:${port}` }, log: (l) => lines.push(l) });
    const started = Date.now();
    const error = await transport.prepare(['lol']).then(
      () => null,
      (e: unknown) => e,
    );
    const elapsed = Date.now() - started;
    await transport.close();
    expect(error).toBeInstanceOf(HarnessError);
    expect((error as HarnessError).exitCode).toBe(ExitCode.unreachable);
    expect((error as HarnessError).message).toMatch(
      new RegExp(`^Kafka brokers from KAFKA_BROKERS \\(localhost:${port}\\) could not be reached within 2s: .*ECONNREFUSED`),
    );
    expect(elapsed).toBeGreaterThanOrEqual(1800);
    expect(elapsed).toBeLessThan(4000);
    expect(lines).toEqual([expect.stringContaining(`kafka: cannot reach localhost:${port} yet`)]);
  });

  it('harness pipeline: the consumers wait at most the budget the run recorded', async () => {
    const port = await closedPort();
    const location: KafkaLocation = {
      type: 'kafka',
      brokers: ['x:1'],
      consumerGroup: 'g',
      topics: { lol: { name: 't', start: { 0: 0 }, end: { 0: 10 } } },
      connectTimeoutMs: 1000,
    };
    const scenario = parseScenario('name: t\ndatasets:\n  lol: { count: 10 }\n', 'x.yaml');
    const generator = createGenerator('lol', generatorConfig(1, 0, scenario.datasets.lol!));
    const [source] = kafka.sourcesFor(location, [generator], { runId: 'r', env: { KAFKA_BROKERS: `127.0.0.1:${port}` }, log: () => {} });
    const started = Date.now();
    await expect(source!.open(new Map())).rejects.toThrow(`Kafka brokers from KAFKA_BROKERS (127.0.0.1:${port}) could not be reached within 1s`);
    expect(Date.now() - started).toBeLessThan(3000);
    await source!.close();
  });

  it('a probe given up stops at once', async () => {
    const stop = new AbortController();
    const port = await closedPort();
    const probe = reachBrokers([`127.0.0.1:${port}`], 30_000, () => {}, stop.signal);
    await sleep(300);
    const started = Date.now();
    stop.abort();
    await expect(probe).rejects.toThrow('given up');
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describeIfKafkaBroker("the first contact against Apache Kafka's broker", () => {
  it('waits for a broker that comes up within the budget', async () => {
    const port = await closedPort();
    let proxy: Awaited<ReturnType<typeof forward>> | undefined;
    const late = sleep(1500).then(async () => (proxy = await forward('127.0.0.1', port, kafkaBootstrap())));
    const started = Date.now();
    await reachBrokers([`127.0.0.1:${port}`], 10_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    expect(Date.now() - started).toBeLessThan(5000);
    await late;
    expect(proxy!.connections()).toBeGreaterThan(0);
    await proxy!.close();
  });

  it('goes on to the next broker of the list when one is down', async () => {
    const down = await closedPort();
    await reachBrokers([`127.0.0.1:${down}`, kafkaBootstrap()], 5000);
  });

  it.skipIf(!hasIpv6Loopback)('reaches a broker at an [IPv6] address', async () => {
    const proxy = await forward('::1', 0, kafkaBootstrap());
    try {
      const transport = kafka.create(kafkaSpec.parse({ type: 'kafka', connectTimeout: '5s' }), {
        runId: 'r6',
        runDir: tempDir(),
        env: { KAFKA_BROKERS: `[::1]:${proxy.port}` },
        log: () => {},
      });
      await transport.prepare(['lol']);
      await transport.close();
      expect(transport.location().brokers).toEqual([`[::1]:${proxy.port}`]);
      expect(proxy.connections()).toBeGreaterThan(1);
    } finally {
      await proxy.close();
    }
  });
});
