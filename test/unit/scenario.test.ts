import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SqlSinkSpec } from '../../connectors/sinks/sql/spec.ts';
import { HarnessError } from '../../core/errors.ts';
import { createGenerator } from '../../generators/index.ts';
import { Oracle } from '../../generators/oracle.ts';
import { seedWord } from '../../generators/random.ts';
import { generatorConfig } from '../../scenarios/datasets.ts';
import { loadScenario, parseScenario } from '../../scenarios/load.ts';
import { scenarioDatasets } from '../../runner/scenario-datasets.ts';
import { scenarioJsonSchema } from '../../scenarios/schema.ts';
import { tempDir, writeScenario } from '../helpers/scenario.ts';

function problems(text: string, file = 'scenarios/x.yaml'): string {
  try {
    parseScenario(text, file);
  } catch (error) {
    expect(error).toBeInstanceOf(HarnessError);
    return (error as HarnessError).message;
  }
  throw new Error('expected the scenario to be rejected');
}

const minimal = 'name: t\ndatasets:\n  ecommerce:\n    count: 10\n';

describe('scenario files', () => {
  it('accept a minimal scenario and fill in defaults', () => {
    const scenario = parseScenario(minimal, 'x.yaml');
    expect(scenario.pipeline).toMatchObject({ type: 'reference', batchSize: 5000 });
    expect(scenario.datasets.ecommerce?.faults).toEqual({ duplicate: 0, malformed: 0, future: 0, late: 0 });
    expect((scenario.sink as SqlSinkSpec).tables.ecommerce).toBe('user_events');
  });

  it('name file, line, column and path of an unknown key', () => {
    const message = problems(`${minimal}    colour: blue\n`);
    expect(message).toContain('scenarios/x.yaml:5:5 /datasets/ecommerce/colour: unknown key');
  });

  it('name the field of a wrong type and say what was expected', () => {
    expect(problems('name: t\ndatasets:\n  ecommerce:\n    count: lots\n')).toContain(
      'scenarios/x.yaml:4:12 /datasets/ecommerce/count: expected number, got string',
    );
  });

  it('quote a bad duration', () => {
    expect(problems(`${minimal}slos:\n  latency: { p99: fast }\n`)).toMatch(/:6:19 \/slos\/latency\/p99: expected a duration like 250ms, 2s or 1m, got "fast"/);
  });

  it('collect every problem, in file order', () => {
    const message = problems('name: t\nbogus: 1\ndatasets:\n  lol:\n    count: -1\n    faults: { late: 2 }\n');
    expect(message).toContain('3 problems');
    const lines = message
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(' ')[0]);
    expect(lines).toEqual(['scenarios/x.yaml:2:1', 'scenarios/x.yaml:5:12', 'scenarios/x.yaml:6:21']);
  });

  it('report bad YAML with its position', () => {
    expect(problems('name: t\ndatasets: [unclosed\n')).toMatch(/^scenarios\/x\.yaml:\d+:\d+: invalid YAML/);
  });

  it('apply cross-field rules once the shape is right', () => {
    expect(problems('name: t\ndatasets:\n  ecommerce:\n    count: 5\n    faults: { duplicate: 0.6, malformed: 0.6 }\n')).toContain(
      '/datasets/ecommerce/faults: fault rates add up to 1.2, more than 1',
    );
    expect(problems('name: t\ndatasets: {}\n')).toContain('at least one dataset');
  });

  it('take what a correct pipeline does per bad kind, and refuse what the reference pipeline cannot do', () => {
    const expecting = (expect: string, pipeline = '') => `name: t\n${pipeline}datasets:\n  ecommerce:\n    count: 5\n    expect: ${expect}\n`;
    expect(parseScenario(expecting('{ malformed: { view_with_price: repair } }'), 'x.yaml').datasets.ecommerce?.expect).toEqual({
      duplicate: 'land-once',
      future: 'dead-letter',
      malformed: { view_with_price: 'repair' },
    });
    expect(problems(expecting('{ malformed: { click_event: repair } }'))).toMatch(
      /:5:41 \/datasets\/ecommerce\/expect\/malformed\/click_event: .*"dead-letter"\|"drop"/,
    );
    expect(problems(expecting('{ malformed: { truncated_row: drop } }'))).toContain('truncated_row and wrong_column_count share reason column_count');
    expect(problems(expecting('{ duplicate: dead-letter }'))).toContain('/datasets/ecommerce/expect/duplicate: the reference pipeline lands duplicates once');
    expect(parseScenario(expecting('{ duplicate: dead-letter }', 'pipeline: { type: external }\n'), 'x.yaml').datasets.ecommerce?.expect.duplicate).toBe(
      'dead-letter',
    );
  });

  it('interpolate ${VAR:-default} from the environment and refuse an unset variable without default', () => {
    const dir = tempDir();
    const path = writeScenario(dir, 'name: t\nsink: { schema: ${S:-fallback} }\ndatasets:\n  lol: { count: ${N} }\n');
    expect((loadScenario(path, { N: '3' }).scenario.sink as SqlSinkSpec).schema).toBe('fallback');
    expect((loadScenario(path, { N: '3', S: 'mine' }).scenario.sink as SqlSinkSpec).schema).toBe('mine');
    expect(() => loadScenario(path, {})).toThrow(/:4: environment variable N is not set/);
  });

  it('export a JSON Schema for editors', () => {
    const schema = scenarioJsonSchema() as { properties: Record<string, unknown>; additionalProperties: unknown };
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['name', 'seed', 'datasets', 'slos', 'pipeline']));
    expect(schema.additionalProperties).toBe(false);
  });
});

describe('every shipped scenario', () => {
  const dir = join(import.meta.dirname, '../../scenarios');
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

  it.each(files)('%s loads and dry-runs its generators', (file) => {
    const { scenario } = loadScenario(join(dir, file), {});
    for (const [name, spec] of scenarioDatasets(scenario)) {
      const generator = createGenerator(name, generatorConfig(seedWord(scenario.seed), Date.UTC(2026, 0, 1), spec));
      expect(new Oracle(generator, Math.min(spec.count, 2000), spec.expect).counts().uniqueValid).toBeGreaterThan(0);
      expect(generator.payload(0)).toBeTruthy();
    }
  });
});
