import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { HarnessError } from '../../core/errors.ts';
import type { DatasetName } from '../../generators/index.ts';
import { loadProfileSpec, profileCount, type LoadProfileSpec } from '../../generators/load/index.ts';
import { newRunId } from '../../runs/manifest.ts';
import { loadScenario } from '../../scenarios/load.ts';
import type { Scenario } from '../../scenarios/schema.ts';
import type { Report } from '../../verifier/report.ts';
import { runScenario, withFaultOverrides, type RunOptions, type RunOutcome } from '../run-scenario.ts';
import { scenarioDatasets } from '../scenario-datasets.ts';
import { verifyRunDir } from '../verify-run.ts';
import { probeLine } from '../../reports/writers/find-max.ts';
import { judgeStep } from './judge.ts';
import { probeProfile, watchProbe } from './probe.ts';
import { defaultSearch, expectedWallMs, lastStep, nextStep, type NextStep, type StepResult } from './search.ts';
import type { FindMaxProbe, FindMaxResult, FindMaxStep } from '../../verifier/find-max-report.ts';

export type { FindMaxResult, FindMaxStep } from '../../verifier/find-max-report.ts';

export interface FindMaxOptions {
  scenarioPath: string;
  home: string;
  env: NodeJS.ProcessEnv;
  /** The dataset whose rate is searched; default: the scenario's first. The others are left out of the steps. */
  dataset?: DatasetName;
  fromPerSec: number;
  toPerSec: number;
  /** Wall time the whole search may take; a step that would not fit is not started. */
  budgetMs: number;
  /** Length of each step's steady load. */
  stepMs: number;
  /** Keep each step's data and embedded database (default: only its manifest and reports). */
  keepData?: boolean;
  /**
   * For `pipeline: external`: a shell command that runs the pipeline under test over one step's run,
   * started as each step's run begins (with HARNESS_RUN_DIR and HARNESS_RUN_ID in its environment)
   * and stopped once the step is verified. Without it an external pipeline must follow every
   * step's data on its own (a consumer of the scenario's Kafka topics does).
   */
  exec?: string;
  faults?: string;
  /** Worker threads generating each step's records (as `harness run --workers`); 1 = the pipeline's own thread. */
  workers?: number;
  log: (line: string) => void;
  /** Called with each step as it is judged, for the table. */
  onStep?: (step: FindMaxStep) => void;
  signal?: AbortSignal;
}

/** Seconds at the start of each step left out of its judgement: the pipeline's first batches and file polls. */
function warmupSeconds(stepMs: number): number {
  return Math.min(3, Math.max(1, Math.floor(stepMs / 5000)));
}

/**
 * `harness find-max`: runs steps of steady load (constant-arrival-rate at one rate for `stepMs`),
 * each a whole run of the scenario's dataset verified as `harness run` would, and searches the
 * highest rate whose step keeps the backlog flat, the latency SLOs met and the rows right.
 */
