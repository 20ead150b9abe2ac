import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SinkProbe, SinkSetup } from '../connectors/sinks/sink.ts';
import { ident } from '../connectors/sinks/sql/client.ts';
import { sql } from '../connectors/sinks/sql/index.ts';
import { openSql } from '../connectors/sinks/sql/open.ts';
import { sqlSinkSpec, type SqlLocation } from '../connectors/sinks/sql/spec.ts';
import { CsvTransport } from '../connectors/transports/csv/index.ts';
import { createGenerator } from '../generators/index.ts';
import { seedWord } from '../generators/random.ts';
import { followSink } from '../runner/follow-sink.ts';
import { drain, drainRate } from './pipeline.ts';
import { pair, printTable, type Pair } from './table.ts';

export interface ProbeBackend {
  name: string;
  location: SqlLocation;
  env: NodeJS.ProcessEnv;
}

/** How often the probe is read in each drain: never (the reference), as meant (1 s), and ten times that to magnify its cost. */
const variants = [
  { label: 'no probe', everyMs: null },
  { label: 'probe every 1 s', everyMs: 1000 },
  { label: 'probe every 100 ms', everyMs: 100 },
] as const;

/**
 * Rounds of the three drains, each round in another order. A round's ratios are taken against its
 * own drain without a probe, and the median round's reported: on a shared machine one drain can be
 * 30% off the next, far more than a probe costs, and a round keeps the compared drains close in time.
 */
const ROUNDS = 9;

interface Drained {
  rate: number;
  reads: number;
  /** Time the reads took, summed. */
  readMs: number;
}

/**
 * The probe's cost: the reference pipeline draining the same clean e-commerce files into a fresh
 * schema of the same backend, without a probe and with one read every second (and every 100 ms),
 * in one run. On PGlite the probe shares the writer's single session, so a read waits for a
 * batch's commit and holds the next one back: the case where a probe would cost most.
 */
export async function benchProbe(count: number, backends: ProbeBackend[]): Promise<Pair[]> {
  const root = mkdtempSync(join(tmpdir(), 'harness-bench-'));
  const files = new CsvTransport(root, { rotateRecords: 50_000, rotateInterval: 1000 });
  const generator = () =>
    createGenerator('ecommerce', {
      seed: seedWord(1),
      baseTimeMs: Date.UTC(2026, 0, 1),
      rate: 0,
      faults: { duplicate: 0, malformed: 0, future: 0, late: 0 },
      options: {},
    });
  await files.produce({ generator: generator(), count });
  const rows: (string | number)[][] = [];
  const pairs: Pair[] = [];
  for (const backend of backends) {
    const rounds: Map<string, Drained>[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const order = [...variants.slice(round % variants.length), ...variants.slice(0, round % variants.length)];
      const drained = new Map<string, Drained>();
      for (const variant of order) drained.set(variant.label, await drainWithProbe(files, generator, count, backend, variant.everyMs));
      rounds.push(drained);
    }
    for (const variant of variants) {
      const of = (round: Map<string, Drained>) => round.get(variant.label) as Drained;
      const without = (round: Map<string, Drained>) => round.get(variants[0].label) as Drained;
      const ratio = median(rounds.map((round) => of(round).rate / without(round).rate));
      const rate = median(rounds.map((round) => of(round).rate));
      const reads = rounds.reduce((n, round) => n + of(round).reads, 0);
      const readMs = rounds.reduce((n, round) => n + of(round).readMs, 0);
      rows.push([
        `pipeline CSV -> ${backend.name}`,
        variant.label,
        Math.round(rate),
        ratio.toFixed(3),
        reads,
        // On PGlite a read waits for the batch being committed: the session is the writer's.
        reads > 0 ? (readMs / reads).toFixed(2) : '-',
      ]);
      if (variant.everyMs === null) continue;
      // The pair's figures are the median round's two rates, so its ratio is the median ratio.
      const middle = rounds.map((round) => [of(round).rate, without(round).rate] as const).sort(([a, b], [c, d]) => a / b - c / d)[Math.floor(ROUNDS / 2)] ?? [
        0, 0,
      ];
      pairs.push(
        pair(
          `pipeline CSV -> ${backend.name}, ${variant.label}`,
          [middle[0], 'rows/s'],
          [middle[1], 'rows/s without'],
          variant.everyMs === 1000 ? { at: 'least', bound: 0.98 } : null,
        ),
      );
    }
  }
  printTable(
    `the sink progress probe's cost: ${count.toLocaleString('en-US')} clean e-commerce events, ${ROUNDS} rounds (medians; ratio against the round's drain without a probe)`,
    ['harness', 'probe', 'rows/s', 'ratio', 'reads', 'ms a read, waits included'],
    rows,
  );
  return pairs;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** One drain into a fresh schema, followed by the probe every `everyMs` (or not at all); checks the probe's last figure. */
async function drainWithProbe(
  files: CsvTransport,
  generator: () => ReturnType<typeof createGenerator>,
  count: number,
  backend: ProbeBackend,
  everyMs: number | null,
): Promise<Drained> {
  const schema = `harness_bench_probe_${backend.name}`;
  const spec = sqlSinkSpec.parse({ type: 'sql', schema });
  const setup: SinkSetup = { datasets: ['ecommerce'], reset: true, uniqueKeys: true, uniqueDeadLetters: true, log: () => {} };
  // The tables before the first read; the drain makes them again as its writer does.
  await sql.init(backend.location, spec, backend.env, setup);
  const probe = everyMs === null ? null : await sql.openProbe(backend.location, spec, backend.env);
  const stop = new AbortController();
  let reads = 0;
  let readMs = 0;
  const timed: SinkProbe | null = probe && {
    async read(dataset) {
      const started = performance.now();
      try {
        return await probe.read(dataset);
      } finally {
        readMs += performance.now() - started;
      }
    },
    close: () => probe.close(),
  };
  const following = timed && everyMs !== null ? followSink(timed, ['ecommerce'], () => reads++, stop.signal, { everyMs }) : Promise.resolve();
  const result = await drain(files.sources([generator()]), () => openSql(backend.location, backend.env), schema);
  stop.abort();
  await following;
  if (probe) await expectCount(probe, backend.name, count);
  await probe?.close();
  const client = await openSql(backend.location, backend.env);
  await client.exec(`DROP SCHEMA ${ident(schema)} CASCADE`);
  await client.close();
  return { rate: drainRate(count, result), reads, readMs };
}

/** The writer has closed its sessions, which flushes their statistics as they end: within a moment the figure is the count. */
async function expectCount(probe: SinkProbe, backend: string, count: number): Promise<void> {
  const until = Date.now() + 2000;
  let rows = (await probe.read('ecommerce')).rows;
  while (rows !== count && Date.now() < until) {
    await sleep(50);
    rows = (await probe.read('ecommerce')).rows;
  }
  if (rows !== count)
    console.log(`  ${backend}: the probe read ${rows.toLocaleString('en-US')} rows 2 s after the drain, not ${count.toLocaleString('en-US')}`);
}
