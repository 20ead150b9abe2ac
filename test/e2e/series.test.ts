import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../core/exit-codes.ts';
import { latestRunDir } from '../../runs/manifest.ts';
import type { Report, SeriesPoint } from '../../verifier/report.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir, writeScenario } from '../helpers/scenario.ts';

/**
 * A 12 s ramp (500/s -> 3000/s) on CSV + PGlite whose pipeline stops taking batches from 4 s to
 * 11 s (pipeline.faults.pauseAt): the series shows the stall, and the SLO on stage 2, which holds
 * it, fails naming that stage; the same run without the pause passes.
 */
function scenario(pause: boolean): string {
  return [
    'name: pause',
    'seed: 16',
    'transport: { type: csv, rotateRecords: 2000, rotateInterval: 250ms }',
    'pipeline:',
    '  type: reference',
    '  batchSize: 2000',
    '  pollInterval: 20ms',
    ...(pause ? ['  faults: { pauseAt: { after: 4s, for: 7s } }'] : []),
    'datasets:',
    '  ecommerce:',
    '    load:',
    '      executor: ramping-arrival-rate',
    '      startRate: 500',
    '      timeUnit: 1s',
    '      stages:',
    '        - { target: 1500, duration: 4s }',
    '        - { target: 3000, duration: 5s }',
    '        - { target: 3000, duration: 3s }',
    '    faults: { duplicate: 0.02, malformed: 0.02 }',
    'slos:',
    '  stages:',
    '    - { stage: 2, latency: { p99: 5s } }',
    '',
  ].join('\n');
}

async function run(pause: boolean): Promise<{ code: number; stdout: string; report: Report }> {
  const cwd = tempDir();
  const result = await runCli(['run', writeScenario(cwd, scenario(pause))], { cwd });
  const report = JSON.parse(readFileSync(join(latestRunDir(join(cwd, '.harness')), 'report.json'), 'utf8')) as Report;
  return { ...result, report };
}

/** The longest run of consecutive seconds matching `test`, as [first, last]. */
function longestRun(series: SeriesPoint[], test: (p: SeriesPoint) => boolean): [number, number] {
  let best: [number, number] = [0, -1];
  let start = -1;
  for (const p of series) {
    if (!test(p)) start = -1;
    else {
      if (start < 0) start = p.second;
      if (p.second - start > best[1] - best[0]) best = [start, p.second];
    }
  }
  return best;
}

describe('a pipeline paused for 7 s mid-ramp', () => {
  it('shows the stall in the series and in corrected latency, and fails the SLO of the stage that held it', async () => {
    const { code, stdout, report } = await run(true);
    expect(code, stdout).toBe(ExitCode.sloMissed);
    const series = report.series?.ecommerce ?? [];
    // Nothing ingested while the producer kept going: at least 6 whole seconds of the 7 s pause.
    const [first, last] = longestRun(series, (p) => p.ingested === 0 && p.produced > 0);
    expect(last - first + 1, JSON.stringify(series)).toBeGreaterThanOrEqual(6);
    expect(first).toBeGreaterThanOrEqual(3);
    expect(last).toBeLessThanOrEqual(11);
    // The backlog grows through the pause, then drains.
    const stalled = series.slice(first, last + 1).map((p) => p.backlog);
    expect(stalled).toEqual([...stalled].sort((a, b) => a - b));
    expect(stalled.at(-1)).toBeGreaterThan((stalled[0] as number) + 5000);
    expect(series.at(-1)?.backlog).toBe(0);
    // The second the pipeline came back holds records that waited through the pause.
    expect(series[last + 1]?.p99Ms).toBeGreaterThanOrEqual(6000);
    const stages = report.stages?.ecommerce ?? [];
    expect(stages.map((s) => s.status)).toEqual(['pass', 'fail', 'pass']);
    expect(stages[1]?.p99Ms).toBeGreaterThanOrEqual(6000);
    const check = report.checks.find((c) => c.name === 'series');
    expect(check?.summary).toMatch(/^stage 2 \(ramp 1500\/s -> 3000\/s\) of ecommerce: p99 [\d,]+ ms > 5,000$/);
    expect(stdout).toContain('ecommerce stage 2 (ramp 1500/s -> 3000/s): target 2,250/s, achieved');
  });

  it('passes the same stage SLO without the pause', async () => {
    const { code, stdout, report } = await run(false);
    expect(code, stdout).toBe(ExitCode.ok);
    const series = report.series?.ecommerce ?? [];
    expect(series.reduce((n, p) => n + p.produced, 0)).toBe(24250);
    expect(series.filter((p) => p.second >= 1 && p.second <= 11).every((p) => p.ingested > 0)).toBe(true);
    expect(report.stages?.ecommerce?.map((s) => s.status)).toEqual(['pass', 'pass', 'pass']);
  });
});
