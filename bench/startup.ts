import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { pair, printTable, type Pair } from './table.ts';

/** Commands a user starts often, each timed from spawn to exit; what they load beyond Node itself is the cost. */
interface Timed {
  name: string;
  args: string[];
}

/** Every command pays its start-up before doing anything; these load only what they use (cli/context.ts). */
const BOUND_MS = 150;

function timeOnce(args: string[]): number {
  const started = process.hrtime.bigint();
  const child = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (child.status !== 0) throw new Error(`node ${args.join(' ')} exited ${child.status ?? child.signal}: ${child.stderr}`);
  return ms;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * `node dist/cli/bin.js --help` and `validate scenarios/smoke.yaml` beside a bare `node -e 0`, the
 * floor no Node program starts under. The commands take turns run after run, so a busy moment of
 * the machine falls on all of them alike; medians, after one warm-up round (file cache).
 */
export function benchStartup(runs: number): Pair[] {
  const bin = resolve(import.meta.dirname, '../cli/bin.js');
  const smoke = resolve(import.meta.dirname, '../../scenarios/smoke.yaml');
  const bare: Timed = { name: 'node -e 0', args: ['-e', '0'] };
  const commands: Timed[] = [
    { name: 'harness --help', args: [bin, '--help'] },
    { name: 'harness validate scenarios/smoke.yaml', args: [bin, 'validate', smoke] },
  ];
  const all = [bare, ...commands];
  for (const c of all) timeOnce(c.args);
  const samples = new Map<Timed, number[]>(all.map((c) => [c, []]));
  for (let run = 0; run < runs; run++) for (const c of all) samples.get(c)?.push(timeOnce(c.args));
  const floor = median(samples.get(bare) ?? []);
  const rows = all.map((c) => {
    const times = samples.get(c) ?? [];
    const m = median(times);
    return [
      c.name,
      m.toFixed(0),
      Math.min(...times).toFixed(0),
      Math.max(...times).toFixed(0),
      c === bare ? '-' : (m - floor).toFixed(0),
      (m / floor).toFixed(2),
    ];
  });
  printTable(`startup: ${runs} runs each, taking turns (ms, spawn to exit)`, ['command', 'median', 'min', 'max', 'over node', 'x node'], rows);
  return commands.map((c) =>
    pair(
      `start-up of ${c.name}, over bare node`,
      [median(samples.get(c) ?? []) - floor, `ms more than node -e 0 (${floor.toFixed(0)} ms)`],
      [BOUND_MS, 'ms bound'],
      { at: 'most', bound: 1 },
    ),
  );
}
