import Table from 'cli-table3';
import type { ComparedFigure, Comparison } from '../../verifier/report.ts';
import { formatNumber } from '../format.ts';
import { beyondTolerance } from './compare.ts';
import { familyOf } from './figures.ts';

/** The number in the figure's unit (bytes as MiB), and that unit. */
function scaled(name: string, n: number): [string, string] {
  const { unit } = familyOf(name);
  return unit === 'bytes' ? [formatNumber(Math.round(n / 2 ** 20)), 'MiB'] : [formatNumber(Math.round(n)), unit];
}

function value(name: string, n: number): string {
  return scaled(name, n).join(' ');
}

function percent(fraction: number): string {
  return `${fraction >= 0 ? '+' : ''}${(fraction * 100).toFixed(1)}%`;
}

function baselineText(f: ComparedFigure): string {
  const [low, high] = f.baselineRange;
  return low === high ? value(f.name, f.baseline) : `${value(f.name, f.baseline)} (${scaled(f.name, low)[0]}..${scaled(f.name, high)[0]})`;
}

/** The --fail-on tolerance as the rule wrote it: `+10%` (may rise 10%) or `-5%`. */
function allowed(f: ComparedFigure): string {
  if (f.tolerance === null) return '-';
  return `${f.direction === 'lower-is-better' ? '+' : '-'}${Number((f.tolerance * 100).toPrecision(6))}%`;
}

/** REGRESSED; `noise` when beyond the tolerance but within the baseline runs' range; ok; `-` without a rule. */
function status(f: ComparedFigure): string {
  if (f.regressed) return 'REGRESSED';
  if (f.tolerance === null) return '-';
  return beyondTolerance(f) ? 'noise' : 'ok';
}

function rows(comparison: Comparison): string[][] {
  return comparison.figures.map((f) => [f.dataset ?? 'run', f.name, baselineText(f), value(f.name, f.current), percent(f.delta), allowed(f), status(f)]);
}

const head = ['dataset', 'figure', 'baseline', 'current', 'delta', 'allowed', 'status'];

/** `[ecommerce] throughput.ingested: baseline 3,959 rows/s, current 1,000 rows/s (-74.7%, allowed -20%)`, one per regressed figure. */
export function regressionLines(comparison: Comparison): string[] {
  return comparison.figures
    .filter((f) => f.regressed)
    .map(
      (f) =>
        `${f.dataset ? `[${f.dataset}] ` : ''}${f.name}: baseline ${baselineText(f)}, current ${value(f.name, f.current)} (${percent(f.delta)}, allowed ${allowed(f)})`,
    );
}

/** One line: the comparison's verdict and what regressed. */
export function comparisonVerdict(comparison: Comparison): string {
  const regressed = regressionLines(comparison);
  const against = `${comparison.baselines.length} baseline${comparison.baselines.length === 1 ? '' : 's'}`;
  return regressed.length === 0
    ? `comparison: PASS against ${against} (${comparison.figures.length} figures, none regressed)`
    : `comparison: FAIL against ${against}, ${regressed.length} figure${regressed.length === 1 ? '' : 's'} regressed:\n${regressed.map((l) => `  ${l}`).join('\n')}`;
}

export function renderComparisonTerminal(comparison: Comparison): string {
  const table = new Table({ head, style: { head: [], border: [] } });
  table.push(...rows(comparison));
  return `${table.toString()}\n${comparisonVerdict(comparison)}\n`;
}

/** The comparison as a markdown section: compare.md, and report.md under `harness run|verify --baseline`. */
export function renderComparisonMarkdown(comparison: Comparison): string {
  const cell = (text: string) => (text === 'REGRESSED' ? '**REGRESSED**' : text);
  return [
    `### Against ${comparison.baselines.length === 1 ? 'the baseline' : `${comparison.baselines.length} baselines`}: ${comparison.verdict === 'pass' ? 'PASS' : 'FAIL'}`,
    '',
    `Baseline${comparison.baselines.length === 1 ? '' : 's'}: ${comparison.baselines.map((b) => `\`${b}\``).join(', ')}. Baseline is the median, in brackets the baseline runs' range; a figure regresses beyond its allowed change and that range.`,
    '',
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows(comparison).map((r) => `| ${r.map(cell).join(' | ')} |`),
    '',
  ].join('\n');
}
