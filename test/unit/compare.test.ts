import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../core/exit-codes.ts';
import { HarnessError } from '../../core/errors.ts';
import { loadBaseline } from '../../reports/compare/baseline.ts';
import { compareReports } from '../../reports/compare/compare.ts';
import { parseFailOn, ruleFor, unmatchedRules } from '../../reports/compare/fail-on.ts';
import { figuresOf } from '../../reports/compare/figures.ts';
import { loadReport, type LoadedReport } from '../../reports/compare/load.ts';
import { reportWriters, renderTerminal } from '../../reports/index.ts';
import type { FindMaxResult } from '../../runner/find-max/find-max.ts';
import type { CheckResult } from '../../verifier/check.ts';
import type { Report } from '../../verifier/report.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/scenario.ts';

interface Knobs {
  ingested?: number;
  p99?: number;
  corrected?: number | null;
  deadLetters?: number;
  wallMs?: number;
  scenario?: string;
  seed?: number;
  count?: number;
  run?: boolean;
}

function check(name: string, figures: CheckResult['figures']): CheckResult {
  return { name, dataset: 'ecommerce', status: 'pass', summary: name, figures, slos: [], samples: {} };
}

/** A run's report with the figures compare reads, each set by a knob. */
function report(k: Knobs = {}): Report {
  const ingested = k.ingested ?? 100;
  const p99 = k.p99 ?? 100;
  return {
    schemaVersion: 1,
    runId: 'r',
    scenario: k.scenario ?? 'demo',
    generatedAt: '2026-01-01T00:00:00.000Z',
    sink: 'pglite',
    verdict: 'pass',
    checks: [
      check('throughput', { produced: 1000, producedPerSec: 200, ingestedPerSec: ingested, endToEndPerSec: ingested }),
      check('latency', {
        p50_ms: 10,
        p90_ms: 50,
        p99_ms: p99,
        p999_ms: p99,
        max_ms: p99,
        corrected_p50_ms: null,
        corrected_p90_ms: null,
        corrected_p99_ms: k.corrected ?? null,
        corrected_p999_ms: null,
        corrected_max_ms: null,
      }),
      check('dlq-capture', { deadLetters: k.deadLetters ?? 40 }),
    ],
    series: {
      ecommerce: [0, 1, 2, 3].map((second) => ({
        second,
        targetPerSec: 0,
        produced: second < 2 ? 300 : 100,
        ingested,
        deadLettered: 0,
        backlog: 0,
        behind: 0,
        behindMaxMs: null,
        p50Ms: null,
        p99Ms: null,
        maxMs: null,
      })),
    },
    stages: {
      ecommerce: [
        { index: 0, label: 'stage 1', startS: 0, endS: 2, targetPerSec: 300, achievedPerSec: ingested, p99Ms: p99, backlogAtEnd: 0, slos: [], status: 'pass' },
        { index: 1, label: 'stage 2', startS: 2, endS: 4, targetPerSec: 100, achievedPerSec: ingested, p99Ms: p99, backlogAtEnd: 0, slos: [], status: 'pass' },
      ],
    },
    ...(k.run === false
      ? {}
      : {
          run: {
            scenario: k.scenario ?? 'demo',
            scenarioPath: 'demo.yaml',
            seed: k.seed ?? 7,
            baseTime: '2026-01-01T00:00:00.000Z',
            datasets: { ecommerce: k.count ?? 1000 },
            transport: 'csv',
            sink: 'pglite',
            status: 'finished',
            peakRssBytes: 200 * 2 ** 20,
            wallMs: k.wallMs ?? 5000,
          },
        }),
  };
}

const at = (path: string, r: Report | FindMaxResult): LoadedReport => ({ path, report: r });
const base = (...reports: Report[]) => reports.map((r, i) => at(`base${i + 1}.json`, r));

function figure(comparison: ReturnType<typeof compareReports>, name: string) {
  const found = comparison.figures.find((f) => f.name === name);
  if (!found) throw new Error(`no figure ${name} in ${comparison.figures.map((f) => f.name).join(', ')}`);
  return found;
}

function notComparable(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(HarnessError);
    expect((error as HarnessError).exitCode).toBe(ExitCode.usage);
    return (error as HarnessError).message;
  }
  throw new Error('expected an error');
}

