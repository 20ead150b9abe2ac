import { chartAssets } from './assets.ts';
import type { ChartSpec } from './charts.ts';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Inside a <script>: nothing may close the element early. */
function scriptText(text: string): string {
  return text.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/** A div the page's script fills with the chart of the same id. */
export function chartSlot(chart: ChartSpec): string {
  return `<div class="chart" id="chart-${escapeHtml(chart.id)}"></div>`;
}

/**
 * Draws every chart spec with uPlot. Written as plain browser JavaScript (not compiled from TS) so
 * the page carries exactly this text; `window.harnessCharts` lets a test count each chart's series.
 */
const drawCharts = `(function () {
  var specs = JSON.parse(document.getElementById('harness-charts').textContent);
  var dpr = window.devicePixelRatio || 1;
  function fmt(v) { return v >= 100 ? Math.round(v).toLocaleString('en-US') : String(Number(v.toFixed(2))); }
  function pct(x) { return String(Number((100 * (1 - 1 / x)).toFixed(2))) + '%'; }
  function marks(list) {
    return { hooks: { draw: [function (u) {
      var ctx = u.ctx;
      ctx.save();
      ctx.strokeStyle = '#777';
      ctx.fillStyle = '#444';
      ctx.setLineDash([4 * dpr, 4 * dpr]);
      ctx.font = (11 * dpr) + 'px sans-serif';
      list.forEach(function (m) {
        var x = Math.round(u.valToPos(m.at, 'x', true));
        ctx.beginPath();
        ctx.moveTo(x, u.bbox.top);
        ctx.lineTo(x, u.bbox.top + u.bbox.height);
        ctx.stroke();
        ctx.fillText(m.label, x + 4 * dpr, u.bbox.top + 12 * dpr);
      });
      ctx.restore();
    }] } };
  }
  var charts = specs.map(function (spec) {
    var el = document.getElementById('chart-' + spec.id);
    var percentile = spec.x === 'percentile';
    var right = spec.series.filter(function (s) { return s.scale === 'right'; })[0];
    var xAxis = { label: spec.xLabel };
    if (percentile) {
      xAxis.splits = function () { return [1, 10, 100, 1000, 10000]; };
      xAxis.values = function (u, splits) { return splits.map(pct); };
    }
    var axes = [xAxis, { label: spec.series[0].unit, size: 70 }];
    if (right) axes.push({ scale: 'right', side: 1, label: right.unit, grid: { show: false }, size: 70 });
    var scales = { x: percentile ? { time: false, distr: 3, log: 10 } : { time: false }, y: spec.logY ? { distr: 3, log: 10 } : {} };
    if (right) scales.right = {};
    var opts = {
      title: spec.title,
      width: Math.max(320, el.clientWidth),
      height: 260,
      scales: scales,
      axes: axes,
      series: [{ label: spec.xLabel, value: function (u, v) { return v == null ? '-' : percentile ? pct(v) : fmt(v); } }].concat(spec.series.map(function (s) {
        return { label: s.label, stroke: s.color, width: 1.5, scale: s.scale || 'y', value: function (u, v) { return v == null ? '-' : fmt(v) + ' ' + s.unit; } };
      })),
      plugins: [marks(spec.marks)]
    };
    return { id: spec.id, plot: new uPlot(opts, spec.data, el) };
  });
  window.harnessCharts = charts;
})();`;

const style = `
body { font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 0 auto; max-width: 1180px; padding: 16px 20px 40px; color: #1d1d1f; }
h1 { font-size: 22px; margin: 0 0 6px; } h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; } h3 { font-size: 15px; margin: 18px 0 6px; }
.verdict { display: inline-block; font-weight: 700; padding: 4px 14px; border-radius: 4px; color: #fff; font-size: 18px; margin-right: 10px; }
.verdict.pass { background: #2e9e4f; } .verdict.fail { background: #c0392b; }
table { border-collapse: collapse; width: 100%; margin: 6px 0; } th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eee; vertical-align: top; }
th { background: #f6f6f6; font-weight: 600; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.fail td { background: #fdf0ef; } td.slos { font-size: 12px; white-space: nowrap; } .status.fail { color: #c0392b; font-weight: 700; } .status.pass { color: #2e9e4f; }
dl.run { display: grid; grid-template-columns: max-content 1fr max-content 1fr; gap: 2px 14px; margin: 10px 0; } dl.run dt { color: #666; } dl.run dd { margin: 0; }
.figures { font-size: 12px; color: #444; } .figures span { display: inline-block; margin-right: 10px; white-space: nowrap; }
code, pre { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; } pre { background: #f6f6f6; padding: 2px 6px; margin: 2px 0; white-space: pre-wrap; }
ul.samples { margin: 4px 0 10px; padding-left: 20px; } .bar { display: inline-block; height: 10px; background: #c0392b; vertical-align: middle; margin-right: 6px; }
.chart { margin: 8px 0 16px; min-height: 300px; } .note { color: #666; font-size: 12px; }
`;

/** The whole page: styles, data and scripts inline, and a policy that forbids any request. */
export function htmlPage(title: string, body: string, charts: ChartSpec[]): string {
  const assets = chartAssets();
  const data = JSON.stringify(charts).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title>
<style>${assets.style}${style}</style>
</head>
<body>
${body}
<script type="application/json" id="harness-charts">${data}</script>
<script>${scriptText(assets.script)}</script>
<script>${drawCharts}</script>
</body>
</html>
`;
}
