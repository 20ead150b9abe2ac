import { join } from 'node:path';
import { afterAll, expect } from 'vitest';

const root = join(import.meta.dirname, '../..');

/** A frame of this project's own code (not a dependency's): the warning is ours to fix. */
function fromOurCode(warning: Error): boolean {
  return (warning.stack ?? '').split('\n').some((frame) => frame.includes(root) && !frame.includes('node_modules'));
}

const warnings: string[] = [];
process.on('warning', (warning) => {
  if (fromOurCode(warning)) warnings.push(`${warning.name}: ${warning.message}\n${warning.stack ?? ''}`);
});

// Every test file fails on a Node warning its code raised (a pg deprecation, a listener leak...).
afterAll(() => {
  expect(warnings, 'Node warnings raised by harness code').toEqual([]);
});
