import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { HarnessError, messageOf } from '../../core/errors.ts';
import { REPORT_SCHEMA_VERSION } from '../../verifier/report.ts';
import type { ComparableReport } from './figures.ts';

/** A report read from disk, with where it came from for messages. */
export interface LoadedReport {
  path: string;
  report: ComparableReport;
}

const figures = z.record(z.string(), z.number().nullable());

/** The parts of a run's report.json that compare reads; the rest passes through unchecked. */
const runReport = z.looseObject({
  runId: z.string(),
  scenario: z.string(),
  verdict: z.enum(['pass', 'fail']),
  checks: z.array(z.looseObject({ name: z.string(), dataset: z.string(), status: z.enum(['pass', 'fail']), figures })),
  series: z.record(z.string(), z.array(z.looseObject({ second: z.number(), produced: z.number() }))).optional(),
  stages: z.record(z.string(), z.array(z.looseObject({ index: z.number(), startS: z.number(), endS: z.number(), achievedPerSec: z.number() }))).optional(),
  run: z.looseObject({ seed: z.number(), datasets: z.record(z.string(), z.number()), wallMs: z.number(), peakRssBytes: z.number().nullable() }).optional(),
});

/** The parts of a find-max report.json that compare reads. */
const findMaxReport = z.looseObject({
  kind: z.literal('find-max'),
  scenario: z.string(),
  dataset: z.string(),
  settings: z.looseObject({ stepMs: z.number() }),
  steps: z.array(z.unknown()),
  answerPerSec: z.number().nullable(),
});

/**
 * Reads a report.json (or the one in a run or find-max directory) for `harness compare` and
 * `--baseline`. Anything unusable is a HarnessError naming the file and what is wrong with it, never
 * a stack trace: an empty or truncated file (a job killed while writing it), another schema version,
 * or a JSON document that is not a report.
 */
export function loadReport(given: string, role: 'baseline' | 'current'): LoadedReport {
  const path = isDirectory(given) ? join(given, 'report.json') : given;
  const fail = (problem: string) => new HarnessError('report', `${role} ${path}: ${problem}`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw fail(`cannot be read (${messageOf(error)})`);
  }
  if (text.trim() === '') throw fail('is empty: no report was written into it');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw fail(`is not valid JSON, truncated or corrupt (${messageOf(error)})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw fail('is not a harness report (not a JSON object)');
  const version = (json as { schemaVersion?: unknown }).schemaVersion;
  if (version === undefined) throw fail('is not a harness report (no schemaVersion)');
  if (version !== REPORT_SCHEMA_VERSION) {
    throw fail(
      `has schemaVersion ${JSON.stringify(version)}; this harness reads version ${REPORT_SCHEMA_VERSION}: compare reports written by the same harness version`,
    );
  }
  const schema = (json as { kind?: unknown }).kind === 'find-max' ? findMaxReport : runReport;
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw fail(`is not a complete report: /${issue?.path.join('/') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  // Validated above for every field compare reads; the rest is carried as written.
  return { path, report: json as ComparableReport };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
