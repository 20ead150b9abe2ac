import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

/**
 * What `npm publish` would ship, as npm itself lists it (from the dist/ the build left). The bench
 * starts Apache Kafka's broker through test/kafka-broker, so the build compiles that helper into
 * dist/test/; package.json's `files` keeps it, and the bench, out of the package.
 */
it('publishes the CLI and the scenarios, never the bench or a test helper', { timeout: 60_000 }, () => {
  const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' });
  const [pack] = JSON.parse(output) as [{ files: { path: string }[] }];
  const paths = pack.files.map((file) => file.path);
  expect(paths).toContain('dist/cli/bin.js');
  expect(paths).toContain('scenarios/smoke.yaml');
  expect(paths.filter((path) => /^dist\/(test|bench)\//.test(path))).toEqual([]);
});
