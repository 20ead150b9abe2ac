import type { FindMaxResult } from '../../verifier/find-max-report.ts';
import { stepChart } from '../html/charts.ts';
import { chartSlot, escapeHtml as esc, htmlPage } from '../html/page.ts';
import { findMaxAnswer, probeLine, stepRow } from './find-max.ts';

/** `harness find-max`'s report.html: the answer, every step as a row, and each step's seconds. */
export function renderFindMaxHtml(result: FindMaxResult): string {
  const charts = result.steps.map((step, i) =>
    stepChart(
      `step-${i + 1}`,
      `step ${i + 1}: ${Math.round(step.targetPerSec)} rec/s${step.confirming ? ' (confirm)' : ''}, ${step.pass ? 'pass' : 'FAIL'}`,
      step.series,
    ),
  );
  const head = ['target rec/s', 'produced', 'achieved', 'p99', 'backlog slope', 'verdict'];
  const rows = result.steps.map(
    (step, i) =>
      `<tr class="${step.pass ? 'pass' : 'fail'}" data-step="${i + 1}">${stepRow(step)
        .map((cell, c) => `<td class="${c < 5 ? 'num' : ''}">${esc(cell)}</td>`)
        .join('')}</tr>`,
  );
  const found = result.answerPerSec !== null;
  const body = `<h1>find-max: ${esc(result.scenario)} / ${esc(result.dataset)}</h1>
<p><span class="verdict ${found ? 'pass' : 'fail'}" data-verdict="${found ? 'pass' : 'fail'}">${found ? 'FOUND' : 'NONE'}</span>${esc(findMaxAnswer(result).replace(/^find-max: /, ''))}</p>
<p class="note">Steps of ${result.settings.stepMs / 1000} s (the first ${result.settings.warmupS} s of each left out of its judgement), budget ${Math.round(result.settings.budgetMs / 1000)} s, took ${Math.round(result.elapsedMs / 1000)} s; ended: ${esc(result.ended)}. ${esc(probeLine(result).replace(/^probe/, 'Probe'))}.</p>
<h2>Steps</h2><table><tr>${head.map((h, c) => `<th class="${c < 5 ? 'num' : ''}">${h}</th>`).join('')}</tr>${rows.join('')}</table>
<h2>Each step over time</h2><p class="note">Backlog on the right axis. A flat backlog is a rate the pipeline keeps up with.</p>${charts.map(chartSlot).join('')}`;
  return htmlPage(`find-max: ${result.scenario} / ${result.dataset}`, body, charts);
}
