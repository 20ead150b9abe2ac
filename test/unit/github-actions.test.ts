import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  annotations,
  errorCommand,
  escapeData,
  escapeProperty,
  inGithubGroup,
  publishToGithubActions,
  scenarioSource,
  sloLine,
} from '../../cli/github-actions.ts';
import type { CliIo } from '../../cli/io.ts';
import { markdownReport } from '../../reports/writers/markdown.ts';
import { scenarioPositions } from '../../scenarios/load.ts';
import type { CheckResult } from '../../verifier/check.ts';
import type { Report } from '../../verifier/report.ts';
import { tempDir, writeScenario } from '../helpers/scenario.ts';

// Line numbers matter: the annotations point at them.
const scenarioText = [
  'name: gate', //                                  1
  'datasets:', //                                   2
  '  ecommerce: { count: 1000 }', //                3
  'slos:', //                                       4
  '  maxDuplicates: 0', //                          5
  '  latency:', //                                  6
  '    p99: 2s', //                                 7
  '  throughput: { minIngestedPerSec: 500 }', //    8
  '  stages:', //                                   9
  '    - { stage: 2, minAchievedRatio: 0.9 }', //  10
  '    - stage: 2', //                             11
  '      dataset: lol', //                         12
  '      latency: { p99: 1s }', //                 13
  '    - stage: 2', //                             14
  '      dataset: ecommerce', //                   15
  '      latency: { p99: 3s }', //                 16
  '',
].join('\n');

function check(partial: Partial<CheckResult> & Pick<CheckResult, 'name'>): CheckResult {
  return { dataset: 'ecommerce', status: 'fail', summary: `${partial.name} summary`, figures: {}, slos: [], samples: {}, ...partial };
}

const report: Report = {
  schemaVersion: 1,
  runId: 'r1',
  scenario: 'gate',
  generatedAt: '2026-01-01T00:00:00.000Z',
  sink: 'pglite',
  verdict: 'fail',
  checks: [
    check({ name: 'values', status: 'pass', slos: [{ name: 'maxValueMismatches', bound: 'max', limit: 0, actual: 0, met: true }] }),
    check({
      name: 'latency',
      summary: 'p50 900 ms, p99 2500 ms',
      slos: [
        { name: 'latency.p99', bound: 'max', limit: 2000, actual: 2500, met: false },
        { name: 'latency.impossibleTimes', bound: 'max', limit: 0, actual: 3, met: false },
      ],
    }),
    check({ name: 'exactly-once', summary: '7 missing', slos: [{ name: 'maxMissing', bound: 'max', limit: 0, actual: 7, met: false }] }),
    check({
      name: 'series',
      summary: 'stage 2 broken',
      slos: [
        { name: 'stage2.achievedRatio', bound: 'min', limit: 0.9, actual: 0.5, met: false },
        { name: 'stage2.latency.p99', bound: 'max', limit: 3000, actual: 4000, met: false },
      ],
    }),
    check({ name: 'generation', dataset: 'lol', summary: 'generation incomplete: 5 of 10 records produced' }),
  ],
  comparison: {
    baselines: ['main/report.json', 'main2/report.json'],
    verdict: 'fail',
    figures: [
      {
        name: 'latency.p99.corrected',
        dataset: 'ecommerce',
        baseline: 1000,
        baselineRange: [950, 1100],
        current: 1300,
        delta: 0.3,
        direction: 'lower-is-better',
        tolerance: 0.1,
        regressed: true,
      },
      {
        name: 'wallTime',
        dataset: null,
        baseline: 5000,
        baselineRange: [5000, 5000],
        current: 5100,
        delta: 0.02,
        direction: 'lower-is-better',
        tolerance: 0.1,
        regressed: false,
      },
      {
        name: 'throughput.ingested',
        dataset: 'lol',
        baseline: 400,
        baselineRange: [400, 400],
        current: 300,
        delta: -0.25,
        direction: 'higher-is-better',
        tolerance: null,
        regressed: true,
      },
    ],
  },
};

describe('workflow command escaping', () => {
  it('escapes %, CR and LF in the message, and also : and , in properties, % first so escapes are not escaped twice', () => {
    expect(escapeData('50% of\r\nrows: a, b')).toBe('50%25 of%0D%0Arows: a, b');
    expect(escapeProperty('50% of\r\nrows: a, b')).toBe('50%25 of%0D%0Arows%3A a%2C b');
    expect(errorCommand({ title: 'a: b, c', message: 'x\ny: z', file: 'dir,1/s:c.yaml', line: 4 })).toBe(
      '::error file=dir%2C1/s%3Ac.yaml,line=4,title=a%3A b%2C c::x%0Ay: z',
    );
    expect(errorCommand({ title: 't', message: 'm' })).toBe('::error title=t::m');
  });
});

