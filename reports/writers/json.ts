import type { ReportWriter } from '../report.ts';

export const jsonReport: ReportWriter = {
  file: 'report.json',
  render: (report) => `${JSON.stringify(report, null, 2)}\n`,
};
