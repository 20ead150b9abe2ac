/** Prints figures side by side, as every bench in this folder reports them. */
export function printTable(title: string, head: string[], rows: (string | number)[][]): void {
  const cells = [head, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? c.toLocaleString('en-US') : c)))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: (string | number)[]) => r.map((c, i) => String(c).padEnd(widths[i] as number)).join('  ');
  console.log(`\n${title}\n${line(head)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const r of cells.slice(1)) console.log(line(r));
}

/**
 * One figure of the harness beside its bare reference, measured in the same run: what the issue's
 * targets are stated in, so a regression shows as a ratio drop.
 */
export interface Pair {
  measure: string;
  harness: string;
  reference: string;
  /** harness / reference, in the unit of the figures (a rate, seconds or MiB). */
  ratio: number | null;
  /** The ratio's target, read as `ratio <target> bound`. */
  target: { at: 'least' | 'most'; bound: number } | null;
}

export function pair(measure: string, harness: [number, string], reference: [number, string], target: Pair['target']): Pair {
  const ratio = reference[0] > 0 && Number.isFinite(harness[0]) ? harness[0] / reference[0] : null;
  return { measure, harness: `${format(harness[0])} ${harness[1]}`, reference: `${format(reference[0])} ${reference[1]}`, ratio, target };
}

function format(n: number): string {
  return Number.isInteger(n) || Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2);
}

/** The closing table of `npm run bench`: every pair, its ratio and whether the target is met. */
export function printPairs(pairs: readonly Pair[]): void {
  printTable(
    'summary: the harness beside its bare references (same run)',
    ['measure', 'harness', 'reference', 'ratio', 'target', 'met'],
    pairs.map((p) => [
      p.measure,
      p.harness,
      p.reference,
      p.ratio === null ? '-' : p.ratio.toFixed(2),
      p.target ? `${p.target.at === 'least' ? '>=' : '<='} ${p.target.bound}` : '-',
      p.ratio === null || !p.target ? '-' : (p.target.at === 'least' ? p.ratio >= p.target.bound : p.ratio <= p.target.bound) ? 'yes' : 'NO',
    ]),
  );
}