describe('annotations', () => {
  it('prints one ::error per missed SLO of each failed check, on the SLO line of the scenario when the file sets it, and one per regressed figure', () => {
    expect(annotations(report, { file: 'scenarios/gate.yaml', text: scenarioText }).map(errorCommand)).toEqual([
      '::error file=scenarios/gate.yaml,line=7,title=ecommerce latency%3A latency.p99 missed::latency.p99 2,500 <= 2,000 MISSED. p50 900 ms, p99 2500 ms',
      // A fixed bound the file cannot set, and a default (maxMissing is 0 unless written): the file alone.
      '::error file=scenarios/gate.yaml,title=ecommerce latency%3A latency.impossibleTimes missed::latency.impossibleTimes 3 <= 0 MISSED. p50 900 ms, p99 2500 ms',
      '::error file=scenarios/gate.yaml,title=ecommerce exactly-once%3A maxMissing missed::maxMissing 7 <= 0 MISSED. 7 missing',
      '::error file=scenarios/gate.yaml,line=10,title=ecommerce series%3A stage2.achievedRatio missed::stage2.achievedRatio 0.50 >= 0.90 MISSED. stage 2 broken',
      // Entry 11 is stage 2 of lol: ecommerce's own entry sets its p99.
      '::error file=scenarios/gate.yaml,line=16,title=ecommerce series%3A stage2.latency.p99 missed::stage2.latency.p99 4,000 <= 3,000 MISSED. stage 2 broken',
      '::error file=scenarios/gate.yaml,title=lol generation failed::generation incomplete: 5 of 10 records produced',
      '::error title=regression%3A latency.p99.corrected::ecommerce latency.p99.corrected: baseline 1,000 (baseline runs 950 to 1,100), current 1,300, +30%25, beyond the tolerance of 10%25',
      '::error title=regression%3A throughput.ingested::lol throughput.ingested: baseline 400, current 300, -25%25',
    ]);
  });

  it('without the scenario file, annotates without file or line', () => {
    const lines = annotations(report, null).map(errorCommand);
    expect(lines).toHaveLength(8);
    expect(lines[0]).toBe('::error title=ecommerce latency%3A latency.p99 missed::latency.p99 2,500 <= 2,000 MISSED. p50 900 ms, p99 2500 ms');
    expect(lines.filter((l) => l.includes('file='))).toEqual([]);
  });

  it('a file that is not YAML any more gives the file alone', () => {
    const lines = annotations(report, { file: 's.yaml', text: 'slos: [unclosed' }).map(errorCommand);
    expect(lines[0]).toBe('::error file=s.yaml,title=ecommerce latency%3A latency.p99 missed::latency.p99 2,500 <= 2,000 MISSED. p50 900 ms, p99 2500 ms');
    expect(lines.filter((l) => l.includes('line='))).toEqual([]);
  });

  it('a passing report without a comparison has none', () => {
    expect(annotations({ ...report, verdict: 'pass', checks: [report.checks[0]!], comparison: undefined }, { file: 's.yaml', text: scenarioText })).toEqual([]);
  });

  it('maps SLO names to lines: flow and block style, a stage entry for every dataset, none for what the file does not set', () => {
    const positions = scenarioPositions(scenarioText)!;
    expect(sloLine(positions, 'maxDuplicates', 'ecommerce')).toBe(5);
    expect(sloLine(positions, 'throughput.minIngestedPerSec', 'ecommerce')).toBe(8);
    expect(sloLine(positions, 'stage2.latency.p99', 'lol')).toBe(13);
    expect(sloLine(positions, 'stage2.achievedRatio', 'lol')).toBe(10);
    expect(sloLine(positions, 'stage3.latency.p99', 'lol')).toBeNull();
    expect(sloLine(positions, 'latency.p50', 'lol')).toBeNull();
    expect(sloLine(positions, 'freshness.foreignRows', 'lol')).toBeNull();
  });
});

function captureIo(env: NodeJS.ProcessEnv, cwd: string): { io: CliIo; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (c) => out.push(String(c)), stderr: (t) => err.push(t), env, cwd }, out, err };
}

