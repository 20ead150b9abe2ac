import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempDir(prefix = 'harness-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes a scenario file into `dir` and returns its path. */
export function writeScenario(dir: string, yaml: string, name = 'scenario.yaml'): string {
  const path = join(dir, name);
  writeFileSync(path, yaml);
  return path;
}

/** A small scenario over both datasets; `extra` lines are appended at the top level. */
export function smallScenario(options: { ecommerce?: number; lol?: number; faults?: string; pipeline?: string; schema?: string; extra?: string }): string {
  const faults = options.faults ?? '{ duplicate: 0.03, malformed: 0.04, future: 0.01, late: 0.02 }';
  return [
    'name: test',
    'seed: 11',
    'baseTime: 2026-01-01T00:00:00Z',
    'transport: { type: csv, rotateRecords: 400 }',
    options.pipeline ?? 'pipeline: { type: reference, batchSize: 250, pollInterval: 10ms }',
    `sink: { schema: ${options.schema ?? 'harness'} }`,
    'datasets:',
    ...(options.ecommerce ? [`  ecommerce: { count: ${options.ecommerce}, faults: ${faults} }`] : []),
    ...(options.lol ? [`  lol: { count: ${options.lol}, faults: ${faults} }`] : []),
    options.extra ?? '',
  ].join('\n');
}
