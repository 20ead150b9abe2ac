import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../core/exit-codes.ts';
import { latestRunDir, loadManifest } from '../../runs/manifest.ts';
import type { Report } from '../../verifier/report.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir, writeScenario } from '../helpers/scenario.ts';

/**
 * abortOnFail (k6's name): a pipeline that cannot keep up loses the p99 bound within seconds, and
 * the run stops instead of going on for its 30 s; what was produced still lands exactly once.
 */
const DELAY_MS = 3000;
const scenario = [
  'name: abort-on-fail',
  'seed: 31',
  'transport: { type: csv, rotateInterval: 250ms }',
  // Half the offered rate: a record produced at t lands near 2t, so latency grows by a second a second.
  'pipeline: { type: reference, batchSize: 250, pollInterval: 20ms, faults: { maxRowsPerSec: 1000 } }',
  'datasets:',
  '  ecommerce:',
  '    load: { executor: constant-arrival-rate, rate: 2000, duration: 30s }',
  '    faults: { duplicate: 0.02, malformed: 0.02 }',
  'slos:',
  `  latency: { p99: 1s, abortOnFail: true, delayAbortEval: ${DELAY_MS}ms }`,
  '',
].join('\n');

describe('abortOnFail', () => {
  it('stops the run once the bound is lost past delayAbortEval, exits 1 naming stage and SLO, and the aborted run verifies exactly-once over what was produced', async () => {
    const cwd = tempDir();
    const run = await runCli(['run', writeScenario(cwd, scenario), '--no-verify'], { cwd });
    expect(run.code, run.stderr).toBe(ExitCode.sloMissed);
    expect(run.stderr).toMatch(/aborted at t=\d+s, stage 1 \(steady 2000\/s\): \[ecommerce\] latency\.p99 [\d.]+ s > 1 s/);

    const manifest = loadManifest(latestRunDir(join(cwd, '.harness')));
    expect(manifest.status).toBe('aborted');
    const aborted = manifest.aborted!;
    expect(aborted).toMatchObject({ dataset: 'ecommerce', slo: 'latency.p99', limit: 1000, stage: 'stage 1 (steady 2000/s)' });
    expect(aborted.actual).toBeGreaterThan(1000);
    const dataset = manifest.datasets.ecommerce!;
    // Latency passes 1 s within the first two seconds, so the bound is lost by the time it is first
    // judged: the abort comes within 2 s of delayAbortEval (generous bounds: the machine is shared).
    const abortAfterMs = aborted.atMs - dataset.startedAtMs;
    expect(abortAfterMs).toBeGreaterThanOrEqual(DELAY_MS);
    expect(abortAfterMs).toBeLessThanOrEqual(DELAY_MS + 2000 + 1500);
    // The producers stopped between files, soon after: far short of the planned 60,000 records.
    expect(dataset.finishedAtMs - aborted.atMs).toBeLessThan(2000);
    expect(dataset.complete).toBe(false);
    expect(dataset.records).toBeGreaterThan(0);
    expect(dataset.records).toBeLessThan(dataset.count / 2);
    // The pipeline finished what was produced before the run ended.
    expect(manifest.pipeline?.datasets.ecommerce?.records).toBe(dataset.records);

    const verify = await runCli(['verify', '--json'], { cwd });
    expect(verify.code).toBe(ExitCode.sloMissed);
    const report = JSON.parse(verify.stdout) as Report;
    expect(report.verdict).toBe('fail');
    const abortedCheck = report.checks.find((c) => c.name === 'aborted')!;
    expect(abortedCheck).toMatchObject({ status: 'fail', dataset: 'ecommerce' });
    expect(abortedCheck.summary).toContain('latency.p99');
    const exactlyOnce = report.checks.find((c) => c.name === 'exactly-once')!;
    expect(exactlyOnce.status, exactlyOnce.summary).toBe('pass');
    expect(exactlyOnce.figures).toMatchObject({ missing: 0, duplicateRows: 0, unexpected: 0 });
    // Judged over what was produced, not the 60,000 planned.
    expect(exactlyOnce.figures.expected).toBeLessThan(dataset.records);
    expect(exactlyOnce.figures.expected).toBeGreaterThan(dataset.records * 0.9);
    expect(report.checks.find((c) => c.name === 'dlq-capture')?.status).toBe('pass');
    expect(report.checks.some((c) => c.name === 'generation')).toBe(false);

    const resume = await runCli(['resume', '--no-verify'], { cwd });
    expect(resume.stderr).toContain('an aborted run is not resumed');
    expect(loadManifest(latestRunDir(join(cwd, '.harness'))).status).toBe('aborted');
  }, 120_000);
});
