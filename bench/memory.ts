import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { latestRunDir, loadManifest } from '../runs/manifest.ts';
import { pair, printTable, type Pair } from './table.ts';

/** `harness run` of `count` clean e-commerce events, unpaced, in its own process: its peak RSS and verdict. */
function runPeak(count: number, env: NodeJS.ProcessEnv): { rssMiB: number; seconds: number; verdict: string } {
  const home = mkdtempSync(join(tmpdir(), 'harness-bench-memory-'));
  const scenario = join(home, 'memory.yaml');
  writeFileSync(
    scenario,
    `name: bench-memory\nseed: 7\nsink:\n  schema: harness_bench_memory\n  reset: true\ndatasets:\n  ecommerce:\n    count: ${count}\n    rate: 0\n`,
  );
  const started = Date.now();
  const child = spawnSync(process.execPath, [resolve(import.meta.dirname, '../cli/bin.js'), '--home', home, 'run', scenario, '--quiet'], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
  const manifest = loadManifest(latestRunDir(home));
  const verdict = child.status === 0 ? 'PASS' : `exit ${child.status}`;
  return { rssMiB: (manifest.peakRssBytes ?? 0) / 2 ** 20, seconds: (Date.now() - started) / 1000, verdict };
}

/**
 * Memory flat in the record count: the whole of `harness run` (generation, pipeline and verify in
 * one process) at 1M and 5M records; the peak should barely move.
 */
export function benchMemory(backend: { name: string; env: NodeJS.ProcessEnv }): Pair[] {
  const small = runPeak(1_000_000, backend.env);
  const large = runPeak(5_000_000, backend.env);
  printTable(
    `memory: harness run of clean e-commerce events, unpaced, on ${backend.name}`,
    ['records', 'result', 'wall s', 'peak RSS MiB'],
    [
      ['1,000,000', small.verdict, small.seconds.toFixed(1), Math.round(small.rssMiB)],
      ['5,000,000', large.verdict, large.seconds.toFixed(1), Math.round(large.rssMiB)],
    ],
  );
  return [
    pair(`harness run peak RSS, 5M records vs 1M, ${backend.name}`, [large.rssMiB, `MiB (${large.verdict})`], [small.rssMiB, `MiB (${small.verdict})`], {
      at: 'most',
      bound: 1.25,
    }),
  ];
}
