import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../core/exit-codes.ts';
import type { DatasetName } from '../../generators/generator.ts';
import { createGenerator } from '../../generators/index.ts';
import { Oracle } from '../../generators/oracle.ts';
import { faultHits, positionKey, type PipelineFaultName } from '../../pipeline/faults.ts';
import type { OutputRow } from '../../pipeline/output.ts';
import { datasetOutputs, datasetStatistics } from '../../pipeline/rules/index.ts';
import { statisticsKey, windowStartOf } from '../../pipeline/statistics.ts';
import { rowKey } from '../../pipeline/rules/rules.ts';
import { latestRunDir, loadManifest, type RunManifest } from '../../runs/manifest.ts';
import { generatorConfig } from '../../scenarios/datasets.ts';
import type { Report } from '../../verifier/report.ts';
import { runCli } from './cli.ts';
import { dropSchema, uniqueSchema } from './postgres.ts';
import { smallScenario, tempDir, writeScenario } from './scenario.ts';

/**
 * The verifier proven against a pipeline that misbehaves on purpose: each injected fault must make
 * `verify` exit 1, fail exactly the check that owns it, and count exactly the records the fault
 * hit, computed here from the same pure fault function. The clean run must pass: no false alarm.
 * A fault that changes the rows (lost, doubled, corrupted) also changes the statistics the sink
 * keeps of them, so `aggregates` fails beside the check that owns it, rightly: those are named.
 */
const datasets: DatasetName[] = ['ecommerce', 'lol'];
const noGeneratorDuplicates = '{ malformed: 0.04, future: 0.01, late: 0.02 }';

interface Truth {
  oracle: Oracle;
  /** Every row that must land, and its key. */
  rows: OutputRow[];
  rowKeys: string[];
  /** Position keys (file#line) of every emission, with its outcome. */
  positions: { key: string; outcome: string }[];
}

function truthOf(manifest: RunManifest, dataset: DatasetName): Truth {
  const spec = manifest.scenario.datasets[dataset]!;
  const generator = createGenerator(dataset, generatorConfig(manifest.seed, manifest.baseTimeMs, spec));
  const output = datasetOutputs[dataset];
  const oracle = new Oracle(generator, spec.count, spec.expect, output.rowsPerRecord);
  const rows: OutputRow[] = [];
  const positions: { key: string; outcome: string }[] = [];
  const files = manifest.datasets[dataset]!.files;
  for (let index = 0; index < spec.count; index++) {
    const outcome = oracle.outcome(index);
    if (outcome.type === 'land') rows.push(...output.expectedRows(generator, index, outcome.plan));
    const file = files.find((f) => index >= f.firstIndex && index < f.firstIndex + f.count)!;
    positions.push({ key: positionKey(file.name, index - file.firstIndex + file.headerLines + 1), outcome: outcome.type });
  }
  return { oracle, rows, rowKeys: rows.map((row) => rowKey(output, row)), positions };
}

const hits = (fault: PipelineFaultName, share: number, keys: string[]) => keys.filter((key) => faultHits(fault, share, key)).length;

/**
 * The statistics groups (each statistic's group in its window, and its total) the given rows fall
 * in, worked out from the declaration alone: a match counted twice makes every one of them wrong.
 */
function statisticsGroups(dataset: DatasetName, rows: OutputRow[]): number {
  const keys = datasetStatistics[dataset].flatMap((statistic) =>
    rows.flatMap((row) =>
      [windowStartOf(row[statistic.eventTime] as number, statistic.windowMs), null].map((windowStartMs) =>
        statisticsKey({ statistic: statistic.name, group: String(row[statistic.groupBy]), windowStartMs }),
      ),
    ),
  );
  return new Set(keys).size;
}

interface MatrixCase {
  name: string;
  faults: string;
  generatorFaults?: string;
  /** The one check that must fail in every dataset (or in `datasets`). */
  check: string;
  datasets?: DatasetName[];
  /** The figures that check must report, per dataset, from the truth. */
  figures: (truth: Truth, dataset: DatasetName) => Record<string, number | undefined>;
  /** Other checks (`dataset/check`) that fail too, because the fault also changes what they judge. */
  also?: string[];
}

const letters = (t: Truth) => t.positions.filter((p) => p.outcome === 'dlq').map((p) => p.key);
const valid = (t: Truth) => t.positions.filter((p) => p.outcome === 'land' || p.outcome === 'absorbed').map((p) => p.key);