/** A find-max result; its steps only counted (compare reads the answer), none when `steps` is 0. */
function findMaxReport(answer: number | null, dataset: 'ecommerce' | 'lol' = 'ecommerce', steps = 1): FindMaxResult {
  return {
    schemaVersion: 1,
    kind: 'find-max',
    scenario: 'demo',
    dataset,
    settings: { fromPerSec: 100, toPerSec: 10_000, budgetMs: 60_000, stepMs: 5000, warmupS: 1 },
    probe: null,
    steps: Array.from({ length: steps }, () => ({}) as FindMaxResult['steps'][number]),
    answerPerSec: answer,
    confirmed: true,
    lowestFailingPerSec: null,
    ended: 'converged',
    producerLimited: false,
    elapsedMs: 30_000,
    dir: '/tmp/x',
  };
}

describe('--fail-on grammar', () => {
  it('reads a figure or prefix, a sign for the direction and a percentage', () => {
    expect(parseFailOn(' latency.p99 = +10% , throughput=-5%,findMax=-12.5%,stage.ingested.2=-0%')).toEqual([
      { figure: 'latency.p99', direction: 'lower-is-better', tolerance: 0.1 },
      { figure: 'throughput', direction: 'higher-is-better', tolerance: 0.05 },
      { figure: 'findMax', direction: 'higher-is-better', tolerance: 0.125 },
      { figure: 'stage.ingested.2', direction: 'higher-is-better', tolerance: 0 },
    ]);
  });

  it.each([
    ['latency.p99=10%', '--fail-on "latency.p99=10%": "latency.p99=10%": the tolerance needs a sign: +10% (a rise regresses) or -10% (a fall regresses)'],
    ['latency.p99', 'expected <figure>=<+|-><percent>%'],
    ['throughput=-5', 'expected a tolerance like +10% or -5% after throughput='],
    ['throughput=-5%,', 'an empty rule'],
    ['latency.p98=+10%', 'no figure is named latency.p98; figures: throughput.produced'],
    ['stage.ingested.x=-5%', 'no figure is named stage.ingested.x'],
    ['throughput=-5%,throughput=-6%', 'throughput has two rules'],
  ])('rejects %s, quoting it (exit 2)', (input, message) => {
    const error = notComparable(() => parseFailOn(input));
    expect(error).toContain(`--fail-on "${input}"`);
    expect(error).toContain(message);
  });

  it('the longest rule naming a figure wins; a rule naming none is reported', () => {
    const rules = parseFailOn('latency=+20%,latency.p99=+10%');
    expect(ruleFor(rules, 'latency.p99.measured')?.tolerance).toBe(0.1);
    expect(ruleFor(rules, 'latency.p50.measured')?.tolerance).toBe(0.2);
    expect(ruleFor(rules, 'throughput.ingested')).toBeNull();
    // A prefix counts by whole parts: latency.p9 would not name latency.p99.
    expect(ruleFor(parseFailOn('stage.ingested.1=-5%'), 'stage.ingested.10')).toBeNull();
    expect(unmatchedRules(parseFailOn('findMax=-10%,throughput=-5%'), figuresOf(report())).map((r) => r.figure)).toEqual(['findMax']);
  });
});

