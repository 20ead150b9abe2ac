import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { scenarioJsonSchema } from './schema.ts';
import { scenarioReference } from './reference.ts';

/** `npm run docs`: regenerates the scenario reference and the JSON Schema for editors. */
const root = resolve(import.meta.dirname, import.meta.dirname.includes('/dist/') ? '../..' : '..');
writeFileSync(resolve(root, 'docs/scenario-reference.md'), scenarioReference());
writeFileSync(resolve(root, 'scenarios/scenario.schema.json'), `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