export const matrix: MatrixCase[] = [
  {
    name: 'drop',
    faults: '{ drop: 0.05 }',
    check: 'exactly-once',
    figures: (t) => ({ missing: hits('drop', 0.05, t.rowKeys), duplicateRows: 0, unexpected: 0 }),
    also: ['lol/aggregates'],
  },
  {
    name: 'duplicateWrite',
    faults: '{ duplicateWrite: 0.05 }',
    generatorFaults: noGeneratorDuplicates,
    check: 'exactly-once',
    figures: (t) => ({ missing: 0, duplicateRows: hits('duplicateWrite', 0.05, t.rowKeys) }),
    also: ['lol/aggregates'],
  },
  {
    name: 'skipDlq',
    faults: '{ skipDlq: 0.2 }',
    check: 'dlq-capture',
    figures: (t) => ({ missed: hits('skipDlq', 0.2, letters(t)), wrongReason: 0, validDeadLettered: 0 }),
  },
  {
    name: 'corruptValue',
    faults: '{ corruptValue: { price: 0.05, kda: 0.05, win: 0.05 } }',
    check: 'values',
    figures: (t, dataset) =>
      dataset === 'ecommerce'
        ? { rowsWithMismatch: hits('corruptValue.price', 0.05, t.rowKeys), 'mismatch.price': hits('corruptValue.price', 0.05, t.rowKeys) }
        : { 'mismatch.kda': hits('corruptValue.kda', 0.05, t.rowKeys), 'mismatch.win': hits('corruptValue.win', 0.05, t.rowKeys) },
    also: ['lol/aggregates'],
  },
  {
    name: 'wrongReason',
    faults: '{ wrongReason: 0.2 }',
    check: 'dlq-capture',
    figures: (t) => ({ wrongReason: hits('wrongReason', 0.2, letters(t)), missed: 0 }),
  },
  {
    name: 'deadLetterValid',
    faults: '{ deadLetterValid: 0.02 }',
    check: 'dlq-capture',
    figures: (t) => ({ validDeadLettered: hits('deadLetterValid', 0.02, valid(t)), missed: 0 }),
  },
  {
    name: 'duplicateDeadLetter',
    faults: '{ duplicateDeadLetter: 0.2 }',
    check: 'dlq-capture',
    figures: (t) => ({ duplicates: hits('duplicateDeadLetter', 0.2, letters(t)), missed: 0 }),
  },
  { name: 'skewTimes', faults: '{ skewTimes: 0.05 }', check: 'latency', figures: (t) => ({ ingestedBeforeProduced: hits('skewTimes', 0.05, t.rowKeys) }) },
  {
    name: 'doubleCount',
    faults: '{ doubleCount: 0.05 }',
    check: 'aggregates',
    datasets: ['lol'],
    figures: (t, dataset) => ({
      groupsWrong: statisticsGroups(
        dataset,
        t.rows.filter((row) => faultHits('doubleCount', 0.05, String(row[datasetOutputs[dataset].recordKey]))),
      ),
      groupsExpected: statisticsGroups(dataset, t.rows),
      missing: 0,
      extra: 0,
    }),
  },
];

async function faultyRun(
  env: NodeJS.ProcessEnv,
  faults: string,
  generatorFaults?: string,
): Promise<{ code: number; report: Report; manifest: RunManifest; schema: string }> {
  const cwd = tempDir();
  const schema = uniqueSchema();
  const path = writeScenario(
    cwd,
    smallScenario({
      ecommerce: 1500,
      lol: 150,
      schema,
      pipeline: `pipeline: { type: reference, batchSize: 250, pollInterval: 10ms, faults: ${faults} }`,
      ...(generatorFaults ? { faults: generatorFaults } : {}),
    }),
  );
  const run = await runCli(['run', path, '--quiet'], { cwd, env });
  const json = await runCli(['verify', '--json'], { cwd, env });
  expect(json.code).toBe(run.code);
  return { code: run.code, report: JSON.parse(json.stdout) as Report, manifest: loadManifest(latestRunDir(join(cwd, '.harness'))), schema };
}

function failing(report: Report): string[] {
  return report.checks.filter((c) => c.status === 'fail').map((c) => `${c.dataset}/${c.name}`);
}

/** The matrix on one backend: the PGlite default (env without PG_URL) or the PostgreSQL server. */
export function faultMatrix(backend: string, env: NodeJS.ProcessEnv): void {
  describe(`the verifier catches a faulty pipeline on ${backend}`, () => {
    it.each(matrix.map((c) => [c.name, c] as const))('%s', async (_name, testCase) => {
      const { code, report, manifest, schema } = await faultyRun(env, testCase.faults, testCase.generatorFaults);
      try {
        expect(code).toBe(ExitCode.sloMissed);
        const faulty = testCase.datasets ?? datasets;
        expect(failing(report).sort()).toEqual([...faulty.map((d) => `${d}/${testCase.check}`), ...(testCase.also ?? [])].sort());
        for (const dataset of faulty) {
          const expected = testCase.figures(truthOf(manifest, dataset), dataset);
          expect(Object.values(expected).some((n) => (n ?? 0) > 0)).toBe(true);
          expect({ dataset, ...report.checks.find((c) => c.dataset === dataset && c.name === testCase.check)!.figures }).toMatchObject({
            dataset,
            ...expected,
          });
        }
      } finally {
        if (env.PG_URL) await dropSchema(schema);
      }
    });

    it('and passes the same scenario without faults', async () => {
      const { code, report, schema } = await faultyRun(env, '{}');
      if (env.PG_URL) await dropSchema(schema);
      expect(failing(report)).toEqual([]);
      expect(code).toBe(ExitCode.ok);
    });
  });
}
