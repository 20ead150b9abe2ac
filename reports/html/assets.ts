import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * uPlot draws the charts: MIT, ~50 KB minified with no dependencies, and it draws on canvas, so an
 * hour of per-second points stays fast where SVG libraries build a node per point. Its files are
 * read from node_modules when a page is rendered (resolved from this module, so from dist/ too)
 * and inlined: the page needs no network.
 */
export interface ChartAssets {
  script: string;
  style: string;
}

let cached: ChartAssets | null = null;

export function chartAssets(): ChartAssets {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const read = (file: string) => readFileSync(require.resolve(`uplot/dist/${file}`), 'utf8');
  cached = { script: read('uPlot.iife.min.js'), style: read('uPlot.min.css') };
  return cached;
}