describe('compareReports', () => {
  it('reads every figure both reports hold: throughput, latency, per-stage rates, dead letters, wall time, RSS', () => {
    const comparison = compareReports(base(report()), at('cur.json', report({ corrected: 120 })), []);
    expect(comparison.figures.map((f) => f.name)).toEqual([
      'throughput.produced',
      'throughput.ingested',
      'throughput.endToEnd',
      ...['p50', 'p90', 'p99', 'p999', 'max'].map((p) => `latency.${p}.measured`),
      'stage.produced.1',
      'stage.ingested.1',
      'stage.produced.2',
      'stage.ingested.2',
      'deadLetters',
      'wallTime',
      'peakRss',
    ]);
    // corrected p99 is only in the current report: a figure both lack is not compared.
    expect(figuresOf(report({ corrected: 120 })).some((f) => f.name === 'latency.p99.corrected')).toBe(true);
    expect(figure(comparison, 'stage.produced.1')).toMatchObject({ baseline: 300, current: 300, delta: 0, dataset: 'ecommerce' });
    expect(figure(comparison, 'wallTime')).toMatchObject({ dataset: null, direction: 'lower-is-better', tolerance: null, regressed: false });
    expect(comparison.verdict).toBe('pass');
    expect(comparison.baselines).toEqual(['base1.json']);
  });

  it('a fall in a higher-is-better figure regresses beyond its tolerance, not at it', () => {
    const rules = parseFailOn('throughput.ingested=-5%');
    const at95 = compareReports(base(report({ ingested: 100 })), at('c', report({ ingested: 95 })), rules);
    expect(figure(at95, 'throughput.ingested')).toMatchObject({ delta: -0.05, tolerance: 0.05, direction: 'higher-is-better', regressed: false });
    const at94 = compareReports(base(report({ ingested: 100 })), at('c', report({ ingested: 94 })), rules);
    expect(figure(at94, 'throughput.ingested')).toMatchObject({ baseline: 100, current: 94, regressed: true });
    expect(figure(at94, 'throughput.endToEnd').regressed).toBe(false);
    expect(at94.verdict).toBe('fail');
    // A rise is never a regression of a higher-is-better figure.
    expect(compareReports(base(report()), at('c', report({ ingested: 300 })), rules).verdict).toBe('pass');
  });

  it('a rise in a lower-is-better figure regresses beyond its tolerance; the rule names both p99s', () => {
    const rules = parseFailOn('latency.p99=+10%');
    const at110 = compareReports(base(report({ corrected: 100 })), at('c', report({ p99: 110, corrected: 110 })), rules);
    expect(at110.figures.filter((f) => f.name.startsWith('latency.p99.')).map((f) => [f.name, f.regressed])).toEqual([
      ['latency.p99.corrected', false],
      ['latency.p99.measured', false],
    ]);
    const at111 = compareReports(base(report({ corrected: 100 })), at('c', report({ p99: 100, corrected: 111 })), rules);
    expect(at111.figures.filter((f) => f.regressed).map((f) => f.name)).toEqual(['latency.p99.corrected']);
    expect(figure(at111, 'latency.max.measured').tolerance).toBeNull();
  });

  it('the rule sets the direction: deadLetters=-0% fails when dead letters fall', () => {
    const comparison = compareReports(base(report({ deadLetters: 40 })), at('c', report({ deadLetters: 39 })), parseFailOn('deadLetters=-0%'));
    expect(figure(comparison, 'deadLetters')).toMatchObject({ direction: 'higher-is-better', regressed: true });
  });

  it("with several baselines: the median, and a regression only beyond the tolerance AND the baselines' range", () => {
    const baselines = base(report({ ingested: 80 }), report({ ingested: 120 }), report({ ingested: 100 }));
    const rules = parseFailOn('throughput.ingested=-5%');
    const noisy = compareReports(baselines, at('c', report({ ingested: 85 })), rules);
    expect(figure(noisy, 'throughput.ingested')).toMatchObject({ baseline: 100, baselineRange: [80, 120], delta: -0.15, regressed: false });
    expect(renderTerminal({ ...report(), comparison: noisy })).toMatch(/throughput\.ingested.*noise/);
    const below = compareReports(baselines, at('c', report({ ingested: 79 })), rules);
    expect(figure(below, 'throughput.ingested').regressed).toBe(true);
    // An even number of baselines: the median is the mean of the middle two.
    expect(figure(compareReports(base(report({ ingested: 80 }), report({ ingested: 100 })), at('c', report()), []), 'throughput.ingested').baseline).toBe(90);
  });

  it('a delta from a baseline of 0 keeps only its sign', () => {
    const comparison = compareReports(base(report({ deadLetters: 0 })), at('c', report({ deadLetters: 3 })), parseFailOn('deadLetters=+50%'));
    expect(figure(comparison, 'deadLetters')).toMatchObject({ baseline: 0, current: 3, delta: 1, regressed: true });
  });

  it('figures a baseline lacks are left out (an older report without the run summary)', () => {
    const comparison = compareReports(base(report(), report({ run: false })), at('c', report()), []);
    expect(comparison.figures.some((f) => f.name === 'wallTime')).toBe(false);
    expect(comparison.figures.some((f) => f.name === 'throughput.ingested')).toBe(true);
  });

  it.each([
    ['another scenario', report({ scenario: 'other' }), 'scenario: base1.json has "demo", c.json has "other"'],
    ['another seed', report({ seed: 8 }), 'seed: base1.json has 7, c.json has 8'],
    ['another count', report({ count: 2000 }), 'record counts: base1.json has ecommerce 1000, c.json has ecommerce 2000'],
    ['zero checks', { ...report(), checks: [] }, 'c.json has zero checks: a report without evidence is never a pass, as baseline or as current'],
    ['a find-max search', findMaxReport(500), 'kind: base1.json has a run, c.json has a find-max search'],
  ])('is not comparable with %s (exit 2, saying why)', (_what, current, why) => {
    expect(notComparable(() => compareReports(base(report()), at('c.json', current), []))).toBe(`reports not comparable: ${why}`);
  });

  it('a baseline with zero checks is never a baseline', () => {
    expect(notComparable(() => compareReports([at('empty.json', { ...report(), checks: [] })], at('c.json', report()), []))).toContain(
      'empty.json has zero checks',
    );
  });

  it('compares find-max answers: findMax=-10%', () => {
    const rules = parseFailOn('findMax=-10%');
    const comparison = compareReports([at('b', findMaxReport(1000))], at('c', findMaxReport(850)), rules);
    expect(comparison.figures).toEqual([
      {
        name: 'findMax',
        dataset: 'ecommerce',
        baseline: 1000,
        baselineRange: [1000, 1000],
        current: 850,
        delta: -0.15,
        direction: 'higher-is-better',
        tolerance: 0.1,
        regressed: true,
      },
    ]);
    expect(notComparable(() => compareReports([at('b', findMaxReport(1000))], at('c', findMaxReport(900, 'lol')), rules))).toContain(
      'dataset searched: b has ecommerce, c has lol',
    );
    expect(notComparable(() => compareReports([at('b', findMaxReport(1000))], at('c', findMaxReport(900, 'ecommerce', 0)), rules))).toContain('zero steps');
    // A search whose first step failed has no answer: nothing in common to compare.
    expect(notComparable(() => compareReports([at('b', findMaxReport(1000))], at('c', findMaxReport(null)), rules))).toContain('no figure in common');
  });
});

