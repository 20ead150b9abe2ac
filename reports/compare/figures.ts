import type { FindMaxResult } from '../../verifier/find-max-report.ts';
import type { ComparedFigure, Report } from '../../verifier/report.ts';

/** What `harness compare` reads: a run's report.json, or a find-max search's. */
export type ComparableReport = Report | FindMaxResult;

export function isFindMax(report: ComparableReport): report is FindMaxResult {
  return 'kind' in report;
}

export type Direction = ComparedFigure['direction'];

/** A kind of figure; its pattern is the name, `#` standing for a stage number (1-based). */
interface FigureFamily {
  pattern: string;
  /** Which way is better when no --fail-on rule says otherwise. */
  direction: Direction;
  unit: string;
}

const percentiles = ['p50', 'p90', 'p99', 'p999', 'max'] as const;

/** Every figure compare knows, in the order it prints them. --fail-on names one of them, or a prefix of dot-separated parts. */
export const figureFamilies: readonly FigureFamily[] = [
  { pattern: 'throughput.produced', direction: 'higher-is-better', unit: 'rec/s' },
  { pattern: 'throughput.ingested', direction: 'higher-is-better', unit: 'rows/s' },
  { pattern: 'throughput.endToEnd', direction: 'higher-is-better', unit: 'rows/s' },
  ...percentiles.flatMap((p) =>
    (['corrected', 'measured'] as const).map((kind) => ({ pattern: `latency.${p}.${kind}`, direction: 'lower-is-better' as const, unit: 'ms' })),
  ),
  { pattern: 'stage.produced.#', direction: 'higher-is-better', unit: 'rec/s' },
  { pattern: 'stage.ingested.#', direction: 'higher-is-better', unit: 'rec/s' },
  { pattern: 'deadLetters', direction: 'lower-is-better', unit: 'letters' },
  { pattern: 'wallTime', direction: 'lower-is-better', unit: 'ms' },
  { pattern: 'peakRss', direction: 'lower-is-better', unit: 'bytes' },
  { pattern: 'findMax', direction: 'higher-is-better', unit: 'rec/s' },
];

/** Whether the dot-separated parts of `prefix` begin `pattern`'s (`#` matching a stage number). */
export function prefixOfPattern(prefix: string, pattern: string): boolean {
  const wanted = prefix.split('.');
  const parts = pattern.split('.');
  return wanted.length <= parts.length && wanted.every((part, i) => part === parts[i] || (parts[i] === '#' && /^[1-9]\d*$/.test(part)));
}

export function familyOf(name: string): FigureFamily {
  const family = figureFamilies.find((f) => f.pattern.split('.').length === name.split('.').length && prefixOfPattern(name, f.pattern));
  if (!family) throw new Error(`no figure family for ${name}`);
  return family;
}

/** One figure read from one report. */
export interface Figure {
  name: string;
  dataset: string | null;
  value: number;
}

/** Every figure a report holds, dataset by dataset, then the run's own; figures a report lacks (null, older reports) are left out. */
export function figuresOf(report: ComparableReport): Figure[] {
  if (isFindMax(report)) return report.answerPerSec === null ? [] : [{ name: 'findMax', dataset: report.dataset, value: report.answerPerSec }];
  const figures: Figure[] = [];
  const add = (name: string, dataset: string | null, value: number | null | undefined) => {
    if (typeof value === 'number' && Number.isFinite(value)) figures.push({ name, dataset, value });
  };
  const datasets = [...new Set(report.checks.map((c) => c.dataset))];
  for (const dataset of datasets) {
    const figuresOfCheck = (name: string) => report.checks.find((c) => c.dataset === dataset && c.name === name)?.figures ?? {};
    const throughput = figuresOfCheck('throughput');
    add('throughput.produced', dataset, throughput.producedPerSec);
    add('throughput.ingested', dataset, throughput.ingestedPerSec);
    add('throughput.endToEnd', dataset, throughput.endToEndPerSec);
    const latency = figuresOfCheck('latency');
    for (const p of percentiles) {
      add(`latency.${p}.corrected`, dataset, latency[`corrected_${p}_ms`]);
      add(`latency.${p}.measured`, dataset, latency[`${p}_ms`]);
    }
    const series = report.series?.[dataset] ?? [];
    for (const stage of report.stages?.[dataset] ?? []) {
      const seconds = stage.endS - stage.startS;
      const inStage = series.filter((p) => p.second >= stage.startS && p.second < stage.endS);
      if (seconds > 0 && inStage.length > 0) add(`stage.produced.${stage.index + 1}`, dataset, inStage.reduce((sum, p) => sum + p.produced, 0) / seconds);
      add(`stage.ingested.${stage.index + 1}`, dataset, stage.achievedPerSec);
    }
    add('deadLetters', dataset, figuresOfCheck('dlq-capture').deadLetters);
  }
  add('wallTime', null, report.run?.wallMs);
  add('peakRss', null, report.run?.peakRssBytes);
  return figures;
}
