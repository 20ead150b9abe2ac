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
  const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(bootstrap, { ...options, eval: true });
}

/** Generation allocates many short-lived strings and buffers; a larger nursery means fewer scavenges. */
const YOUNG_GENERATION_MB = Number(process.env.HARNESS_WORKER_YOUNG_MB ?? 64);
