import { slo, statusOf, type Check } from '../check.ts';

/** Records produced per second, rows ingested per second, and rows per second end to end. */
export const throughput: Check = {
  name: 'throughput',
  description: 'Produced records/s, ingested rows/s (first to last ingest) and end-to-end rows/s.',
  run(evidence) {
    const { generation, rows } = evidence;
    let first = Infinity;
    let last = -Infinity;
    for (const row of rows) {
      if (row.ingestedAtMs < first) first = row.ingestedAtMs;
      if (row.ingestedAtMs > last) last = row.ingestedAtMs;
    }
    const perSec = (n: number, ms: number) => (ms > 0 ? Math.round((n / ms) * 1000) : null);
    const producedPerSec = perSec(generation.count, generation.finishedAtMs - generation.startedAtMs);
    const endToEndPerSec = rows.length > 0 ? perSec(rows.length, last - generation.startedAtMs) : 0;
    // One batch has no span of its own; the end-to-end figure is then the sustained rate.
    const ingestedPerSec = rows.length > 1 && last > first ? perSec(rows.length, last - first) : endToEndPerSec;
    const slos = slo('throughput.minIngestedPerSec', 'min', evidence.slos.throughput.minIngestedPerSec, ingestedPerSec ?? 0);
    return {
      name: this.name,
      dataset: evidence.dataset,
      status: statusOf(slos),
      summary: `produced ${producedPerSec ?? '-'} rec/s, ingested ${ingestedPerSec ?? '-'} rows/s, end to end ${endToEndPerSec ?? '-'} rows/s`,
      figures: {
        produced: generation.count,
        rows: rows.length,
        producedPerSec,
        ingestedPerSec,
        endToEndPerSec,
        generationMs: generation.finishedAtMs - generation.startedAtMs,
        ingestSpanMs: rows.length > 0 ? last - first : null,
      },
      slos,
      samples: {},
    };
  },
};
