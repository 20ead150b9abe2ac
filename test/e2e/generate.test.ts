import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../core/exit-codes.ts';
import { latestRunDir, loadManifest } from '../../runs/manifest.ts';
import { ecommerceRules } from '../../pipeline/rules/ecommerce.ts';
import { runCli } from '../helpers/cli.ts';
import { smallScenario, tempDir, writeScenario } from '../helpers/scenario.ts';

const smoke = join(import.meta.dirname, '../../scenarios/smoke.yaml');
const lines = (stdout: string) => stdout.trimEnd().split('\n').slice(1);

describe('harness generate --faults', () => {
  const cwd = tempDir();

  it('none gives clean data: every line valid, no line repeated', async () => {
    const run = await runCli(['generate', smoke, '--dataset', 'ecommerce', '--count', '3000', '--faults', 'none'], { cwd });
    expect(run.code).toBe(0);
    const rows = lines(run.stdout);
    expect(new Set(rows).size).toBe(3000);
    const verdicts = ecommerceRules.validateBatch(
      rows.map((r) => Buffer.from(r)),
      { nowMs: Date.now() + 86_400_000, futureToleranceMs: 0 },
    );
    expect(verdicts.filter((v) => !v.ok)).toEqual([]);
  });

  it('takes per-kind rates on the command line', async () => {
    const run = await runCli(['generate', smoke, '--dataset', 'ecommerce', '--count', '2000', '--faults', 'click_event=0.5'], { cwd });
    const clicks = lines(run.stdout).filter((r) => r.includes(',click,')).length;
    expect(clicks).toBeGreaterThan(850);
    expect(clicks).toBeLessThan(1150);
  });

  it('rejects an unknown fault or a bad rate with exit 2', async () => {
    const bogus = await runCli(['generate', smoke, '--dataset', 'lol', '--faults', 'gremlins=0.1'], { cwd });
    expect(bogus.code).toBe(ExitCode.usage);
    expect(bogus.stderr).toContain('unknown fault "gremlins"');
    const tooMuch = await runCli(['generate', smoke, '--dataset', 'lol', '--faults', 'duplicate=0.7,late=0.7'], { cwd });
    expect(tooMuch.code).toBe(ExitCode.usage);
    expect(tooMuch.stderr).toContain('more than 1');
  });
});

describe('harness generate --out --workers --shard', () => {
  it('writes rotated files with worker threads, or only one shard of them', async () => {
    const cwd = tempDir();
    const all = await runCli(['generate', smoke, '--dataset', 'ecommerce', '--out', 'all', '--workers', '2'], { cwd });
    expect(all.code, all.stderr).toBe(0);
    const files = readdirSync(join(cwd, 'all/ecommerce')).filter((f) => f.endsWith('.csv'));
    expect(files).toHaveLength(5);
    expect(existsSync(join(cwd, 'all/ecommerce/_DONE-1-of-1'))).toBe(true);
    const shard = await runCli(['generate', smoke, '--dataset', 'ecommerce', '--out', 'part', '--shard', '2/2'], { cwd });
    expect(shard.code).toBe(0);
    expect(readdirSync(join(cwd, 'part/ecommerce')).filter((f) => f.endsWith('.csv'))).toEqual(['ecommerce-000002.csv', 'ecommerce-000004.csv']);
    expect((await runCli(['generate', smoke, '--shard', '3/2', '--out', 'x'], { cwd })).code).toBe(ExitCode.usage);
  });
});

describe('harness run --workers --faults', () => {
  it('generates on worker threads, records the overridden faults, and verifies them', async () => {
    const cwd = tempDir();
    const path = writeScenario(cwd, smallScenario({ ecommerce: 3000, lol: 100 }));
    const run = await runCli(['run', path, '--quiet', '--workers', '2', '--faults', 'duplicate=0.05,negative_price=0.05'], { cwd });
    expect(run.code, run.stdout + run.stderr).toBe(ExitCode.ok);
    const manifest = loadManifest(latestRunDir(join(cwd, '.harness')));
    expect(manifest.scenario.datasets.ecommerce?.faults).toEqual({ duplicate: 0.05, malformed: { negative_price: 0.05 }, future: 0, late: 0 });
    expect(manifest.scenario.datasets.lol?.faults).toEqual({ duplicate: 0.05, malformed: 0, future: 0, late: 0 });
  });
});
