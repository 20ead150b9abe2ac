import type { CheckResult } from '../verifier/check.ts';

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
}

/** Renders a report into one format; `file` is its name in the run directory. */
export interface ReportWriter {
  file: string;
  render(report: Report): string;
}
