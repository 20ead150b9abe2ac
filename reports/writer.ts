import type { Report } from '../verifier/report.ts';

/** Renders a report into one format; `file` is its name in the run directory. */
export interface ReportWriter {
  file: string;
  render(report: Report): string;
}
