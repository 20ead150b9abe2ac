import type { DatasetName } from '../generators/generator.ts';
import type { SeriesPoint } from './check.ts';

/**
 * What `harness find-max` writes as its report.json: each step judged, and the answer. Beside the
 * verifier's own Report, below the reports that render and compare it and the runner that makes it.
 */

/** What one step of find-max showed, judged from its run's report. */
export interface StepJudgement {
  targetPerSec: number;
  /** Records/s the producer delivered over the steady part of the step. */
  producedPerSec: number;
  /** Records/s whose outcome (rows or a dead letter) landed over the steady part. */
  achievedPerSec: number;
  /** Growth of the backlog against the schedule over the steady part, records/s (least squares over its seconds; see scheduleBacklog). */
  backlogSlopePerSec: number;
  /** Corrected p99 of the whole step, ms. */
  p99Ms: number | null;
  pass: boolean;
  latencyBroke: boolean;
  /** The harness sent a share of the step's records late: the step is failed for it, and the answer says so. */
  generatorBound: boolean;
  /** Why it failed, one phrase each; empty when it passed. */
  reasons: string[];
}

export interface FindMaxStep extends StepJudgement {
  runId: string;
  /** The step's run directory (its manifest and reports stay there). */
  runDir: string;
  confirming: boolean;
  wallMs: number;
  series: SeriesPoint[];
}

/** The run that gave the search its first guess (runner/find-max/probe.ts): the rate doubling until the pipeline fell behind. */
export interface FindMaxProbe {
  runId: string;
  runDir: string;
  /** The target rate when the pipeline fell behind and the probe stopped; null when it kept up all the way to --to. */
  haltedAtPerSec: number | null;
  /** What the pipeline ingested while behind, records/s: the first step's rate. Null when it never fell behind. */
  estimatePerSec: number | null;
  wallMs: number;
}

export interface FindMaxResult {
  schemaVersion: 1;
  kind: 'find-max';
  scenario: string;
  dataset: DatasetName;
  settings: { fromPerSec: number; toPerSec: number; budgetMs: number; stepMs: number; warmupS: number };
  probe: FindMaxProbe | null;
  steps: FindMaxStep[];
  /** The highest rate sustained within the SLOs with the rows right; null when even `from` failed. */
  answerPerSec: number | null;
  confirmed: boolean;
  /** The lowest rate that failed, when one did: the answer lies within [answer, this). */
  lowestFailingPerSec: number | null;
  /** Why the search stopped. */
  ended: 'converged' | 'reached --to' | 'budget' | 'from failed' | 'interrupted';
  /** The lowest failing step failed (also) because the harness fell behind its own schedule: the answer may be the producer's limit. */
  producerLimited: boolean;
  elapsedMs: number;
  /** Where the result is written. */
  dir: string;
}
