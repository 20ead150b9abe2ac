import type { DatasetName } from '../../generators/dataset-names.ts';
import type { CheckResult } from '../../verifier/check.ts';
import type { Comparison, Report, RunSummary } from '../../verifier/report.ts';
import { seriesCharts, spectrumChart, type ChartSpec } from '../html/charts.ts';
import { chartSlot, escapeHtml as esc, htmlPage } from '../html/page.ts';
import { formatNumber, formatSlo } from '../format.ts';
import type { ReportWriter } from '../writer.ts';

/** Zero checks is no evidence: never drawn as a pass, whatever the verdict field says. */
export function shownVerdict(report: Report): 'pass' | 'fail' {
  return report.verdict === 'pass' && report.checks.length > 0 ? 'pass' : 'fail';
}

/** Failed checks first, each group in the report's order. */
function failedFirst(checks: CheckResult[]): CheckResult[] {
  return [...checks.filter((c) => c.status === 'fail'), ...checks.filter((c) => c.status === 'pass')];
}

const status = (s: 'pass' | 'fail') => `<span class="status ${s}">${s === 'pass' ? 'pass' : 'FAIL'}</span>`;

function header(report: Report): string {
  const verdict = shownVerdict(report);
  const passing = report.checks.filter((c) => c.status === 'pass').length;
  const why = report.checks.length === 0 ? 'no checks ran: no evidence, never a pass' : `${passing} of ${report.checks.length} checks pass`;
  return `<h1>harness: ${esc(report.scenario)}</h1>
<p><span class="verdict ${verdict}" data-verdict="${verdict}">${verdict.toUpperCase()}</span>${esc(why)}${report.comparison ? `; comparison with the baseline: ${status(report.comparison.verdict)}` : ''}</p>
<p class="note">Run <code>${esc(report.runId)}</code>, verified ${esc(report.generatedAt)}.</p>`;
}

