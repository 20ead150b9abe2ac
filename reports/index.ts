import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Report } from '../verifier/report.ts';
import type { ReportWriter } from './writer.ts';
import { htmlReport } from './writers/html.ts';
import { jsonReport } from './writers/json.ts';
import { junitReport } from './writers/junit.ts';
import { markdownReport } from './writers/markdown.ts';

/** Report formats written into the run directory on every verification. */
export const reportWriters = { json: jsonReport, markdown: markdownReport, junit: junitReport, html: htmlReport } satisfies Record<string, ReportWriter>;

export function writeReports(runDir: string, report: Report): string[] {
  return Object.values(reportWriters).map((writer) => {
    const path = join(runDir, writer.file);
    writeFileSync(path, writer.render(report));
    return path;
  });
}

export { renderTerminal } from './writers/terminal.ts';
