import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** `harness 0.1.0 (node v20.20.2, linux x64)`: what a CI log or a bug report needs first. */
export function versionLine(): string {
  let dir = import.meta.dirname;
  // From sources (cli/) and from the build (dist/cli/) alike: the nearest package.json up is ours.
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string };
  return `harness ${version} (node ${process.version}, ${process.platform} ${process.arch})`;
}
