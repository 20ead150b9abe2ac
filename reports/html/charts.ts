import * as hdr from 'hdr-histogram-js';
import type { SeriesPoint, StageSummary } from '../../verifier/report.ts';

/** At most this many points per line: a page for an hour-long run stays small and draws at once. */
export const MAX_POINTS = 2000;

/** One chart as the page's script draws it with uPlot: `data[0]` is x, `data[i + 1]` is `series[i]`. */
export interface ChartSpec {
  id: string;
  title: string;
  xLabel: string;
  /** How x is drawn: seconds since time zero, or a percentile on the 1/(1-p) log scale. */
  x: 'seconds' | 'percentile';
  logY?: boolean;
  series: { label: string; color: string; unit: string; scale?: 'right' }[];
  data: (number | null)[][];
  /** Vertical lines, e.g. stage boundaries, at x values. */
  marks: { at: number; label: string }[];
}

type Aggregate = 'mean' | 'max';

/**
 * Merges consecutive points into buckets so no line has more than `max` points: rates by their
 * mean, backlog and latency by their maximum (a peak must stay visible). For display only; the
 * report keeps every second.
 */
export function downsample(x: number[], lines: { values: (number | null)[]; aggregate: Aggregate }[], max = MAX_POINTS): (number | null)[][] {
  const size = Math.max(1, Math.ceil(x.length / max));
  if (size === 1) return [x, ...lines.map((l) => l.values)];
  const buckets = Math.ceil(x.length / size);
  const xs: number[] = [];
  const ys = lines.map(() => [] as (number | null)[]);
  for (let b = 0; b < buckets; b++) {
    const from = b * size;
    const to = Math.min(x.length, from + size);
    xs.push(x[from] as number);
    lines.forEach((line, i) => {
      const present = line.values.slice(from, to).filter((v): v is number => v !== null);
      const value = present.length === 0 ? null : line.aggregate === 'max' ? Math.max(...present) : present.reduce((a, v) => a + v, 0) / present.length;
      (ys[i] as (number | null)[]).push(value);
    });
  }
  return [xs, ...ys];
}

const colors = {
  target: '#888',
  produced: '#2a7ab0',
  ingested: '#2e9e4f',
  backlog: '#c0392b',
  p50: '#8e44ad',
  p99: '#d35400',
  measured: '#2a7ab0',
  corrected: '#d35400',
};

/** The three per-second charts of one dataset, with its stage boundaries marked. */
export function seriesCharts(dataset: string, points: SeriesPoint[], stages: StageSummary[]): ChartSpec[] {
  const x = points.map((p) => p.second);
  const marks = stages.filter((s) => s.index > 0).map((s) => ({ at: s.startS, label: s.label }));
  const chart = (
    suffix: string,
    title: string,
    lines: { label: keyof typeof colors; unit: string; values: (number | null)[]; aggregate: Aggregate }[],
  ): ChartSpec => ({
    id: `${dataset}-${suffix}`,
    title: `${dataset}: ${title}`,
    xLabel: 'seconds since time zero',
    x: 'seconds',
    series: lines.map((l) => ({ label: l.label, color: colors[l.label], unit: l.unit })),
    data: downsample(x, lines),
    marks,
  });
  return [
    chart('rates', 'records per second', [
      { label: 'target', unit: 'rec/s', values: points.map((p) => p.targetPerSec), aggregate: 'mean' },
      { label: 'produced', unit: 'rec/s', values: points.map((p) => p.produced), aggregate: 'mean' },
      { label: 'ingested', unit: 'rec/s', values: points.map((p) => p.ingested), aggregate: 'mean' },
    ]),
    chart('backlog', 'backlog (records produced, outcome not landed)', [
      { label: 'backlog', unit: 'records', values: points.map((p) => p.backlog), aggregate: 'max' },
    ]),
    chart('latency', 'latency per second (corrected)', [
      { label: 'p50', unit: 'ms', values: points.map((p) => p.p50Ms), aggregate: 'max' },
      { label: 'p99', unit: 'ms', values: points.map((p) => p.p99Ms), aggregate: 'max' },
    ]),
  ];
}

/** 1/(1-p) from 1 (p0) to 10^4 (p99.99), 20 points a decade: HdrHistogram's percentile distribution plot. */
const SPECTRUM_X = Array.from({ length: 81 }, (_, i) => 10 ** (i / 20));

/**
 * The latency percentile spectrum of one dataset from the latency check's encoded histograms,
 * decoded here so the page carries 81 points per line rather than a decoder. A histogram with no
 * values (corrected, on an unpaced run) draws no line.
 */
export function spectrumChart(dataset: string, histograms: Record<string, string>): ChartSpec | null {
  const lines = (['measured', 'corrected'] as const).flatMap((label) => {
    const encoded = histograms[label];
    if (!encoded) return [];
    const histogram = hdr.decodeFromCompressedBase64(encoded);
    try {
      if (histogram.totalCount === 0) return [];
      const max = histogram.maxValue;
      return [{ label, values: SPECTRUM_X.map((x) => Math.min(max, histogram.getValueAtPercentile(100 * (1 - 1 / x)))) }];
    } finally {
      histogram.destroy();
    }
  });
  if (lines.length === 0) return null;
  return {
    id: `${dataset}-spectrum`,
    title: `${dataset}: latency by percentile`,
    xLabel: 'percentile',
    x: 'percentile',
    logY: true,
    series: lines.map((l) => ({ label: l.label, color: colors[l.label], unit: 'ms' })),
    data: [SPECTRUM_X, ...lines.map((l) => l.values)],
    marks: [],
  };
}

/** One find-max step: target and ingested rates on the left axis, the backlog on the right. */
export function stepChart(id: string, title: string, points: SeriesPoint[]): ChartSpec {
  return {
    id,
    title,
    xLabel: 'seconds since the step began',
    x: 'seconds',
    series: [
      { label: 'target', color: colors.target, unit: 'rec/s' },
      { label: 'ingested', color: colors.ingested, unit: 'rec/s' },
      { label: 'backlog', color: colors.backlog, unit: 'records', scale: 'right' },
    ],
    data: downsample(
      points.map((p) => p.second),
      [
        { values: points.map((p) => p.targetPerSec), aggregate: 'mean' },
        { values: points.map((p) => p.ingested), aggregate: 'mean' },
        { values: points.map((p) => p.backlog), aggregate: 'max' },
      ],
    ),
    marks: [],
  };
}
