import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { latestRunDir } from '../runs/manifest.ts';
import type { Report } from '../verifier/report.ts';
import { pair, printTable, type Pair } from './table.ts';

/** How much of each SLO a shipped scenario may use beside the hog: the margin the issue asks for. */
const MARGIN = 0.75;

export interface HogScenario {
  file: string;
  env: NodeJS.ProcessEnv;
}

/**
 * Every shipped scenario, run by `harness run` as a user runs it while another process keeps one
 * core busy (a spinning Node process): the verdict, and how close each SLO came to its bound.
 */
export function benchBesideHog(scenarios: readonly HogScenario[]): Pair[] {
  const hog = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  const bin = resolve(import.meta.dirname, '../cli/bin.js');
  const rows: (string | number)[][] = [];
  const pairs: Pair[] = [];
  try {
    for (const scenario of scenarios) {
      const home = mkdtempSync(join(tmpdir(), 'harness-bench-hog-'));
      const started = Date.now();
      const child = spawnSync(process.execPath, [bin, '--home', home, 'run', scenario.file, '--quiet'], {
        env: { ...process.env, ...scenario.env },
        encoding: 'utf8',
        maxBuffer: 64 * 2 ** 20,
      });
      const wallS = (Date.now() - started) / 1000;
      const report = JSON.parse(readFileSync(join(latestRunDir(home), 'report.json'), 'utf8')) as Report;
      // Each SLO as the share of its bound used: actual / limit for a maximum, limit / actual for a minimum.
      const used = report.checks.flatMap((check) =>
        check.slos
          .filter((s) => s.limit > 0)
          .map((s) => ({
            name: `${check.dataset} ${s.name}`,
            actual: s.actual,
            limit: s.limit,
            share: s.bound === 'max' ? s.actual / s.limit : s.limit / Math.max(s.actual, 1e-9),
          })),
      );
      const worst = used.reduce((a, b) => (b.share > a.share ? b : a), { name: '-', actual: 0, limit: 0, share: 0 });
      const latency = used.filter((u) => u.name.includes('latency.')).map((u) => `${u.name.split(' ')[0]} ${u.name.split('.')[1]} ${u.actual}/${u.limit} ms`);
      const name = scenario.file.split('/').at(-1) as string;
      rows.push([
        name,
        `exit ${child.status} (${report.verdict})`,
        wallS.toFixed(1),
        latency.join(', ') || '-',
        `${worst.name} ${(worst.share * 100).toFixed(0)}%`,
      ]);
      pairs.push(
        pair(`${name} beside a CPU hog: SLO used most (${worst.name})`, [worst.share * 100, `% of its bound, ${report.verdict}`], [100, '%'], {
          at: 'most',
          bound: MARGIN,
        }),
      );
    }
  } finally {
    hog.kill('SIGKILL');
  }
  printTable(
    `shipped scenarios beside a CPU hog (one core kept busy), margin wanted: at most ${MARGIN * 100}% of each SLO`,
    ['scenario', 'result', 'wall s', 'latency (measured/bound)', 'SLO used most'],
    rows,
  );
  return pairs;
}
