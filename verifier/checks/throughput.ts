import { slo, statusOf, type Check } from '../check.ts';

/** Records produced per second, rows ingested per second, and rows per second end to end. */
export const throughput: Check = {
  name: 'throughput',
  description: 'Produced records/s, ingested rows/s (first to last ingest) and end-to-end rows/s.',
  begin(context) {
    let rows = 0;
    let first = Infinity;
    let last = -Infinity;
    return {
      row({ row }) {
        rows++;
        const at = row.ingestedAtMs;
        if (at === null) return;
        if (at < first) first = at;
        if (at > last) last = at;
      },
      finish() {
        const { generation } = context;
        const perSec = (n: number, ms: number) => (ms > 0 ? Math.round((n / ms) * 1000) : null);
        const producedPerSec = perSec(generation.count, generation.finishedAtMs - generation.startedAtMs);
        const endToEndPerSec = rows > 0 && last > -Infinity ? perSec(rows, last - generation.startedAtMs) : 0;
        // One batch has no span of its own; the end-to-end figure is then the sustained rate.
        const ingestedPerSec = rows > 1 && last > first ? perSec(rows, last - first) : endToEndPerSec;
        const slos = slo('throughput.minIngestedPerSec', 'min', context.slos.throughput.minIngestedPerSec, ingestedPerSec ?? 0);
        const due = context.oracle.counts().expectedRows > 0;
        return {
          name: 'throughput',
          dataset: context.dataset,
          status: statusOf(slos, rows > 0 || !due),
          summary:
            rows === 0 && due
              ? 'no rows ingested: no throughput to measure'
              : `produced ${producedPerSec ?? '-'} rec/s, ingested ${ingestedPerSec ?? '-'} rows/s, end to end ${endToEndPerSec ?? '-'} rows/s`,
          figures: {
            produced: generation.count,
            rows,
            producedPerSec,
            ingestedPerSec,
            endToEndPerSec,
            generationMs: generation.finishedAtMs - generation.startedAtMs,
            ingestSpanMs: rows > 0 && last > -Infinity ? last - first : null,
          },
          slos,
          samples: {},
        };
      },
    };
  },
};
