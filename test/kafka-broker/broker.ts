import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';

/** This folder in the source tree, found from sources or from the bench's build in dist/. */
function sourceDir(): string {
  let dir = import.meta.dirname;
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return join(dir, 'test', 'kafka-broker');
}

const here = sourceDir();
const POM = join(here, 'pom.xml');
const CLASSPATH_FILE = join(here, 'build', 'classpath.txt');

/**
 * The broker's classpath, resolved by Maven from pom.xml into ~/.m2 once and cached in
 * build/classpath.txt until the pom changes. Throws with what is missing (Java, Maven, the jars).
 */
export function brokerClasspath(): string {
  if (existsSync(CLASSPATH_FILE) && statSync(CLASSPATH_FILE).mtimeMs >= statSync(POM).mtimeMs) {
    const cached = readFileSync(CLASSPATH_FILE, 'utf8').trim();
    if (cached.split(':').every((jar) => existsSync(jar))) return cached;
  }
  mkdirSync(dirname(CLASSPATH_FILE), { recursive: true });
  const mvn = spawnSync('mvn', ['-q', '-B', '-f', POM, 'dependency:build-classpath', `-Dmdep.outputFile=${CLASSPATH_FILE}`], { encoding: 'utf8' });
  if (mvn.error) throw new Error(`Maven (mvn) is needed to fetch Apache Kafka's jars: ${mvn.error.message}`);
  if (mvn.status !== 0)
    throw new Error(`mvn dependency:build-classpath failed for ${POM}: ${(mvn.stdout + mvn.stderr).trim().split('\n').slice(-5).join('\n')}`);
  return readFileSync(CLASSPATH_FILE, 'utf8').trim();
}

