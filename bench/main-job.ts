import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { latestRunDir, loadManifest } from '../runs/manifest.ts';
import type { Report } from '../verifier/report.ts';
import { pair, printTable, type Pair } from './table.ts';

const QUIET_BOUND_S = 50;

/**
 * `harness run scenarios/high-volume.yaml` as a user runs it, once per SQL backend, each in its own
 * process so wall time and peak memory are that run's alone.
 */
export function benchMainJob(scenario: string, backends: { name: string; env: NodeJS.ProcessEnv }[]): Pair[] {
  const bin = resolve(import.meta.dirname, '../cli/bin.js');
  const rows: (string | number)[][] = [];
  const pairs: Pair[] = [];
  for (const backend of backends) {
    const home = mkdtempSync(join(tmpdir(), 'harness-bench-'));
    const started = Date.now();
    const child = spawnSync(process.execPath, [bin, '--home', home, 'run', scenario, '--quiet'], {
      env: { ...process.env, ...backend.env },
      encoding: 'utf8',
      maxBuffer: 64 * 2 ** 20,
    });
    const wallS = (Date.now() - started) / 1000;
    const runDir = latestRunDir(home);
    const manifest = loadManifest(runDir);
    const report = JSON.parse(readFileSync(join(runDir, 'report.json'), 'utf8')) as Report;
    const records = Object.values(manifest.datasets).reduce((n, d) => n + d.count, 0);
    const gen = Object.values(manifest.datasets);
    const genMs = Math.max(...gen.map((d) => d.finishedAtMs - d.startedAtMs));
    const pipelineMs = (manifest.pipeline?.finishedAtMs ?? 0) - (manifest.pipeline?.startedAtMs ?? 0);
    rows.push([
      backend.name,
      `exit ${child.status} (${report.verdict})`,
      wallS.toFixed(1),
      Math.round(records / (genMs / 1000)),
      Math.round(records / (pipelineMs / 1000)),
      Math.round((manifest.peakRssBytes ?? 0) / 2 ** 20),
    ]);
    // Its paced generation is the floor a run cannot beat: on a quiet machine the job takes at most
    // 50 s of it, so that a busy one stays within 60 s; in 1 GiB.
    pairs.push(
      pair(`main job wall (run + verify), ${backend.name}`, [wallS, `s, ${report.verdict}`], [genMs / 1000, 's of paced generation'], {
        at: 'most',
        bound: 1.5,
      }),
      pair(`main job wall on a quiet machine, ${backend.name}`, [wallS, 's'], [QUIET_BOUND_S, 's bound'], { at: 'most', bound: 1 }),
    );
    pairs.push(pair(`main job peak RSS, ${backend.name}`, [(manifest.peakRssBytes ?? 0) / 2 ** 20, 'MiB'], [1024, 'MiB bound'], { at: 'most', bound: 1 }));
  }
  printTable(
    `main job: harness run ${scenario} (paced by the scenario's rates)`,
    ['backend', 'result', 'wall s (run+verify)', 'generated rec/s', 'pipeline rec/s', 'peak RSS MiB'],
    rows,
  );
  return pairs;
}
