import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../core/exit-codes.ts';
import { latestRunDir } from '../../runs/manifest.ts';
import type { Report } from '../../verifier/report.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir, writeScenario } from '../helpers/scenario.ts';

/**
 * A paced run (400 rec/s for 4 s): its throughput follows the schedule, not the machine's load, so
 * two runs agree within a few percent. `cap` injects a slowdown into the reference pipeline.
 */
const scenario = (cap?: number) => `name: compare
seed: 5
baseTime: 2026-01-01T00:00:00Z
transport: { type: csv, rotateRecords: 400, rotateInterval: 200ms }
pipeline: { type: reference, batchSize: 100, pollInterval: 20ms${cap ? `, faults: { maxRowsPerSec: ${cap} }` : ''} }
datasets:
  ecommerce:
    count: 1600
    rate: 400
    faults: { duplicate: 0.02, malformed: 0.02, future: 0.01, late: 0.01 }
`;

const env = { PG_URL: '', DATABASE_URL: '' };
const reportOf = (runDir: string) => JSON.parse(readFileSync(join(runDir, 'report.json'), 'utf8')) as Report;

describe('baselines and regressions on the reference pipeline (CSV + PGlite)', () => {
  const cwd = tempDir();
  const home = join(cwd, '.harness');
  const path = writeScenario(cwd, scenario());
  const slowed = writeScenario(cwd, scenario(150), 'slowed.yaml');
  // Stable from run to run at a paced rate; throughput.ingested (rows over the ingest span) is not, over 4 s.
  const rules = 'throughput.endToEnd=-20%,stage.ingested=-20%';
  let baseline = '';

  it('a second run of the same scenario compares clean: harness run --baseline and harness compare exit 0', async () => {
    const first = await runCli(['run', path], { cwd, env });
    expect(first.code, first.stderr).toBe(ExitCode.ok);
    baseline = join(latestRunDir(home), 'report.json');
    const second = await runCli(['run', path, '--baseline', baseline, '--fail-on', rules], { cwd, env });
    expect(second.code, second.stdout + second.stderr).toBe(ExitCode.ok);
    expect(second.stdout).toContain('comparison: PASS against 1 baseline');
    const report = reportOf(latestRunDir(home));
    expect(report.verdict).toBe('pass');
    expect(report.comparison?.baselines).toEqual([baseline]);
    expect(report.comparison?.figures.find((f) => f.name === 'throughput.endToEnd')).toMatchObject({ dataset: 'ecommerce', tolerance: 0.2, regressed: false });
    // Without --current: the latest run.
    const compare = await runCli(['compare', baseline, '--fail-on', rules], { cwd, env });
    expect(compare.code, compare.stdout + compare.stderr).toBe(ExitCode.ok);
    expect(readFileSync(join(latestRunDir(home), 'compare.md'), 'utf8')).toContain(`Current: \`${join(latestRunDir(home), 'report.json')}\``);
  });

  it('a run slowed by the pipeline fails --fail-on throughput=-20% (exit 1, naming the figure), through compare and verify', async () => {
    const slow = await runCli(['run', slowed], { cwd, env });
    expect(slow.code, slow.stderr).toBe(ExitCode.ok);
    const slowDir = latestRunDir(home);
    const compare = await runCli(['compare', baseline, '--current', slowDir, '--fail-on', 'throughput=-20%'], { cwd, env });
    expect(compare.code, compare.stdout).toBe(ExitCode.sloMissed);
    expect(compare.stdout).toMatch(/\[ecommerce\] throughput\.endToEnd: baseline [\d,]+ rows\/s, current [\d,]+ rows\/s \(-\d+\.\d%, allowed -20%\)/);
    const verify = await runCli(['verify', '--run', slowDir, '--baseline', baseline, '--fail-on', 'throughput=-20%'], { cwd, env });
    expect(verify.code).toBe(ExitCode.sloMissed);
    const report = reportOf(slowDir);
    // Every check passed: the regression alone fails the verdict.
    expect(report.checks.every((c) => c.status === 'pass')).toBe(true);
    expect(report.verdict).toBe('fail');
    expect(report.comparison?.verdict).toBe('fail');
    const endToEnd = report.comparison?.figures.find((f) => f.name === 'throughput.endToEnd');
    expect(endToEnd?.regressed).toBe(true);
    expect(endToEnd?.delta).toBeLessThan(-0.2);
    expect(readFileSync(join(slowDir, 'report.md'), 'utf8')).toContain('**REGRESSED**');
  });

  it('a bad baseline stops harness run before anything runs; one not comparable is exit 2 after the reports (exit 2, naming the file)', async () => {
    const missing = join(cwd, 'nope.json');
    const run = await runCli(['run', path, '--baseline', missing], { cwd, env });
    expect(run.code).toBe(ExitCode.usage);
    expect(run.stderr).toBe(`error: baseline ${missing}: cannot be read (ENOENT: no such file or directory, open '${missing}')\n`);
    const other = join(cwd, 'other-seed.json');
    const original = reportOf(dirname(baseline));
    writeFileSync(other, JSON.stringify({ ...original, run: { ...original.run, seed: 1 } }));
    const runDir = dirname(baseline);
    const verify = await runCli(['verify', '--run', runDir, '--baseline', other], { cwd, env });
    expect(verify.code).toBe(ExitCode.usage);
    expect(verify.stderr).toContain(`error: reports not comparable: seed: ${other} has 1, ${baseline} has ${original.run?.seed}`);
    // The run's own reports are still written, without a comparison.
    expect(reportOf(runDir)).toMatchObject({ verdict: 'pass', runId: original.runId });
    expect(reportOf(runDir).comparison).toBeUndefined();
  });
});
