import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../core/exit-codes.ts';
import { latestRunDir, loadManifest, saveManifest } from '../../runs/manifest.ts';
import type { Report } from '../../verifier/report.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir, writeScenario } from '../helpers/scenario.ts';

/**
 * A scenario that says what a correct pipeline does with each bad kind: the reference pipeline
 * follows it, and the verifier holds the sink to it, both ways.
 */
describe('expectations per bad kind, end to end', () => {
  const scenario = (expect: string) =>
    [
      'name: expectations',
      'seed: 3',
      'transport: { type: csv, rotateRecords: 500 }',
      'pipeline: { type: reference, batchSize: 250, pollInterval: 10ms }',
      'datasets:',
      `  ecommerce: { count: 2000, faults: { duplicate: 0.02, malformed: { view_with_price: 0.04, click_event: 0.03, truncated_row: 0.02 } }, expect: ${expect} }`,
    ].join('\n');

  it('repairs views with a price and drops clicks as the scenario says, and passes', async () => {
    const cwd = tempDir();
    const run = await runCli(['run', writeScenario(cwd, scenario('{ malformed: { view_with_price: repair, click_event: drop } }')), '--quiet'], { cwd });
    expect(run.stdout).toContain('verdict: PASS');
    expect(run.code).toBe(ExitCode.ok);
    const stats = loadManifest(latestRunDir(join(cwd, '.harness'))).pipeline?.datasets.ecommerce;
    expect(stats?.repaired).toBeGreaterThan(40);
    expect(stats?.dropped).toBeGreaterThan(30);
    expect(Object.keys(stats?.byReason ?? {})).toEqual(['column_count']);
  });

  it('fails a pipeline that dead-letters what the scenario says it repairs', async () => {
    const cwd = tempDir();
    const path = writeScenario(cwd, scenario('{}'));
    expect((await runCli(['run', path, '--quiet', '--no-verify'], { cwd })).code).toBe(ExitCode.ok);
    // Same data, same sink; only the expectation changes: the sink now holds what the scenario forbids.
    const runDir = latestRunDir(join(cwd, '.harness'));
    const manifest = loadManifest(runDir);
    Object.assign(manifest.scenario.datasets.ecommerce!.expect, { malformed: { view_with_price: 'repair' } });
    saveManifest(runDir, manifest);
    const verify = await runCli(['verify', '--json'], { cwd });
    expect(verify.code).toBe(ExitCode.sloMissed);
    const report = JSON.parse(verify.stdout) as Report;
    const repaired = manifest.pipeline?.datasets.ecommerce?.byReason.view_with_price ?? 0;
    expect(repaired).toBeGreaterThan(40);
    expect(report.checks.find((c) => c.name === 'exactly-once')?.figures.missing).toBe(repaired);
    expect(report.checks.find((c) => c.name === 'dlq-capture')?.figures.validDeadLettered).toBe(repaired);
  });
});
