import type { CheckResult } from './check.ts';

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