describe('report files given to compare or --baseline', () => {
  const dir = tempDir();
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const good = JSON.stringify(report());

  it.each([
    ['missing', null, 'cannot be read (ENOENT'],
    ['empty', '  \n', 'is empty'],
    ['truncated', good.slice(0, good.length / 2), 'is not valid JSON, truncated or corrupt'],
    ['corrupt', `${good}garbage`, 'is not valid JSON, truncated or corrupt'],
    ['not an object', '[1,2]', 'is not a harness report (not a JSON object)'],
    ['not a report', '{"name":"x"}', 'is not a harness report (no schemaVersion)'],
    ['another version', JSON.stringify({ ...report(), schemaVersion: 2 }), 'has schemaVersion 2; this harness reads version 1'],
    ['incomplete', JSON.stringify({ ...report(), checks: [{ name: 'x' }] }), 'is not a complete report: /checks/0/dataset:'],
  ])('%s: exit 2 naming the file and the problem', (name, text, problem) => {
    const path = text === null ? join(dir, 'absent.json') : file(`${name}.json`, text);
    const error = notComparable(() => loadReport(path, 'baseline'));
    expect(error).toContain(`baseline ${path}: ${problem}`);
  });

  it('a directory stands for its report.json', () => {
    const run = join(dir, 'run');
    mkdirSync(run, { recursive: true });
    writeFileSync(join(run, 'report.json'), good);
    expect(loadReport(run, 'current').path).toBe(join(run, 'report.json'));
  });

  it('--fail-on without --baseline is a usage error', () => {
    expect(notComparable(() => loadBaseline(undefined, 'throughput=-5%', dir))).toContain('needs --baseline');
    expect(loadBaseline(undefined, undefined, dir)).toBeUndefined();
  });
});

describe('the comparison in the reports', () => {
  const judged = (): Report => {
    const comparison = compareReports(base(report()), at('c', report({ ingested: 50 })), parseFailOn('throughput=-20%'));
    return { ...report({ ingested: 50 }), verdict: 'fail', comparison };
  };

  it('report.md has the comparison table, regressions in bold', () => {
    const markdown = reportWriters.markdown.render(judged());
    expect(markdown).toContain('### Against the baseline: FAIL');
    expect(markdown).toContain('| ecommerce | throughput.ingested | 100 rows/s | 50 rows/s | -50.0% | -20% | **REGRESSED** |');
  });

  it('the terminal table says the verdict failed on the comparison, the checks all passing', () => {
    expect(renderTerminal(judged())).toContain('verdict: FAIL (3/3 checks pass, regressed against the baseline)');
  });

  it('junit.xml fails a comparison testcase naming each regressed figure', () => {
    const xml = reportWriters.junit.render(judged());
    expect(xml).toContain('tests="4" failures="1"');
    expect(xml).toContain('<testcase classname="harness.comparison" name="baseline">');
    expect(xml).toContain('[ecommerce] throughput.ingested: baseline 100 rows/s, current 50 rows/s (-50.0%, allowed -20%)');
  });
});

