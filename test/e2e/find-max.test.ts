import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../core/exit-codes.ts';
import type { FindMaxResult } from '../../runner/find-max/find-max.ts';
import { runCli } from '../helpers/cli.ts';
import { describeIfPostgres, dropSchema, PG_URL, uniqueSchema } from '../helpers/postgres.ts';
import { tempDir, writeScenario } from '../helpers/scenario.ts';

/** E-commerce with every fault kind through a reference pipeline capped at `cap` rows/s (pipeline.faults.maxRowsPerSec). */
const capped = (cap: number) => `name: capped
seed: 3
transport: { type: csv, rotateRecords: 2000, rotateInterval: 200ms }
pipeline: { type: reference, batchSize: 250, pollInterval: 20ms, faults: { maxRowsPerSec: ${cap} } }
datasets:
  ecommerce:
    count: 1
    faults: { duplicate: 0.02, malformed: 0.02, future: 0.01, late: 0.01 }
`;

function resultOf(cwd: string): FindMaxResult {
  const root = join(cwd, '.harness/find-max');
  const [id] = readdirSync(root);
  return JSON.parse(readFileSync(join(root, id!, 'report.json'), 'utf8')) as FindMaxResult;
}

describe('harness find-max on the reference pipeline (CSV + PGlite)', () => {
  it('finds an injected throughput cap within ±10%, with every step verified', async () => {
    const cwd = tempDir();
    const path = writeScenario(cwd, capped(3000));
    const run = await runCli(['find-max', path, '--from', '1200', '--step', '5s', '--budget', '3m'], { cwd, env: { PG_URL: '', DATABASE_URL: '' } });
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    const result = resultOf(cwd);
    const searched = `${run.stdout}\n${run.stderr}`;
    expect(result.answerPerSec, searched).toBeGreaterThanOrEqual(2700);
    expect(result.answerPerSec, searched).toBeLessThanOrEqual(3300);
    expect(result.confirmed).toBe(true);
    // The probe doubled the rate from --from until the pipeline fell behind, and guessed the cap from what it ingested then (low on a
    // loaded machine: 2,097 once): the first step's rate.
    expect(result.probe?.haltedAtPerSec).toBeGreaterThan(3000);
    expect(result.probe?.estimatePerSec).toBeGreaterThan(1500);
    expect(result.probe?.estimatePerSec).toBeLessThanOrEqual(3300);
    expect(result.steps[0]?.targetPerSec).toBe(Math.round((result.probe?.estimatePerSec ?? 0) / 10) * 10);
    expect(run.stdout).toMatch(/probe \(\d+ s\): fell behind as the rate doubled past [\d,]+ rec\/s, ingesting [\d,]+ rec\/s then/);
    // Every step was a whole run, its rows proven: the passing ones by a verdict with no correctness failure.
    for (const step of result.steps) expect(step.series.length).toBeGreaterThan(3);
    const failing = result.steps.filter((s) => !s.pass);
    expect(failing.length).toBeGreaterThan(0);
    expect(failing.every((s) => s.reasons.some((r) => r.startsWith('backlog grew')))).toBe(true);
    expect(run.stdout).toMatch(/find-max: ecommerce sustains [\d,]+ rec\/s; [\d,]+ rec\/s failed/);
    expect(run.stdout).toContain('backlog slope');
  }, 300_000);

  it('exits 1 when even --from cannot be sustained, and 2 on a bad option', async () => {
    const cwd = tempDir();
    const path = writeScenario(cwd, capped(400));
    const run = await runCli(['find-max', path, '--from', '1500', '--step', '4s', '--budget', '1m'], { cwd, env: { PG_URL: '', DATABASE_URL: '' } });
    expect(run.code, run.stderr).toBe(ExitCode.sloMissed);
    expect(run.stdout).toContain('could not sustain even --from 1,500 rec/s');
    expect(resultOf(cwd)).toMatchObject({ answerPerSec: null, ended: 'from failed' });
    const bad = await runCli(['find-max', path, '--step', 'soon'], { cwd });
    expect(bad.code).toBe(ExitCode.usage);
    expect(bad.stderr).toContain('--step takes a duration like 30s or 5m, got "soon"');
  });
});

describeIfPostgres('harness find-max on an external pipeline (psql, docs/examples), observed through its sink', () => {
  const schema = uniqueSchema('fm_ext');
  afterAll(() => dropSchema(schema));

  it('runs the pipeline over each step with --exec and judges it from the rows it wrote', async () => {
    const cwd = tempDir();
    // Two-second files at tens of records a second: a psql session per file keeps up with room to
    // spare even on a loaded CI machine, so each step's verdict is about the rows, not the load.
    const path = writeScenario(
      cwd,
      `name: external-find-max
seed: 8
transport: { type: csv, rotateRecords: 5000, rotateInterval: 2s }
pipeline: { type: external, waitFor: 20s }
sink: { schema: ${schema} }
datasets:
  ecommerce:
    count: 1
    faults: { duplicate: 0.02, malformed: 0.03, future: 0.01, late: 0.01 }
`,
    );
    // With a child that would outlive the script and hold its output open (as a JVM or a helper
    // process might): stopping a step ends the pipeline's whole process group.
    const exec = `sleep 600 & ${join(import.meta.dirname, '../../docs/examples/ecommerce-pipeline.sh')} "$HARNESS_RUN_DIR/data/ecommerce" ${schema}`;
    // The budget bounds the search (a step that would not fit is not started), well inside the test's timeout.
    const run = await runCli(['find-max', path, '--from', '20', '--to', '40', '--step', '8s', '--budget', '90s', '--exec', exec], {
      cwd,
      env: { PG_URL, PATH: process.env.PATH },
    });
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    const result = resultOf(cwd);
    expect(result.steps[0]).toMatchObject({ targetPerSec: 20, pass: true });
    expect(result.answerPerSec).toBeGreaterThanOrEqual(20);
    expect(result.answerPerSec).toBeLessThanOrEqual(40);
    // Each step's rows were the external pipeline's, proven: no step failed a correctness check,
    // and each has a series of rows the pipeline wrote as the step ran.
    for (const step of result.steps) {
      expect(
        step.reasons.filter((r) => !r.startsWith('backlog grew')),
        step.reasons.join('; '),
      ).toEqual([]);
      expect(step.series.reduce((n, p) => n + p.ingested, 0)).toBeGreaterThan(step.targetPerSec * 3);
    }
    expect(run.stderr).toContain('[exec]');
  }, 200_000);
});
