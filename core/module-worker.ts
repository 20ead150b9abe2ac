import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { asError } from './errors.ts';
import { Worker } from 'node:worker_threads';

/**
 * Starts a worker thread on an ES module next to the caller. Built code (.js) runs directly; from
 * TypeScript sources (tests, `tsx`) the worker first registers tsx's loader, a dev dependency.
 */
export function startModuleWorker(callerUrl: string, moduleBaseName: string, workerData: unknown): Worker {
  const fromSources = callerUrl.endsWith('.ts');
  const url = new URL(`./${moduleBaseName}${fromSources ? '.ts' : '.js'}`, callerUrl);
  const options = { workerData, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } };
  if (!fromSources) return new Worker(url, options);
  const bootstrap = `import(${JSON.stringify(tsxEsmApi())}).then(({ register }) => { register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(bootstrap, { ...options, eval: true });
}

/**
 * tsx's ESM API as a file URL, found from here: code evaluated in a worker resolves a bare name from
 * the working directory, which may lie outside this project. `require.resolve` would pick the CommonJS
 * build, whose `register` does not work when imported, so the path comes from tsx's exports map.
 */
function tsxEsmApi(): string {
  const require = createRequire(import.meta.url);
  const manifest = require.resolve('tsx/package.json');
  const { exports } = require(manifest) as { exports: Record<string, { import: { default: string } }> };
  const entry = exports['./esm/api']?.import.default;
  if (!entry) throw new Error(`${manifest} exports no ./esm/api`);
  return pathToFileURL(join(dirname(manifest), entry)).href;
}

/** Generation allocates many short-lived strings and buffers; a larger nursery means fewer scavenges. */
const YOUNG_GENERATION_MB = Number(process.env.HARNESS_WORKER_YOUNG_MB ?? 64);

/**
 * Runs a module worker to its end: `onMessage` sees each message (and may answer it with `reply`)
 * and returns `{ done: value }` when the work is finished (or throws to fail it). An abort terminates the worker and settles
 * with `aborted`; an unexpected exit is an error.
 */
export function runModuleWorker<R>(
  callerUrl: string,
  moduleBaseName: string,
  workerData: unknown,
  onMessage: (message: unknown, reply: (message: unknown) => void) => { done: R } | undefined,
  aborted: R,
  signal?: AbortSignal,
): Promise<R> {
  const worker = startModuleWorker(callerUrl, moduleBaseName, workerData);
  const stop = () => void worker.terminate();
  signal?.addEventListener('abort', stop);
  return new Promise<R>((resolve, reject) => {
    worker.on('message', (message: unknown) => {
      try {
        const outcome = onMessage(message, (answer) => worker.postMessage(answer));
        if (outcome) resolve(outcome.done);
      } catch (error) {
        reject(asError(error));
      }
    });
    worker.on('error', reject);
    worker.on('exit', (code) =>
      signal?.aborted ? resolve(aborted) : code !== 0 ? reject(new Error(`${moduleBaseName} exited with code ${code}`)) : undefined,
    );
  }).finally(() => signal?.removeEventListener('abort', stop));
}