describe('publishToGithubActions', () => {
  function runDirWithReport(): { cwd: string; runDir: string; scenarioPath: string; withRun: Report } {
    const cwd = tempDir();
    const runDir = join(cwd, '.harness', 'runs', 'r1');
    mkdirSync(runDir, { recursive: true });
    writeFileSync(join(runDir, markdownReport.file), markdownReport.render(report));
    mkdirSync(join(cwd, 'scenarios'));
    const scenarioPath = writeScenario(join(cwd, 'scenarios'), scenarioText, 'gate.yaml');
    const withRun: Report = {
      ...report,
      comparison: undefined,
      run: {
        scenario: 'gate',
        scenarioPath,
        seed: 1,
        baseTime: '2026-01-01T00:00:00.000Z',
        datasets: {},
        transport: 'csv',
        sink: 'pglite',
        status: 'finished',
        peakRssBytes: null,
        wallMs: 1,
      },
    };
    return { cwd, runDir, scenarioPath, withRun };
  }

  it('does nothing off GitHub Actions', () => {
    const { cwd, runDir, withRun } = runDirWithReport();
    const summary = join(cwd, 'summary.md');
    const { io, out, err } = captureIo({ GITHUB_STEP_SUMMARY: summary, GITHUB_ACTIONS: 'false' }, cwd);
    publishToGithubActions(io, runDir, withRun);
    expect([out, err]).toEqual([[], []]);
    expect(() => readFileSync(summary)).toThrow();
  });

  it('appends report.md to the step summary and prints the annotations with the scenario relative to GITHUB_WORKSPACE', () => {
    const { cwd, runDir, withRun } = runDirWithReport();
    const summary = join(cwd, 'summary.md');
    writeFileSync(summary, '# earlier step\n');
    const { io, out, err } = captureIo({ GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary, GITHUB_WORKSPACE: cwd }, join(cwd, 'scenarios'));
    publishToGithubActions(io, runDir, withRun);
    expect(readFileSync(summary, 'utf8')).toBe(`# earlier step\n${markdownReport.render(report)}`);
    expect(err).toEqual([]);
    const lines = out.join('').split('\n');
    expect(lines[0]).toBe(
      '::error file=scenarios/gate.yaml,line=7,title=ecommerce latency%3A latency.p99 missed::latency.p99 2,500 <= 2,000 MISSED. p50 900 ms, p99 2500 ms',
    );
    expect(lines).toHaveLength(7); // six annotations and the final newline
  });

  it('an unwritable or unset summary is a warning on stderr; the annotations are still printed', () => {
    const { cwd, runDir, withRun } = runDirWithReport();
    const directory = join(cwd, 'a-directory');
    mkdirSync(directory);
    const unwritable = captureIo({ GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: directory }, cwd);
    publishToGithubActions(unwritable.io, runDir, withRun);
    expect(unwritable.err.join('')).toMatch(
      /^warning: could not append .*report\.md to the job summary \$GITHUB_STEP_SUMMARY \(.*a-directory\): EISDIR.*the report is still in the run directory\n$/,
    );
    expect(unwritable.out.join('')).toContain('::error file=scenarios/gate.yaml,line=7,');

    const missing = captureIo({ GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: join(cwd, 'no-such-dir', 'summary.md') }, cwd);
    publishToGithubActions(missing.io, runDir, withRun);
    expect(missing.err.join('')).toMatch(/^warning: could not append .*no-such-dir.*ENOENT/);
    expect(missing.out.join('')).toContain('::error file=scenarios/gate.yaml,line=7,');

    const unset = captureIo({ GITHUB_ACTIONS: 'true' }, cwd);
    publishToGithubActions(unset.io, runDir, withRun, unset.io.stderr);
    expect(unset.err[0]).toMatch(/^warning: GITHUB_STEP_SUMMARY is not set, so the job summary is left out; the report is in .*report\.md\n$/);
    // With stdout carrying the report JSON (--json), the annotations go to stderr.
    expect(unset.err[1]).toContain('::error file=scenarios/gate.yaml,line=7,');
    expect(unset.out).toEqual([]);
  });

  it('a scenario outside the workspace is not named (GitHub could not show it)', () => {
    const { cwd, scenarioPath } = runDirWithReport();
    expect(scenarioSource(captureIo({ GITHUB_WORKSPACE: join(cwd, 'elsewhere') }, cwd).io, scenarioPath)).toBeNull();
    expect(scenarioSource(captureIo({}, cwd).io, scenarioPath)?.file).toBe('scenarios/gate.yaml');
    expect(scenarioSource(captureIo({}, cwd).io, join(cwd, 'gone.yaml'))).toBeNull();
  });
});

describe('inGithubGroup', () => {
  it('wraps the work in ::group:: and ::endgroup:: on stderr, closing the group when the work throws', async () => {
    const { io, err } = captureIo({ GITHUB_ACTIONS: 'true' }, '/');
    await expect(
      inGithubGroup(io, 'harness run a%b.yaml', async () => {
        io.stderr('progress line\n');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(err).toEqual(['::group::harness run a%25b.yaml\n', 'progress line\n', '::endgroup::\n']);

    const off = captureIo({}, '/');
    expect(await inGithubGroup(off.io, 't', async () => 42)).toBe(42);
    expect(off.err).toEqual([]);
  });
});
