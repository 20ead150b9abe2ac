import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scenarioReference } from '../../scenarios/reference.ts';
import { scenarioJsonSchema } from '../../scenarios/schema.ts';

const root = join(import.meta.dirname, '../..');

describe('generated docs', () => {
  it('docs/scenario-reference.md matches the schema (run `npm run docs` after changing it)', () => {
    expect(readFileSync(join(root, 'docs/scenario-reference.md'), 'utf8')).toBe(scenarioReference());
  });

  it('scenarios/scenario.schema.json matches the schema', () => {
    expect(JSON.parse(readFileSync(join(root, 'scenarios/scenario.schema.json'), 'utf8'))).toEqual(scenarioJsonSchema());
  });
});
