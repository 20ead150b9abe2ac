import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../core/exit-codes.ts';
import { latestRunDir } from '../../runs/manifest.ts';
import { runCli } from '../helpers/cli.ts';
import { smallScenario, tempDir, writeScenario } from '../helpers/scenario.ts';

describe('harness run and verify on GitHub Actions', () => {
  it('groups the progress, appends report.md to the step summary and annotates the missed SLO on its scenario line', async () => {
    const cwd = tempDir();
    // No pipeline ingests 100 million rows a second: the throughput SLO is missed, on line 10.
    const text = smallScenario({ ecommerce: 1500, extra: 'slos:\n  throughput: { minIngestedPerSec: 100000000 }\n' });
    expect(text.split('\n')[9]).toBe('  throughput: { minIngestedPerSec: 100000000 }');
    // Absolute: `harness run` reads a relative scenario path from the process's directory, not io.cwd.
    const scenarioPath = writeScenario(cwd, text, 'gate.yaml');
    const summary = join(cwd, 'step-summary.md');
    writeFileSync(summary, '');
    const env = { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary, GITHUB_WORKSPACE: cwd };

    const run = await runCli(['run', scenarioPath, '--verbose'], { cwd, env });
    expect(run.code, run.stderr).toBe(ExitCode.sloMissed);
    const runDir = latestRunDir(join(cwd, '.harness'));
    const err = run.stderr.split('\n');
    // The run's lines inside one group, its verification's in another; the table and annotations outside.
    expect(err[0]).toBe(`::group::harness run ${scenarioPath}`);
    const closed = err.indexOf('::endgroup::');
    expect(err.slice(1, closed).some((line) => line.startsWith('[ecommerce]') || line.includes('pipeline'))).toBe(true);
    expect(err[closed + 1]).toMatch(/^run \S+ finished/);
    expect(err[closed + 2]).toBe(`::group::harness verify ${runDir}`);
    expect(err.at(-2)).toBe('::endgroup::');

    const annotation = '::error file=gate.yaml,line=10,title=ecommerce throughput%3A throughput.minIngestedPerSec missed::throughput.minIngestedPerSec ';
    const out = run.stdout.split('\n');
    const first = out.findIndex((line) => line.startsWith('::'));
    expect(out.slice(first, -1), 'the annotations come after the table').toEqual([expect.stringMatching(/^::error /)]);
    expect(out[first]!.startsWith(annotation)).toBe(true);
    expect(out[first]).toMatch(/ >= 100,000,000 MISSED\. /);
    expect(run.stdout.slice(0, run.stdout.indexOf('::error'))).toContain('verdict: FAIL');

    const markdown = readFileSync(join(runDir, 'report.md'), 'utf8');
    expect(readFileSync(summary, 'utf8')).toBe(markdown);
    expect(markdown).toMatch(/^## harness: test — FAIL/);

    // verify --json keeps stdout the report JSON: the annotations go to stderr.
    const verify = await runCli(['verify', '--json'], { cwd, env });
    expect(verify.code).toBe(ExitCode.sloMissed);
    expect(JSON.parse(verify.stdout)).toMatchObject({ verdict: 'fail' });
    expect(verify.stderr).toContain(`\n${annotation}`);
    expect(readFileSync(summary, 'utf8')).toBe(`${markdown}${readFileSync(join(runDir, 'report.md'), 'utf8')}`);

    // A summary that cannot be written: a warning; the reports are rewritten and the exit code is the verdict's.
    rmSync(join(runDir, 'report.json'));
    const unwritable = await runCli(['verify'], { cwd, env: { ...env, GITHUB_STEP_SUMMARY: join(cwd, 'missing-dir', 'summary.md') } });
    expect(unwritable.code).toBe(ExitCode.sloMissed);
    expect(unwritable.stderr).toMatch(/warning: could not append .*report\.md to the job summary .*ENOENT/);
    expect(JSON.parse(readFileSync(join(runDir, 'report.json'), 'utf8'))).toMatchObject({ verdict: 'fail' });
    expect(unwritable.stdout).toContain(annotation);
  }, 120_000);

  it('prints no workflow commands off GitHub Actions', async () => {
    const cwd = tempDir();
    const run = await runCli(['run', writeScenario(cwd, smallScenario({ lol: 50 }), 'pass.yaml')], { cwd, env: { GITHUB_ACTIONS: 'false' } });
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    expect(`${run.stdout}${run.stderr}`).not.toContain('::');
  }, 120_000);
});
