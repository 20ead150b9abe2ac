import type { DatasetName } from '../generators/generator.ts';
import type { CheckResult, SeriesPoint, StageSummary } from './check.ts';

export type { SeriesPoint, StageSummary } from './check.ts';

/** Bumped whenever a field is removed or changes meaning; adding fields keeps the version. */
export const REPORT_SCHEMA_VERSION = 1;

/** The one result of a verification; every report format is rendered from it. */
export interface Report {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  runId: string;
  scenario: string;
  generatedAt: string;
  /** Where the sink was read, without credentials. */
  sink: string;
  verdict: 'pass' | 'fail';
  checks: CheckResult[];
  /** Per dataset, one point per second of its run (the `series` check); absent in older reports. */
  series?: Partial<Record<DatasetName, SeriesPoint[]>>;
  /** Per dataset, each stage of its load profile judged on its own (the `series` check). */
  stages?: Partial<Record<DatasetName, StageSummary[]>>;
  /** What was run, from the run's manifest (runner/verify-run.ts); absent in older reports. */
  run?: RunSummary;
  /** Against one or more baseline reports (`--baseline`, reports/compare/); a regression fails the verdict. */
  comparison?: Comparison;
}

/** The run a report judged, as report.html shows it. */
export interface RunSummary {
  scenario: string;
  /** The scenario file as given to `harness run`, for replay commands. */
  scenarioPath: string;
  seed: number;
  /** ISO time of record 0's event time. */
  baseTime: string;
  /** Records planned per dataset. */
  datasets: Partial<Record<DatasetName, number>>;
  /** Where the records went, e.g. `csv files in <dir>` or `kafka <brokers>`. */
  transport: string;
  sink: string;
  status: string;
  peakRssBytes: number | null;
  /** From the manifest's creation to its last heartbeat. */
  wallMs: number;
}

/** A report judged against baseline reports of the same scenario (reports/compare/compare.ts). */
export interface Comparison {
  /** The baseline report files (resolved paths). */
  baselines: string[];
  figures: ComparedFigure[];
  /** fail when any figure regressed. */
  verdict: 'pass' | 'fail';
}

/** One figure both sides have, e.g. `latency.p99.corrected` of a dataset, or `wallTime` of the run. */
export interface ComparedFigure {
  name: string;
  /** null for figures of the whole run (wallTime, peakRss). */
  dataset: string | null;
  /** The baselines' median. */
  baseline: number;
  /** The lowest and highest baseline value: runs of the same commit vary this much. */
  baselineRange: [number, number];
  current: number;
  /** (current - baseline) / baseline: 0.12 is +12%; from a baseline of 0, +1 or -1 (or 0 when still 0). */
  delta: number;
  direction: 'higher-is-better' | 'lower-is-better';
  /** The --fail-on tolerance (0.1 = 10%), or null when no rule names the figure. */
  tolerance: number | null;
  /** Worse than the baseline by more than the tolerance and outside the baseline range. */
  regressed: boolean;
}
