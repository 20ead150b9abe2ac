import * as hdr from 'hdr-histogram-js';
import { slo, statusOf, type Check } from '../check.ts';

const HOUR_MS = 3_600_000;

function newHistogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 24 * HOUR_MS, numberOfSignificantValueDigits: 3 });
}

function percentiles(histogram: hdr.Histogram): Record<string, number | null> {
  if (histogram.totalCount === 0) return { p50: null, p90: null, p99: null, p999: null, max: null };
  return {
    p50: histogram.getValueAtPercentile(50),
    p90: histogram.getValueAtPercentile(90),
    p99: histogram.getValueAtPercentile(99),
    p999: histogram.getValueAtPercentile(99.9),
    max: histogram.maxValue,
  };
}

/**
 * Ingest time minus send time, per row, in an HdrHistogram; and minus the intended send time too,
 * which corrects for coordinated omission: a generator that fell behind does not hide the wait.
 */
export const latency: Check = {
  name: 'latency',
  description: 'HdrHistogram of ingest minus send time, and minus intended send time (coordinated omission); p50-max.',
  run(evidence) {
    const measured = newHistogram();
    const corrected = newHistogram();
    for (const row of evidence.rows) {
      measured.recordValue(clamp(row.ingestedAtMs - row.producedAtMs));
      const origin = evidence.truth.expectedKeys.get(row.key);
      const intended = origin === undefined ? null : evidence.intendedAtMs(origin);
      if (intended !== null) corrected.recordValue(clamp(row.ingestedAtMs - intended));
    }
    const figures = percentiles(measured);
    const correctedFigures = percentiles(corrected);
    // With no rate there is no intended time, and the measured figures are all there is.
    const judged = corrected.totalCount > 0 ? correctedFigures : figures;
    const bounds = evidence.slos.latency;
    const slos = (['p50', 'p90', 'p99', 'p999', 'max'] as const).flatMap((p) => {
      const actual = judged[p];
      return actual === null || actual === undefined ? [] : slo(`latency.${p}`, 'max', bounds[p], actual);
    });
    const result = {
      name: this.name,
      dataset: evidence.dataset,
      status: statusOf(slos),
      summary:
        measured.totalCount === 0
          ? 'no rows to measure'
          : `p50 ${figures.p50} ms, p99 ${figures.p99} ms, max ${figures.max} ms` +
            (corrected.totalCount > 0 ? ` (corrected for coordinated omission: p99 ${correctedFigures.p99} ms)` : ''),
      figures: {
        samples: measured.totalCount,
        ...prefixed('', figures),
        ...prefixed('corrected_', correctedFigures),
      },
      slos,
      samples: {},
      histograms: {
        measured: hdr.encodeIntoCompressedBase64(measured),
        corrected: hdr.encodeIntoCompressedBase64(corrected),
      },
    };
    measured.destroy();
    corrected.destroy();
    return result;
  },
};

function clamp(ms: number): number {
  return Math.min(24 * HOUR_MS, Math.max(0, Math.round(ms)));
}

function prefixed(prefix: string, figures: Record<string, number | null>): Record<string, number | null> {
  return Object.fromEntries(Object.entries(figures).map(([k, v]) => [`${prefix}${k}_ms`, v]));
}
