import type { ReportWriter } from '../writer.ts';

export const jsonReport: ReportWriter = {
  file: 'report.json',
  render: (report) => `${JSON.stringify(report, null, 2)}\n`,
};
