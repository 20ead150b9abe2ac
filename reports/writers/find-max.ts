import Table from 'cli-table3';
import type { FindMaxProbe, FindMaxResult, FindMaxStep } from '../../verifier/find-max-report.ts';
import { formatNumber } from '../format.ts';

const rate = (r: number) => formatNumber(Math.round(r));

export function stepRow(step: FindMaxStep): string[] {
  return [
    `${rate(step.targetPerSec)}${step.confirming ? ' (confirm)' : ''}`,
    rate(step.producedPerSec),
    rate(step.achievedPerSec),
    step.p99Ms === null ? '-' : `${formatNumber(step.p99Ms)} ms`,
    `${step.backlogSlopePerSec >= 0 ? '+' : ''}${rate(step.backlogSlopePerSec)}/s`,
    step.pass ? 'pass' : `FAIL: ${step.reasons.join('; ')}`,
  ];
}

/** The answer in one line, with its margin: the gap to the lowest rate that failed. */
export function findMaxAnswer(result: FindMaxResult): string {
  const { answerPerSec, lowestFailingPerSec, dataset } = result;
  if (answerPerSec === null) {
    if (result.ended === 'from failed') return `find-max: ${dataset} could not sustain even --from ${rate(result.settings.fromPerSec)} rec/s`;
    // The search started at the probe's guess and came down from there: --from was not reached.
    const tried = lowestFailingPerSec === null ? 'no step ran' : `every step failed, the lowest at ${rate(lowestFailingPerSec)} rec/s`;
    return `find-max: ${dataset}: no rate found before the ${result.ended === 'interrupted' ? 'search was interrupted' : 'budget ran out'}: ${tried} (--from ${rate(result.settings.fromPerSec)} rec/s was not reached; a longer --budget goes on down)`;
  }
  const margin =
    lowestFailingPerSec === null
      ? `nothing failed up to ${rate(answerPerSec)} rec/s (${result.ended})`
      : `${rate(lowestFailingPerSec)} rec/s failed, so the capacity is within ${(((lowestFailingPerSec - answerPerSec) / answerPerSec) * 100).toFixed(1)}% above it`;
  const caveats = [
    result.confirmed ? '' : 'not confirmed by a repeat step',
    result.ended === 'budget' ? 'the budget ran out' : '',
    result.producerLimited ? "the step above it failed as the harness itself fell behind: that may be the producer's limit, not the pipeline's" : '',
  ].filter(Boolean);
  return `find-max: ${dataset} sustains ${rate(answerPerSec)} rec/s; ${margin}${caveats.length > 0 ? ` (${caveats.join(', ')})` : ''}`;
}

/** What the probe found, in one line: where the steps started (a whole result, or the search's log as soon as the probe ends). */
export function probeLine({ probe, settings }: { probe: FindMaxProbe | null; settings: Pick<FindMaxResult['settings'], 'fromPerSec' | 'toPerSec'> }): string {
  if (probe === null) return `no probe (--from is --to): the steps start at ${rate(settings.fromPerSec)} rec/s`;
  const took = `${Math.round(probe.wallMs / 1000)} s`;
  return probe.estimatePerSec === null || probe.haltedAtPerSec === null
    ? `probe (${took}): kept up as the rate doubled to ${rate(settings.toPerSec)} rec/s, so the steps start at --from`
    : `probe (${took}): fell behind as the rate doubled past ${rate(probe.haltedAtPerSec)} rec/s, ingesting ${rate(probe.estimatePerSec)} rec/s then: the first step's rate`;
}

/** Every step as a table row, then the answer: printed by `harness find-max`. */
export function renderFindMaxTerminal(result: FindMaxResult): string {
  const table = new Table({
    head: ['target rec/s', 'produced', 'achieved', 'p99', 'backlog slope', 'verdict'],
    wordWrap: true,
    colWidths: [16, 10, 10, 11, 15, 60],
    style: { head: [], border: [] },
  });
  for (const step of result.steps) table.push(stepRow(step));
  return `${probeLine(result)}\n${table.toString()}\n${findMaxAnswer(result)}\n`;
}

/** The same as Markdown (a CI job summary). */
export function renderFindMaxMarkdown(result: FindMaxResult): string {
  const lines = [
    `# find-max: ${result.scenario} / ${result.dataset}`,
    '',
    `**${findMaxAnswer(result).replace(/^find-max: /, '')}**`,
    '',
    `Steps of ${result.settings.stepMs / 1000} s (first ${result.settings.warmupS} s of each left out), budget ${Math.round(result.settings.budgetMs / 1000)} s, took ${Math.round(result.elapsedMs / 1000)} s.`,
    '',
    `${probeLine(result).replace(/^probe/, 'Probe')}.`,
    '',
    '| target rec/s | produced | achieved | p99 | backlog slope | verdict |',
    '| ---: | ---: | ---: | ---: | ---: | --- |',
    ...result.steps.map((s) => `| ${stepRow(s).join(' | ')} |`),
    '',
  ];
  return lines.join('\n');
}
