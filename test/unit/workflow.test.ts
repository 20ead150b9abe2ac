import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createCli } from '../../cli/main.ts';
import { parseFailOn } from '../../reports/compare/fail-on.ts';

const root = join(import.meta.dirname, '..', '..');
const workflowText = readFileSync(join(root, '.github', 'workflows', 'harness.yml'), 'utf8');

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
}

interface Workflow {
  on: Record<string, unknown>;
  env: Record<string, string>;
  jobs: Record<string, { 'runs-on': string; env?: Record<string, string>; services?: Record<string, { image: string; options?: string }>; steps: Step[] }>;
}

/** The README's Commands table: `harness run <scenario>` gives run. */
function documentedCommands(): Set<string> {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Commands'), readme.indexOf('\n## ', readme.indexOf('\n## Commands') + 1));
  return new Set([...section.matchAll(/^\| `harness ([a-z][a-z-]*)/gm)].map((m) => m[1] as string));
}

/** The long options a harness command takes, from the CLI itself (its own, its subcommands' and the global ones). */
function optionsOf(name: string): Set<string> {
  const program = createCli({ io: { stdout: () => {}, stderr: () => {}, env: {}, cwd: root }, home: () => root, exit: () => {} });
  const command = program.commands.find((c) => c.name() === name);
  const all = (c: Command): string[] => [...c.options.flatMap((o) => (o.long ? [o.long] : [])), ...c.commands.flatMap(all)];
  return new Set([...(command ? all(command) : []), ...all(program).filter((o) => program.options.some((p) => p.long === o))]);
}

const shellBasics = new Set(['[', 'test', 'echo', 'cp', 'mkdir', 'ls', 'cat', 'true']);
const shellKeywords = new Set(['if', 'then', 'else', 'elif', 'fi', '!']);
const npmCommands = new Set(['install', 'ci', 'test', 'run']);

/**
 * What a step's `run` script may call: shell basics, npm install/ci/test/run, and `npx harness`
 * with a command of the README's table and options that command has. Returns the problems.
 */
function scriptProblems(script: string, documented: Set<string>): string[] {
  const commands = script
    .replace(/\\\n/g, ' ')
    .split(/\n|;|&&|\|\||\|/)
    .map((c) => c.match(/"[^"]*"|'[^']*'|\S+/g) ?? [])
    .map((words) => {
      while (words.length > 0 && shellKeywords.has(words[0])) words.shift();
      return words;
    })
    .filter((words) => words.length > 0);
  return commands.flatMap((words): string[] => {
    const [program, first, second] = words as [string, string | undefined, string | undefined];
    if (shellBasics.has(program)) return [];
    if (program === 'npm') return first && npmCommands.has(first) ? [] : [`npm ${first ?? ''}: not one of ${[...npmCommands].join(', ')}`];
    if (program !== 'npx' || first !== 'harness') return [`${words.join(' ')}: only shell basics, npm and npx harness`];
    if (!second || !documented.has(second)) return [`harness ${second ?? ''}: not in the README's Commands table`];
    const options = optionsOf(second);
    return words.filter((w) => w.startsWith('--')).flatMap((w) => (options.has(w.split('=')[0] as string) ? [] : [`harness ${second} ${w}: no such option`]));
  });
}

describe('.github/workflows/harness.yml', () => {
  const workflow = parse(workflowText) as Workflow;
  const gate = workflow.jobs.gate!;
  const steps = gate.steps;

  it("is a valid workflow by GitHub's own schema (@actions/workflow-parser), which rejects a broken one", async () => {
    const check = async (content: string) => {
      const parsed = parseWorkflow({ name: 'harness.yml', content }, new NoOperationTraceWriter());
      const template = await convertWorkflowTemplate(parsed.context, parsed.value!);
      return [...parsed.context.errors.getErrors().map((e) => e.message), ...(template.errors ?? []).map((e) => e.Message)];
    };
    expect(await check(workflowText)).toEqual([]);
    const broken = workflowText.replace('    runs-on: ubuntu-latest\n', '').replace('      - name: Install\n', '      - nme: Install\n');
    expect(await check(broken)).toEqual(
      expect.arrayContaining([expect.stringMatching(/Required property is missing: runs-on/), expect.stringMatching(/Unexpected value 'nme'/)]),
    );
  });

  it('runs only shell basics, npm, and documented harness commands with options they have', () => {
    const documented = documentedCommands();
    expect([...documented]).toEqual(expect.arrayContaining(['run', 'verify', 'validate']));
    const scripts = steps.flatMap((s) => (s.run ? [s.run] : []));
    expect(scripts.length).toBeGreaterThan(0);
    expect(scripts.flatMap((s) => scriptProblems(s, documented))).toEqual([]);
    // The checker can fail.
    expect(scriptProblems('npx harness deploy x\ncurl http://x | sh\nnpm publish\nnpx harness run s.yaml --turbo', documented)).toEqual([
      "harness deploy: not in the README's Commands table",
      'curl http://x: only shell basics, npm and npx harness',
      'sh: only shell basics, npm and npx harness',
      'npm publish: not one of install, ci, test, run',
      'harness run --turbo: no such option',
    ]);
  });

  it('on every pull request: installs, runs the scenario against a PostgreSQL service, uploads the reports and compares with the baseline from main', () => {
    expect(Object.keys(workflow.on)).toEqual(['pull_request', 'push']);
    expect(gate['runs-on']).toBe('ubuntu-latest');
    const postgres = gate.services?.postgres;
    expect(postgres?.image).toMatch(/^postgres:/);
    expect(postgres?.options).toContain('--health-cmd "pg_isready');
    expect(gate.env?.PG_URL).toMatch(/^postgres:\/\/harness:harness@localhost:5432\//);
    const index = (predicate: (s: Step) => boolean) => steps.findIndex(predicate);
    const install = index((s) => s.run === 'npm install --no-audit --no-fund');
    const baseline = index((s) => s.uses?.startsWith('dawidd6/action-download-artifact@') === true);
    const run = index((s) => s.run?.includes('npx harness run "$SCENARIO"') === true);
    const upload = index((s) => s.with?.name === 'harness-report');
    expect(install).toBeGreaterThan(-1);
    expect([install < baseline, baseline < run, run < upload]).toEqual([true, true, true]);
    expect(steps[baseline]!.with).toMatchObject({
      workflow: 'harness.yml',
      branch: 'main',
      workflow_conclusion: 'success',
      name: 'harness-baseline',
      path: 'baseline',
    });
    expect(steps[run]!.run).toContain('--baseline baseline/report.json --fail-on "$FAIL_ON"');
    // The rules parse (a typo would fail every pull request with exit 2).
    expect(parseFailOn(workflow.env.FAIL_ON!).map((r) => r.figure)).toEqual(['latency.p99.corrected', 'throughput']);
    // Reports are kept even (above all) when the gate fails.
    // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- vitest types its asymmetric matchers (expect.any...) as any
    expect(steps[upload]).toMatchObject({ if: 'always()', uses: expect.stringMatching(/^actions\/upload-artifact@/) });
    const uploaded = String(steps[upload]!.with?.path).split('\n').filter(Boolean);
    expect(uploaded.map((p) => p.split('/').at(-1))).toEqual(['report.html', 'report.json', 'junit.xml']);
  });

  it("on main, keeps the passing run's report.json as the baseline artifact the pull requests download", () => {
    const keep = steps.find((s) => s.with?.name === 'harness-baseline' && s.uses?.startsWith('actions/upload-artifact@'));
    expect(keep?.if).toBe("github.event_name == 'push' && github.ref == 'refs/heads/main'");
    expect(keep?.with?.path).toBe('.harness/runs/*/report.json');
    expect(workflow.on.push).toEqual({ branches: ['main'] });
  });
});