/** Why Apache Kafka's broker cannot start here (no Java, no Maven, no jars), or null when it can. */
export function kafkaBrokerUnavailable(): string | null {
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (java.error) return `java is not installed (Apache Kafka's broker needs Java 17 or later): ${java.error.message}`;
  if (java.status !== 0) return `java -version failed (Apache Kafka's broker needs Java 17 or later): ${java.stderr.trim().split('\n').slice(-3).join(' ')}`;
  const major = Number(/version "(?:1\.)?(\d+)/.exec(java.stderr)?.[1] ?? 0);
  if (major < 17) return `Apache Kafka's broker needs Java 17 or later; java -version says: ${java.stderr.split('\n')[0]}`;
  try {
    brokerClasspath();
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface KafkaBrokerOptions {
  /** Storage directory; kept on stop when given (a restart reuses it), else a temporary one removed on stop. */
  dir?: string;
  /** Client port; a free one when not given. */
  port?: number;
  controllerPort?: number;
  /** Partitions of auto-created topics. */
  partitions?: number;
  /** Further server.properties lines. */
  properties?: Record<string, string | number>;
  heapMb?: number;
  /**
   * The JVM's quick compiler only (C1) and the serial collector: on this 2-core machine, under
   * others' load, the broker answered in 3.0-4.1 s against 4.6-11.4 s with the defaults (C2's
   * compiler threads compete for the cores at start-up). Slower once busy: for tests, not benches.
   */
  quickStart?: boolean;
  /** How long to wait for the broker to answer metadata. */
  startTimeoutMs?: number;
}

export interface KafkaBroker {
  /** 127.0.0.1:<port>, for KAFKA_BROKERS. */
  readonly bootstrap: string;
  readonly port: number;
  readonly dir: string;
  /** The broker JVM's process id. */
  pid(): number;
  /** Milliseconds the last start took, from spawning the JVM to the first metadata answer. */
  readonly startMs: number;
  /** Kills the JVM with the signal (SIGKILL by default) and waits until it is gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the broker again on the same storage and ports, after a kill. */
  restart(): Promise<void>;
  /** Stops the broker (SIGTERM, then SIGKILL after 10 s) and removes a temporary storage directory. */
  stop(): Promise<void>;
}

function serverProperties(o: { dir: string; port: number; controllerPort: number; partitions: number; properties: Record<string, string | number> }): string {
  const settings: Record<string, string | number> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@127.0.0.1:${o.controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${o.port},CONTROLLER://127.0.0.1:${o.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${o.port}`,
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': join(o.dir, 'logs'),
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 3,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    'group.initial.rebalance.delay.ms': 0,
    // After a kill -9 the controller refuses the restarted broker's registration until the dead
    // one's session has expired: with the default 9 s a restart took 13-14 s, with 3 s about 5 s.
    'broker.heartbeat.interval.ms': 500,
    'broker.session.timeout.ms': 3000,
    'num.partitions': o.partitions,
    'auto.create.topics.enable': 'true',
    ...o.properties,
  };
  return `${Object.entries(settings)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')}\n`;
}

async function answersMetadata(bootstrap: string): Promise<boolean> {
  const admin = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING, connectionTimeout: 1000, retry: { retries: 0 } }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 && cluster.controller !== null && cluster.controller >= 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/**
 * Starts Apache Kafka's own broker (kafka.Kafka from Maven Central's jars) as one combined KRaft
 * broker + controller on loopback: formats the storage directory on first start, waits until the
 * broker answers metadata. A watchdog shell kills the JVM when this process dies, however it dies,
 * so no broker outlives its test run.
 */
export async function startKafkaBroker(options: KafkaBrokerOptions = {}): Promise<KafkaBroker> {
  const classpath = brokerClasspath();
  const owned = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'harness-kafka-'));
  mkdirSync(dir, { recursive: true });
  const port = options.port ?? (await freePort());
  const controllerPort = options.controllerPort ?? (await freePort());
  const config = join(dir, 'server.properties');
  writeFileSync(config, serverProperties({ dir, port, controllerPort, partitions: options.partitions ?? 3, properties: options.properties ?? {} }));
  const jvm = [
    ...(options.quickStart ? ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'] : []),
    `-Xmx${options.heapMb ?? 768}m`,
    `-Dlog4j2.configurationFile=${join(here, 'log4j2.yaml')}`,
    '-cp',
    classpath,
  ];
  if (!existsSync(join(dir, 'logs', 'meta.properties'))) {
    const format = spawnSync('java', [...jvm, 'kafka.tools.StorageTool', 'format', '-t', 'harness-test-cluster0', '-c', config, '--ignore-formatted'], {
      encoding: 'utf8',
    });
    if (format.status !== 0) throw new Error(`formatting the Kafka storage in ${dir} failed: ${format.stdout}${format.stderr}`);
  }
  const bootstrap = `127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  let jvmPid = 0;
  let startMs = 0;

  const launch = async (): Promise<void> => {
    const log = openSync(join(dir, 'broker.log'), 'a');
    const started = performance.now();
    // The shell starts the JVM, prints its pid, and kills it once this process is gone.
    const script = `java "$@" kafka.Kafka "${config}" & jvm=$!; echo $jvm; while kill -0 ${process.pid} 2>/dev/null && kill -0 $jvm 2>/dev/null; do sleep 1; done; kill -9 $jvm 2>/dev/null; wait $jvm`;
    const shell = spawn('bash', ['-c', script, 'kafka-broker', ...jvm], { stdio: ['ignore', 'pipe', log] });
    child = shell;
    jvmPid = await new Promise<number>((resolve, reject) => {
      shell.stdout?.once('data', (data: Buffer) => resolve(Number(data.toString().trim())));
      shell.once('exit', () => reject(new Error(`the Kafka broker exited at start: see ${join(dir, 'broker.log')}`)));
    });
    const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
    while (!(await answersMetadata(bootstrap))) {
      if (shell.exitCode !== null) throw new Error(`the Kafka broker exited at start: see ${join(dir, 'broker.log')}`);
      if (Date.now() > deadline)
        throw new Error(
          `the Kafka broker at ${bootstrap} did not answer metadata within ${options.startTimeoutMs ?? 60_000} ms: see ${join(dir, 'broker.log')}`,
        );
      await sleep(100);
    }
    startMs = performance.now() - started;
  };

  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    const shell = child;
    if (!shell || shell.exitCode !== null || shell.signalCode !== null) return;
    const exited = new Promise((resolve) => shell.once('exit', resolve));
    try {
      process.kill(jvmPid, signal);
    } catch {
      // Already gone.
    }
    const forced = setTimeout(() => {
      try {
        process.kill(jvmPid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }, 10_000);
    await exited;
    clearTimeout(forced);
  };

  await launch();
  return {
    bootstrap,
    port,
    dir,
    pid: () => jvmPid,
    get startMs() {
      return startMs;
    },
    kill,
    restart: launch,
    async stop() {
      await kill('SIGTERM');
      if (owned) rmSync(dir, { recursive: true, force: true });
    },
  };
}
