import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { describe } from 'vitest';

/** The Spark example (examples/spark): run.sh builds it once and holds the JVM's flags. */
export const sparkRunScript = join(import.meta.dirname, '../../examples/spark/run.sh');

/**
 * Why the Spark jobs cannot run here (no Java, no Maven, a build that fails), or null when they can.
 * Builds them on first use (mvn package; run.sh caches the jar and classpath in target/).
 */
function sparkUnavailable(): string | null {
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (java.error) return `java is not installed (the Spark example needs Java 17): ${java.error.message}`;
  const mvn = spawnSync('mvn', ['-v'], { encoding: 'utf8' });
  if (mvn.error) return `Maven (mvn) is needed to build the Spark example: ${mvn.error.message}`;
  const build = spawnSync('bash', [sparkRunScript, '--build'], { encoding: 'utf8', timeout: 600_000 });
  if (build.status !== 0)
    return `building examples/spark failed (${sparkRunScript} --build): ${(build.stdout + build.stderr).trim().split('\n').slice(-8).join('\n')}`;
  return null;
}

const unavailable = sparkUnavailable();
if (unavailable) {
  if (process.env.HARNESS_REQUIRE_SERVICES) throw new Error(`HARNESS_REQUIRE_SERVICES is set but the Spark example cannot run: ${unavailable}`);
  console.warn(`Spark suites skipped: ${unavailable}`);
}

/** Suites that run the Spark example: where Java, Maven and Spark's jars are; elsewhere they skip with the reason. */
export const describeIfSpark = unavailable === null ? describe : describe.skip;

export interface SparkProcess {
  /** The JVM's process id (run.sh execs java). */
  readonly pid: number;
  /** Everything it printed on stdout so far, line by line. */
  readonly lines: string[];
  /** Resolves with the first stdout line matching `pattern` (already printed or to come). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves when the JVM exits. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL, as a crash would: no shutdown hook, no cleanup. */
  kill9(): Promise<void>;
}

/** Starts `run.sh <args>`: one JVM, one Spark session, the jobs `args` names. stderr goes to `log`. */
export function startSpark(args: string[], options: { env: NodeJS.ProcessEnv; log: string }): SparkProcess {
  const child: ChildProcess = spawn('bash', [sparkRunScript, ...args], { env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(options.log, { flags: 'a' });
  child.stderr?.pipe(log);
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  let partial = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    log.write(chunk);
    const text = partial + chunk.toString('utf8');
    const parts = text.split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      for (const w of waiters.splice(0)) {
        if (w.pattern.test(line)) w.resolve(line);
        else waiters.push(w);
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    pid: child.pid as number,
    lines,
    exited,
    waitFor(pattern, timeoutMs = 180_000) {
      const seen = lines.find((line) => pattern.test(line));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; see ${options.log}`)), timeoutMs);
        void exited.then(({ code, signal }) =>
          reject(new Error(`Spark exited (code ${code}, signal ${signal}) before printing a line matching ${pattern}; see ${options.log}`)),
        );
        waiters.push({
          pattern,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
      });
    },
    async kill9() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