function runSection(report: Report, run: RunSummary | undefined): string {
  if (!run)
    return `<h2>Run</h2><dl class="run"><dt>sink</dt><dd>${esc(report.sink)}</dd></dl><p class="note">This report predates the run summary: no seed, counts or transport.</p>`;
  const rows: [string, string][] = [
    ['scenario', `${run.scenario} (${run.scenarioPath})`],
    ['seed', String(run.seed)],
    ['base time', run.baseTime],
    [
      'records',
      Object.entries(run.datasets)
        .map(([name, n]) => `${name} ${formatNumber(n)}`)
        .join(', '),
    ],
    ['transport', run.transport],
    ['sink', run.sink],
    ['status', run.status],
    ['wall time', `${(run.wallMs / 1000).toFixed(1)} s`],
    ['peak RSS', run.peakRssBytes === null ? '-' : `${Math.round(run.peakRssBytes / 2 ** 20)} MiB`],
  ];
  return `<h2>Run</h2><dl class="run">${rows.map(([k, v]) => `<dt>${k}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`;
}

function comparisonSection(comparison: Comparison): string {
  const pct = (d: number) => `${d >= 0 ? '+' : ''}${(d * 100).toFixed(1)}%`;
  const rows = [...comparison.figures]
    .sort((a, b) => Number(b.regressed) - Number(a.regressed))
    .map(
      (f) =>
        `<tr class="${f.regressed ? 'fail' : ''}"><td>${esc(f.dataset ?? 'run')}</td><td>${esc(f.name)}</td><td class="num">${formatNumber(f.baseline)}</td><td class="num">${formatNumber(f.baselineRange[0])} .. ${formatNumber(f.baselineRange[1])}</td><td class="num">${formatNumber(f.current)}</td><td class="num">${pct(f.delta)}</td><td>${f.direction}</td><td class="num">${f.tolerance === null ? '-' : pct(f.tolerance)}</td><td>${f.regressed ? status('fail') : status('pass')}</td></tr>`,
    );
  return `<h2>Against the baseline</h2><p class="note">Baselines: ${comparison.baselines.map((b) => `<code>${esc(b)}</code>`).join(', ')}</p>
<table><tr><th>dataset</th><th>figure</th><th class="num">baseline</th><th class="num">baseline range</th><th class="num">current</th><th class="num">delta</th><th>better when</th><th class="num">tolerance</th><th>verdict</th></tr>${rows.join('')}</table>`;
}

function checksSection(report: Report): string {
  const rows = failedFirst(report.checks).map((c) => {
    const figures = Object.entries(c.figures)
      .map(([name, value]) => `<span>${esc(name)} <b data-figure="${esc(`${c.dataset}/${c.name}/${name}`)}">${formatNumber(value)}</b></span>`)
      .join('');
    return `<tr class="${c.status}" data-check="${esc(`${c.dataset}/${c.name}`)}"><td>${status(c.status)}</td><td>${esc(c.dataset)}</td><td>${esc(c.name)}</td><td>${esc(c.summary)}<div class="figures">${figures}</div></td><td class="slos">${c.slos.map((s) => esc(formatSlo(s))).join('<br>') || '-'}</td></tr>`;
  });
  return `<h2>Checks</h2><table><tr><th>status</th><th>dataset</th><th>check</th><th>summary and figures</th><th>SLOs</th></tr>${rows.join('')}</table>`;
}

function stagesSection(report: Report): string {
  const rows = Object.entries(report.stages ?? {}).flatMap(([dataset, stages]) =>
    stages.map(
      (s) =>
        `<tr class="${s.status}"><td>${esc(dataset)}</td><td>${esc(s.label)}</td><td class="num">${s.startS} .. ${s.endS} s</td><td class="num">${formatNumber(s.targetPerSec)}</td><td class="num">${formatNumber(s.achievedPerSec)}</td><td class="num">${s.p99Ms === null ? '-' : formatNumber(s.p99Ms)}</td><td class="num">${formatNumber(s.backlogAtEnd)}</td><td>${s.slos.map((x) => esc(formatSlo(x))).join('<br>') || '-'}</td><td>${status(s.status)}</td></tr>`,
    ),
  );
  if (rows.length === 0) return '';
  return `<h2>Stages</h2><table><tr><th>dataset</th><th>stage</th><th class="num">seconds</th><th class="num">target/s</th><th class="num">achieved/s</th><th class="num">p99 ms</th><th class="num">backlog at end</th><th>SLOs</th><th>status</th></tr>${rows.join('')}</table>`;
}

/** Per dataset: the per-second charts, then the latency spectrum. */
function chartsOf(report: Report): { dataset: string; charts: ChartSpec[] }[] {
  const datasets = [...new Set([...Object.keys(report.series ?? {}), ...report.checks.filter((c) => c.histograms).map((c) => c.dataset)])];
  return datasets.map((dataset) => {
    const points = report.series?.[dataset as DatasetName] ?? [];
    const stages = report.stages?.[dataset as DatasetName] ?? [];
    const histograms = report.checks.find((c) => c.dataset === dataset && c.name === 'latency')?.histograms;
    const spectrum = histograms ? spectrumChart(dataset, histograms) : null;
    return { dataset, charts: [...(points.length > 0 ? seriesCharts(dataset, points, stages) : []), ...(spectrum ? [spectrum] : [])] };
  });
}

function deadLettersSection(report: Report): string {
  const tables = report.checks
    .filter((c) => c.name === 'dlq-capture')
    .map((c) => {
      const reasons = Object.entries(c.figures).flatMap(([k, n]) => (k.startsWith('reason.') && n !== null ? [[k.slice('reason.'.length), n] as const] : []));
      const top = Math.max(1, ...reasons.map(([, n]) => n));
      const rows = reasons
        .sort(([, a], [, b]) => b - a)
        .map(
          ([reason, n]) =>
            `<tr><td>${esc(reason)}</td><td class="num">${formatNumber(n)}</td><td><span class="bar" style="width:${Math.max(1, Math.round((n / top) * 300))}px"></span></td></tr>`,
        );
      const outcome = `expected ${formatNumber(c.figures.expected)}, captured ${formatNumber(c.figures.captured)}, missed ${formatNumber(c.figures.missed)}, wrong reason ${formatNumber(c.figures.wrongReason)}, dead-lettered wrongly ${formatNumber(c.figures.validDeadLettered)}`;
      return `<h3>${esc(c.dataset)}</h3><p class="note">${esc(outcome)}</p>${rows.length > 0 ? `<table class="reasons"><tr><th>reason</th><th class="num">dead letters</th><th></th></tr>${rows.join('')}</table>` : '<p class="note">No dead letters by reason in this report.</p>'}`;
    });
  return tables.length > 0 ? `<h2>Dead letters by reason</h2>${tables.join('')}` : '';
}

/** `#123` in a sample names record 123: the command that regenerates it and says what the oracle expects of it. */
function replayCommand(run: RunSummary | undefined, dataset: string, sample: string): string {
  const index = /#(\d+)/.exec(sample)?.[1];
  if (index === undefined || !run) return '';
  return `<pre>harness generate ${esc(run.scenarioPath)} --dataset ${esc(dataset)} --base-time ${esc(run.baseTime)} --explain ${index}</pre>`;
}

function samplesSection(report: Report): string {
  const blocks = failedFirst(report.checks).flatMap((c) => {
    const kinds = Object.entries(c.samples).filter(([, items]) => items.length > 0);
    if (kinds.length === 0) return [];
    const lists = kinds.map(
      ([kind, items]) =>
        `<p><b>${esc(kind)}</b> (first ${items.length})</p><ul class="samples">${items.map((i) => `<li><code>${esc(i)}</code>${replayCommand(report.run, c.dataset, i)}</li>`).join('')}</ul>`,
    );
    return [
      `<div class="sample-block" data-samples="${esc(`${c.dataset}/${c.name}`)}"><h3>${esc(c.dataset)} / ${esc(c.name)} ${status(c.status)}</h3>${lists.join('')}</div>`,
    ];
  });
  if (blocks.length === 0) return '';
  return `<h2>Defect samples</h2><p class="note">Faults injected on purpose are not defects; these are what the checks found.</p>${blocks.join('')}`;
}

/** One self-contained page: open it from disk or a CI artifact, no network needed. */
export const htmlReport: ReportWriter = {
  file: 'report.html',
  render(report) {
    const perDataset = chartsOf(report);
    const charts = perDataset.flatMap((d) => d.charts);
    const chartsHtml = perDataset
      .filter((d) => d.charts.length > 0)
      .map((d) => `<h3>${esc(d.dataset)}</h3>${d.charts.map(chartSlot).join('')}`)
      .join('');
    const body = [
      header(report),
      runSection(report, report.run),
      report.comparison ? comparisonSection(report.comparison) : '',
      checksSection(report),
      stagesSection(report),
      chartsHtml
        ? `<h2>Over time</h2><p class="note">Dashed lines mark stage boundaries. Long runs are shown in buckets (rates averaged, backlog and latency at their peak); report.json keeps every second.</p>${chartsHtml}`
        : '',
      deadLettersSection(report),
      samplesSection(report),
    ].join('\n');
    return htmlPage(`harness: ${report.scenario} — ${shownVerdict(report).toUpperCase()}`, body, charts);
  },
};