describe('harness compare', () => {
  const dir = tempDir();
  const write = (name: string, r: Report) => {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(r));
    return path;
  };

  it('prints the table, writes compare.md beside the current report and exits 0 when nothing regressed', async () => {
    const run = await runCli(
      [
        'compare',
        write('b1.json', report()),
        write('b2.json', report({ ingested: 90 })),
        '--current',
        write('cur.json', report({ ingested: 92 })),
        '--fail-on',
        'throughput=-5%',
      ],
      { cwd: dir },
    );
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    expect(run.stdout).toMatch(/throughput\.ingested.*95 rows\/s \(90\.\.100\).*92 rows\/s.*-3\.2%.*-5%.*ok/);
    expect(run.stdout).toContain('comparison: PASS against 2 baselines');
    expect(readFileSync(join(dir, 'compare.md'), 'utf8')).toContain('## harness compare: demo');
  });

  it('exits 1 naming each regressed figure with baseline, current and delta', async () => {
    const run = await runCli(
      [
        'compare',
        write('b.json', report()),
        '--current',
        write('slow.json', report({ ingested: 70, p99: 150 })),
        '--fail-on',
        'throughput.ingested=-20%,latency.p99=+10%',
      ],
      { cwd: dir },
    );
    expect(run.code).toBe(ExitCode.sloMissed);
    expect(run.stdout).toContain('comparison: FAIL against 1 baseline, 2 figures regressed:');
    expect(run.stdout).toContain('[ecommerce] throughput.ingested: baseline 100 rows/s, current 70 rows/s (-30.0%, allowed -20%)');
    expect(run.stdout).toContain('[ecommerce] latency.p99.measured: baseline 100 ms, current 150 ms (+50.0%, allowed +10%)');
  });

  it('exits 2 on reports not comparable, a bad file or a bad rule, with no stack trace', async () => {
    const other = await runCli(['compare', write('b.json', report()), '--current', write('o.json', report({ seed: 9 }))], { cwd: dir });
    expect(other.code).toBe(ExitCode.usage);
    expect(other.stderr).toBe(`error: reports not comparable: seed: ${join(dir, 'b.json')} has 7, ${join(dir, 'o.json')} has 9\n`);
    const truncated = join(dir, 't.json');
    writeFileSync(truncated, '{"schemaVersion": 1, "checks": [');
    const bad = await runCli(['compare', truncated, '--current', join(dir, 'b.json')], { cwd: dir });
    expect(bad.code).toBe(ExitCode.usage);
    expect(bad.stderr).toMatch(new RegExp(`^error: baseline ${truncated}: is not valid JSON, truncated or corrupt \\(.*\\)\\n$`));
    const rule = await runCli(['compare', join(dir, 'b.json'), '--current', join(dir, 'b.json'), '--fail-on', 'p99=+10%'], { cwd: dir });
    expect(rule.code).toBe(ExitCode.usage);
    expect(rule.stderr).toContain('error: --fail-on "p99=+10%": "p99=+10%": no figure is named p99');
  });

  it('judges the latest find-max search when the baselines are find-max reports and no --current is given', async () => {
    const home = join(dir, 'home');
    for (const [id, answer] of [
      ['20260101T000000Z-aaaa', 2000],
      ['20260102T000000Z-bbbb', 1500],
    ] as const) {
      mkdirSync(join(home, 'find-max', id), { recursive: true });
      writeFileSync(join(home, 'find-max', id, 'report.json'), JSON.stringify(findMaxReport(answer)));
    }
    const base = join(dir, 'fm-base.json');
    writeFileSync(base, JSON.stringify(findMaxReport(2000)));
    const run = await runCli(['--home', home, 'compare', base, '--fail-on', 'findMax=-10%'], { cwd: dir });
    expect(run.code).toBe(ExitCode.sloMissed);
    expect(run.stdout).toContain('[ecommerce] findMax: baseline 2,000 rec/s, current 1,500 rec/s (-25.0%, allowed -10%)');
    expect(readFileSync(join(home, 'find-max', '20260102T000000Z-bbbb', 'compare.md'), 'utf8')).toContain('**REGRESSED**');
  });

  it('warns about a rule that names no figure of these reports', async () => {
    const run = await runCli(['compare', join(dir, 'b.json'), '--current', join(dir, 'b.json'), '--fail-on', 'findMax=-10%'], { cwd: dir });
    expect(run.code).toBe(ExitCode.ok);
    expect(run.stderr).toContain('warning: --fail-on findMax: no figure of these reports is named so; this rule cannot fail');
  });
});
