import type { DatasetManifest } from '../runs/manifest.ts';
import type { DatasetName } from '../generators/generator.ts';
import type { GroundTruth } from '../generators/oracle.ts';
import type { Slos } from '../scenarios/schema.ts';

/** One row of a sink table as the verifier sees it. */
export interface SinkRow {
  key: string;
  producedAtMs: number;
  ingestedAtMs: number;
}

export interface DeadLetterRow {
  source: string;
  position: number;
  recordIndex: number | null;
  reason: string;
}

/** Everything a check may look at for one dataset: the regenerated truth and what the sinks hold. */
export interface DatasetEvidence {
  dataset: DatasetName;
  truth: GroundTruth;
  rows: SinkRow[];
  deadLetters: DeadLetterRow[];
  /** The generator index a dead letter came from, or null when its position maps to none. */
  indexOf(letter: DeadLetterRow): number | null;
  /** Intended send time of an index under the load profile, or null when it had no rate. */
  intendedAtMs(index: number): number | null;
  generation: DatasetManifest;
  slos: Slos;
}

export interface SloResult {
  name: string;
  /** The bound, as written in the scenario (a count, ms or records/s). */
  limit: number;
  actual: number;
  /** 'max': actual must not exceed limit; 'min': must not fall below. */
  bound: 'max' | 'min';
  met: boolean;
}

export type CheckStatus = 'pass' | 'fail';

export interface CheckResult {
  name: string;
  dataset: DatasetName;
  status: CheckStatus;
  /** One line a person reads first. */
  summary: string;
  figures: Record<string, number | null>;
  slos: SloResult[];
  /** A few example keys or indices per kind of defect, to start debugging from. */
  samples: Record<string, string[]>;
  /** Encoded HdrHistograms (base64, compressed), for re-rendering reports. */
  histograms?: Record<string, string>;
}

/** A verifier check: a pure function of the evidence, so it can be proven on synthetic defects. */
export interface Check {
  name: string;
  description: string;
  run(evidence: DatasetEvidence): CheckResult;
}

export const SAMPLE_LIMIT = 20;

export function slo(name: string, bound: 'max' | 'min', limit: number | undefined, actual: number): SloResult[] {
  if (limit === undefined) return [];
  return [{ name, bound, limit, actual, met: bound === 'max' ? actual <= limit : actual >= limit }];
}

export function statusOf(slos: SloResult[]): CheckStatus {
  return slos.every((s) => s.met) ? 'pass' : 'fail';
}

/** Takes up to SAMPLE_LIMIT items without walking the whole iterable. */
export function sample<T>(items: Iterable<T>, show: (item: T) => string = String): string[] {
  const out: string[] = [];
  for (const item of items) {
    if (out.length >= SAMPLE_LIMIT) break;
    out.push(show(item));
  }
  return out;
}
