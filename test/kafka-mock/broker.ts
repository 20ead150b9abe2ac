import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

/** This folder in the source tree, found from sources or from the bench's build in dist/. */
function sourceDir(): string {
  let dir = import.meta.dirname;
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return join(dir, 'test', 'kafka-mock');
}

const here = sourceDir();
export const mockBrokerBinary = join(here, 'build', 'mock-broker');
const HEADER = '/usr/include/librdkafka/rdkafka_mock.h';

/** Compiles the mock broker when librdkafka-dev is installed; returns why not otherwise. */
export function buildMockBroker(): { ok: true } | { ok: false; reason: string } {
  if (!existsSync(HEADER)) return { ok: false, reason: `${HEADER} is missing: install librdkafka-dev (apt-get install librdkafka-dev)` };
  mkdirSync(join(here, 'build'), { recursive: true });
  const cc = spawnSync('cc', ['-O2', '-o', mockBrokerBinary, join(here, 'mock-broker.c'), '-lrdkafka'], { encoding: 'utf8' });
  return cc.status === 0 ? { ok: true } : { ok: false, reason: `cc failed: ${cc.stderr}` };
}

export interface MockBroker {
  bootstrap: string;
  brokers: string[];
  /** Sends one control command (see mock-broker.c) and waits for its answer. */
  command(line: string): Promise<string>;
  stop(): Promise<void>;
}

/** Starts a private mock cluster of `brokerCount` brokers on loopback. */
export async function startMockBroker(brokerCount = 1): Promise<MockBroker> {
  const child: ChildProcessWithoutNullStreams = spawn(mockBrokerBinary, [String(brokerCount)]);
  const lines = createInterface({ input: child.stdout });
  const waiting: ((line: string) => void)[] = [];
  const queued: string[] = [];
  lines.on('line', (line) => {
    const next = waiting.shift();
    if (next) next(line);
    else queued.push(line);
  });
  const readLine = () => new Promise<string>((resolve) => (queued.length > 0 ? resolve(queued.shift() as string) : waiting.push(resolve)));
  const bootstrap = await readLine();
  return {
    bootstrap,
    brokers: bootstrap.split(','),
    async command(line) {
      child.stdin.write(`${line}\n`);
      const answer = await readLine();
      if (!answer.startsWith('ok')) throw new Error(`mock broker: ${answer}`);
      return answer;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin.end();
      await exited;
    },
  };
}
