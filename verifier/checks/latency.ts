import * as hdr from 'hdr-histogram-js';
import { Samples, slo, statusOf, type Check } from '../check.ts';

const HOUR_MS = 3_600_000;
export const HIGHEST_MS = 24 * HOUR_MS;

export function newHistogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_MS, numberOfSignificantValueDigits: 3 });
}

/** Percentiles, never above the max (HdrHistogram reports a bucket's top, which can pass it). */
export function percentiles(histogram: hdr.Histogram): Record<string, number | null> {
  if (histogram.totalCount === 0) return { p50: null, p90: null, p99: null, p999: null, max: null };
  const max = histogram.maxValue;
  const at = (p: number) => Math.min(max, histogram.getValueAtPercentile(p));
  return { p50: at(50), p90: at(90), p99: at(99), p999: at(99.9), max };
}

/**
 * Ingest time minus send time, per row, in an HdrHistogram; and minus the intended send time too,
 * which corrects for coordinated omission: a generator that fell behind does not hide the wait.
 * A time that cannot be right (NULL, ingested before produced, produced outside the run) is never
 * clamped into the histogram: it is counted apart and fails the check.
 */
export const latency: Check = {
  name: 'latency',
  description: 'HdrHistogram of ingest minus send time, and minus intended send time (coordinated omission); p50-max; impossible times fail.',
  begin(context) {
    const measured = newHistogram();
    const corrected = newHistogram();
    const anomalies = { nullTimes: 0, ingestedBeforeProduced: 0, producedOutsideRun: 0, beyondRange: 0 };
    const samples = new Samples();
    const { startMs, endMs } = context.window;
    return {
      row(observed) {
        const { row, origin, lands } = observed;
        const { producedAtMs: produced, ingestedAtMs: ingested } = row;
        if (produced === null || ingested === null) {
          anomalies.nullTimes++;
          samples.add(() => `${observed.key}: ${produced === null ? 'produced_at' : 'ingested_at'} is NULL`);
          return;
        }
        const ms = Math.round(ingested - produced);
        if (ms < 0) {
          anomalies.ingestedBeforeProduced++;
          samples.add(() => `${observed.key}: ingested ${-ms} ms before it was produced`);
          return;
        }
        if (produced < startMs || produced > endMs) {
          anomalies.producedOutsideRun++;
          samples.add(() => `${observed.key}: produced_at ${new Date(produced).toISOString()} is outside the run`);
          return;
        }
        if (ms > HIGHEST_MS) {
          anomalies.beyondRange++;
          samples.add(() => `${observed.key}: ${ms} ms, beyond the histogram's 24 h`);
          return;
        }
        measured.recordValue(Math.max(1, ms));
        const intended = lands && origin !== null ? context.intendedAtMs(origin) : null;
        if (intended !== null) corrected.recordValue(Math.min(HIGHEST_MS, Math.max(1, Math.round(ingested - intended))));
      },
      finish() {
        const figures = percentiles(measured);
        const correctedFigures = percentiles(corrected);
        // With no rate there is no intended time, and the measured figures are all there is.
        const judged = corrected.totalCount > 0 ? correctedFigures : figures;
        const bounds = context.slos.latency;
        const anomalyCount = Object.values(anomalies).reduce((a, b) => a + b, 0);
        const slos = [
          ...(['p50', 'p90', 'p99', 'p999', 'max'] as const).flatMap((p) => {
            const actual = judged[p];
            return actual === null || actual === undefined ? [] : slo(`latency.${p}`, 'max', bounds[p], actual);
          }),
          ...slo('latency.impossibleTimes', 'max', 0, anomalyCount),
        ];
        const due = context.oracle.counts().expectedRows > 0;
        const result = {
          name: 'latency',
          dataset: context.dataset,
          status: statusOf(slos, measured.totalCount > 0 || !due),
          summary:
            measured.totalCount === 0
              ? due
                ? `no latency samples for ${context.oracle.counts().expectedRows} expected rows${anomalyCount > 0 ? ` (${anomalyCount} rows with impossible times)` : ''}`
                : 'no rows to measure'
              : `p50 ${figures.p50} ms, p99 ${figures.p99} ms, max ${figures.max} ms` +
                (corrected.totalCount > 0 ? ` (corrected for coordinated omission: p99 ${correctedFigures.p99} ms)` : '') +
                (anomalyCount > 0 ? `; ${anomalyCount} rows with impossible times` : ''),
          figures: {
            samples: measured.totalCount,
            ...prefixed('', figures),
            ...prefixed('corrected_', correctedFigures),
            ...anomalies,
          },
          slos,
          samples: { impossibleTimes: samples.items },
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
  },
};

function prefixed(prefix: string, figures: Record<string, number | null>): Record<string, number | null> {
  return Object.fromEntries(Object.entries(figures).map(([k, v]) => [`${prefix}${k}_ms`, v]));
}