export async function findMax(options: FindMaxOptions): Promise<FindMaxResult> {
  const started = Date.now();
  const scenario = withFaultOverrides(loadScenario(options.scenarioPath, options.env).scenario, options.faults);
  const dataset = options.dataset ?? scenarioDatasets(scenario)[0]?.[0];
  if (!dataset || !scenario.datasets[dataset]) throw new HarnessError('usage', `--dataset ${options.dataset}: the scenario has no such dataset`);
  if (!(options.fromPerSec > 0) || !(options.toPerSec >= options.fromPerSec)) {
    throw new HarnessError('usage', `--from must be above 0 and at most --to (got --from ${options.fromPerSec}, --to ${options.toPerSec})`);
  }
  if (!(options.stepMs >= 2000))
    throw new HarnessError('usage', `--step must be at least 2s, to leave steady seconds after the warm-up (got ${options.stepMs} ms)`);
  const id = newRunId();
  const dir = resolve(options.home, 'find-max', id);
  mkdirSync(dir, { recursive: true });
  const warmupS = warmupSeconds(options.stepMs);
  options.log(
    `find-max ${id}: ${dataset} from ${options.fromPerSec} rec/s, steps of ${options.stepMs / 1000} s, budget ${Math.round(options.budgetMs / 1000)} s`,
  );
  const probe = options.fromPerSec < options.toPerSec ? await runProbe(scenario, dataset, { ...options, home: dir }) : null;
  const hint =
    probe?.estimatePerSec != null && probe.haltedAtPerSec != null ? { estimatePerSec: probe.estimatePerSec, haltedAtPerSec: probe.haltedAtPerSec } : null;
  const settings = { fromPerSec: options.fromPerSec, toPerSec: options.toPerSec, ...defaultSearch, probe: hint };
  const steps: FindMaxStep[] = [];
  let next: NextStep = nextStep(settings, []);
  let ended: FindMaxResult['ended'] = 'converged';
  while (next.kind === 'step') {
    if (options.signal?.aborted) {
      ended = 'interrupted';
      break;
    }
    const fits = (n: number, rate: number) => Date.now() - started + n * expectedWallMs(steps, rate) <= options.budgetMs;
    if (steps.length > 0 && !fits(1, next.targetPerSec)) {
      ended = 'budget';
      break;
    }
    if (steps.length > 0 && !next.confirming && !fits(2, next.targetPerSec)) {
      next = lastStep(settings, steps.map(toSearch));
      if (next.kind !== 'step') {
        ended = 'budget';
        break;
      }
    }
    const step = await runStep(scenario, dataset, next.targetPerSec, next.confirming, warmupS, { ...options, home: dir });
    steps.push(step);
    options.onStep?.(step);
    next = nextStep(settings, steps.map(toSearch));
  }
  const done = next.kind === 'done' ? next : null;
  const passing = steps.filter((s) => s.pass && !steps.some((f) => !f.pass && f.targetPerSec <= s.targetPerSec));
  const answerPerSec = done?.answerPerSec ?? (passing.length > 0 ? Math.max(...passing.map((s) => s.targetPerSec)) : null);
  const failing = steps.filter((s) => !s.pass).map((s) => s.targetPerSec);
  if (answerPerSec === null && ended === 'converged') ended = 'from failed';
  if (done && done.lowestFailingPerSec === null) ended = 'reached --to';
  const result: FindMaxResult = {
    schemaVersion: 1,
    kind: 'find-max',
    scenario: scenario.name,
    dataset,
    settings: { fromPerSec: options.fromPerSec, toPerSec: options.toPerSec, budgetMs: options.budgetMs, stepMs: options.stepMs, warmupS },
    probe,
    steps,
    answerPerSec,
    confirmed: steps.some((s) => s.confirming && s.pass && s.targetPerSec === answerPerSec),
    lowestFailingPerSec: failing.length > 0 ? Math.min(...failing) : null,
    ended,
    producerLimited: steps.some((s) => !s.pass && s.generatorBound && s.targetPerSec === Math.min(...failing)),
    elapsedMs: Date.now() - started,
    dir,
  };
  writeFileSync(join(dir, 'report.json'), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

function toSearch(step: FindMaxStep): StepResult {
  return {
    targetPerSec: step.targetPerSec,
    pass: step.pass,
    achievedPerSec: step.achievedPerSec,
    latencyBroke: step.latencyBroke,
    confirming: step.confirming,
  };
}

/** The scenario of one step: only the searched dataset, at a constant rate for the step's length. */
export function stepScenario(scenario: Scenario, dataset: DatasetName, ratePerSec: number, stepMs: number): Scenario {
  return withLoad(scenario, dataset, loadProfileSpec.parse({ executor: 'constant-arrival-rate', rate: ratePerSec, duration: stepMs }));
}

/** The scenario with only `dataset`, at `load`. */
function withLoad(scenario: Scenario, dataset: DatasetName, load: LoadProfileSpec): Scenario {
  const spec = scenario.datasets[dataset];
  if (!spec) throw new HarnessError('usage', `the scenario has no dataset ${dataset}`);
  const { seasonality: _seasonality, ...rest } = spec;
  return {
    ...scenario,
    datasets: { [dataset]: { ...rest, rate: 0, load, count: profileCount(load) } },
    // The step sets the rate: a throughput floor is not its to judge; stages are the scenario's, not the step's.
    slos: { ...scenario.slos, throughput: {} },
  };
}

/**
 * The probe (probe.ts): the rate doubling from --from until the pipeline falls behind, then
 * stopped. Not verified: it judges no rate, it only gives the first step's.
 */
async function runProbe(scenario: Scenario, dataset: DatasetName, options: FindMaxOptions): Promise<FindMaxProbe> {
  const started = Date.now();
  options.log(`probe: doubling from ${options.fromPerSec} rec/s every few seconds until the pipeline falls behind`);
  const stopped = new AbortController();
  const watch = watchProbe(dataset, () => stopped.abort());
  const { runDir, manifest } = await searchRun(
    options,
    withLoad(scenario, dataset, probeProfile(options.fromPerSec, options.toPerSec)),
    { progress: watch, signal: options.signal ? AbortSignal.any([options.signal, stopped.signal]) : stopped.signal },
    (outcome) => outcome,
  );
  if (!options.keepData) removeData(runDir);
  const probe = { runId: manifest.runId, runDir, haltedAtPerSec: watch.haltedAtPerSec(), estimatePerSec: watch.estimatePerSec(), wallMs: Date.now() - started };
  options.log(probeLine({ probe, settings: options }));
  return probe;
}

/**
 * One run of the search (the probe or a step), quiet, on its generation threads, with the user's
 * pipeline (--exec) started once the run is ready and stopped once `then` (the step's
 * verification) is done.
 */
async function searchRun<T>(
  options: FindMaxOptions,
  scenario: Scenario,
  extra: Pick<RunOptions, 'progress' | 'signal' | 'encodeAhead'>,
  then: (outcome: RunOutcome) => Promise<T> | T,
): Promise<T> {
  let pipeline: ExternalPipeline | null = null;
  try {
    const outcome = await runScenario({
      scenarioPath: options.scenarioPath,
      scenario,
      home: options.home,
      env: options.env,
      log: () => {},
      ...(options.workers ? { workers: options.workers } : {}),
      ...(options.exec ? { onReady: (dir: string) => (pipeline = startExternal(options.exec as string, dir, options)) } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...extra,
    });
    return await then(outcome);
  } finally {
    await (pipeline as ExternalPipeline | null)?.stop();
  }
}

function removeData(runDir: string): void {
  for (const leftover of ['data', 'pglite']) rmSync(join(runDir, leftover), { recursive: true, force: true });
}

/**
 * A step's records (up to this many, about 150 MB of CSV) are encoded before its time zero: during
 * the step, generating them would take the cores the pipeline under measure needs (at 85k rec/s
 * here, a sixth of a core plus its garbage collection), and the answer would fall short of what the
 * pipeline drains alone. The probe generates as it goes: its ramp would hold far more.
 */
const STEP_ENCODE_AHEAD = 1_000_000;

async function runStep(
  scenario: Scenario,
  dataset: DatasetName,
  targetPerSec: number,
  confirming: boolean,
  warmupS: number,
  options: FindMaxOptions,
): Promise<FindMaxStep> {
  const started = Date.now();
  options.log(`step at ${targetPerSec} rec/s${confirming ? ' (confirming)' : ''}`);
  return searchRun(options, stepScenario(scenario, dataset, targetPerSec, options.stepMs), { encodeAhead: STEP_ENCODE_AHEAD }, async ({ runDir, manifest }) => {
    const report = await verifyRunDir(runDir, options.env, () => {});
    return finishStep(report, runDir, manifest.runId, dataset, targetPerSec, confirming, warmupS, started, options);
  });
}

function finishStep(
  report: Report,
  runDir: string,
  runId: string,
  dataset: DatasetName,
  targetPerSec: number,
  confirming: boolean,
  warmupS: number,
  started: number,
  options: FindMaxOptions,
): FindMaxStep {
  if (!options.keepData) removeData(runDir);
  const judged = judgeStep(report, dataset, targetPerSec, options.stepMs / 1000, warmupS);
  return { ...judged, runId, runDir, confirming, wallMs: Date.now() - started, series: report.series?.[dataset] ?? [] };
}

interface ExternalPipeline {
  stop(): Promise<void>;
}

/** How long a stopped pipeline gets to end after SIGTERM before its process group is killed. */
const EXEC_GRACE_MS = 5000;

/**
 * The user's pipeline over one step's run, its output passed through to the log. It runs in a
 * process group of its own, and stopping it signals the whole group: a shell script's own children
 * (a psql, a spark-submit's JVM) would otherwise outlive it, holding its output open, and the search
 * would wait for them forever.
 */
function startExternal(command: string, runDir: string, options: FindMaxOptions): ExternalPipeline {
  const child = spawn(command, {
    shell: true,
    detached: true,
    env: { ...options.env, HARNESS_RUN_DIR: runDir, HARNESS_RUN_ID: basename(runDir) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk: Buffer) => options.log(`  [exec] ${chunk.toString('utf8').trimEnd()}`));
  child.once('error', (error) => options.log(`  [exec] could not start "${command}": ${error.message}`));
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // The group has ended already.
    }
  };
  return {
    async stop() {
      signalGroup('SIGTERM');
      const ended = await Promise.race([exited.then(() => true), sleep(EXEC_GRACE_MS).then(() => false)]);
      if (!ended) options.log(`  [exec] still running ${EXEC_GRACE_MS / 1000} s after SIGTERM: killed`);
      signalGroup('SIGKILL');
      await exited;
    },
  };
}
