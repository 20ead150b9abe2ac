import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../core/exit-codes.ts';
import { tempDir } from '../helpers/scenario.ts';

const root = join(import.meta.dirname, '../..');
const tsx = join(root, 'node_modules/tsx/dist/esm/index.mjs');
const bin = join(root, 'cli/bin.ts');

/** The packages a command loads only when it uses them: clients, the embedded database, Faker, the reports' libraries. */
const heavy = [
  'pg',
  'pg-copy-streams',
  'kafkajs',
  '@elastic/elasticsearch',
  '@electric-sql/pglite',
  '@faker-js/faker',
  'hdr-histogram-js',
  'log-update',
  'cli-table3',
  'csv-parse',
];

/**
 * Runs the CLI in its own process with a module hook that records every module it resolves, and
 * returns the packages among them (from the resolved URLs: what Node really loaded, CommonJS ones
 * included, since each is reached by an import).
 */
function packagesLoaded(argv: string[]): { code: number | null; packages: Set<string>; stderr: string } {
  const dir = tempDir();
  const log = join(dir, 'resolved.txt');
  const hooks = join(dir, 'hooks.mjs');
  writeFileSync(
    hooks,
    `import { appendFileSync } from 'node:fs';\nexport async function resolve(specifier, context, next) {\n  const resolved = await next(specifier, context);\n  appendFileSync(${JSON.stringify(log)}, resolved.url + '\\n');\n  return resolved;\n}\n`,
  );
  const register = join(dir, 'register.mjs');
  writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  writeFileSync(log, '');
  const child = spawnSync(process.execPath, ['--import', register, '--import', tsx, bin, ...argv], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, HARNESS_DEBUG: '' },
  });
  const packages = new Set(
    readFileSync(log, 'utf8')
      .split('\n')
      .flatMap((url) => {
        const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
        return match ? [match[1] as string] : [];
      }),
  );
  return { code: child.status, packages, stderr: child.stderr };
}

describe('start-up loads what the command uses, nothing more', () => {
  it('--help loads commander alone: no scenario schema, no client, no database', { timeout: 60_000 }, () => {
    const { code, packages, stderr } = packagesLoaded(['--help']);
    expect(code, stderr).toBe(ExitCode.ok);
    expect(packages).toContain('commander');
    expect([...packages].filter((name) => [...heavy, 'zod', 'yaml'].includes(name))).toEqual([]);
  });

  it('validate loads the scenario schema (zod, yaml) but no component: no client, database, Faker or report library', { timeout: 60_000 }, () => {
    const { code, packages, stderr } = packagesLoaded(['validate', 'scenarios/smoke.yaml']);
    expect(code, stderr).toBe(ExitCode.ok);
    expect(packages).toContain('zod');
    expect(packages).toContain('yaml');
    expect([...packages].filter((name) => heavy.includes(name))).toEqual([]);
  });
});
