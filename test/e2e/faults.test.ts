import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../core/exit-codes.ts';
import { latestRunDir, loadManifest, type RunManifest } from '../../runs/manifest.ts';
import { createGenerator } from '../../generators/index.ts';
import { groundTruth } from '../../generators/oracle.ts';
import { faultHits, positionKey } from '../../pipeline/faults.ts';
import type { Report } from '../../verifier/report.ts';
import { generatorConfig } from '../../scenarios/datasets.ts';
import { runCli } from '../helpers/cli.ts';
import { smallScenario, tempDir, writeScenario } from '../helpers/scenario.ts';

/**
 * The verifier proven against a pipeline that misbehaves on purpose: each injected fault must make
 * `verify` exit 1, name the check it breaks, and count exactly the records the fault hit.
 */
async function faultyRun(pipelineFaults: string, generatorFaults?: string): Promise<{ code: number; report: Report; manifest: RunManifest }> {
  const cwd = tempDir();
  const path = writeScenario(
    cwd,
    smallScenario({
      ecommerce: 2000,
      lol: 200,
      pipeline: `pipeline: { type: reference, batchSize: 250, pollInterval: 10ms, faults: ${pipelineFaults} }`,
      ...(generatorFaults ? { faults: generatorFaults } : {}),
    }),
  );
  const run = await runCli(['run', path, '--quiet'], { cwd });
  const json = await runCli(['verify', '--json'], { cwd });
  expect(json.code).toBe(run.code);
  return { code: run.code, report: JSON.parse(json.stdout) as Report, manifest: loadManifest(latestRunDir(join(cwd, '.harness'))) };
}

function truthOf(manifest: RunManifest, dataset: 'ecommerce' | 'lol') {
  const spec = manifest.scenario.datasets[dataset]!;
  return groundTruth(createGenerator(dataset, generatorConfig(manifest.seed, manifest.baseTimeMs, spec)), spec.count);
}

function failing(report: Report): string[] {
  return report.checks.filter((c) => c.status === 'fail').map((c) => `${c.dataset}/${c.name}`);
}

function figures(report: Report, dataset: string, check: string) {
  return report.checks.find((c) => c.dataset === dataset && c.name === check)!.figures;
}

describe('the verifier catches a faulty pipeline', () => {
  it('that drops valid records: exactly-once fails with the dropped count', async () => {
    const { code, report, manifest } = await faultyRun('{ drop: 0.05 }');
    expect(code).toBe(ExitCode.sloMissed);
    expect(failing(report)).toEqual(['ecommerce/exactly-once', 'lol/exactly-once']);
    for (const dataset of ['ecommerce', 'lol'] as const) {
      const dropped = [...truthOf(manifest, dataset).expectedKeys.keys()].filter((key) => faultHits('drop', 0.05, key));
      expect(dropped.length).toBeGreaterThan(0);
      expect(figures(report, dataset, 'exactly-once')).toMatchObject({ missing: dropped.length, duplicateRows: 0, unexpected: 0 });
    }
  });

  it('that writes records twice past the dedup: exactly-once fails with the doubled count', async () => {
    const { code, report, manifest } = await faultyRun('{ duplicateWrite: 0.05 }', '{ malformed: 0.04, future: 0.01, late: 0.02 }');
    expect(code).toBe(ExitCode.sloMissed);
    expect(failing(report)).toEqual(['ecommerce/exactly-once', 'lol/exactly-once']);
    for (const dataset of ['ecommerce', 'lol'] as const) {
      const doubled = [...truthOf(manifest, dataset).expectedKeys.keys()].filter((key) => faultHits('duplicateWrite', 0.05, key));
      expect(figures(report, dataset, 'exactly-once')).toMatchObject({ missing: 0, duplicateKeys: doubled.length, duplicateRows: doubled.length });
    }
  });

  it('that skips the dead-letter queue: dlq-capture fails with the skipped count', async () => {
    const { code, report, manifest } = await faultyRun('{ skipDlq: 0.2 }');
    expect(code).toBe(ExitCode.sloMissed);
    expect(failing(report)).toEqual(['ecommerce/dlq-capture', 'lol/dlq-capture']);
    for (const dataset of ['ecommerce', 'lol'] as const) {
      const files = manifest.datasets[dataset]!.files;
      const skipped = [...truthOf(manifest, dataset).expectedDlq.keys()].filter((index) => {
        const file = files.find((f) => index >= f.firstIndex && index < f.firstIndex + f.count)!;
        return faultHits('skipDlq', 0.2, positionKey(file.name, index - file.firstIndex + file.headerLines + 1));
      });
      expect(skipped.length).toBeGreaterThan(0);
      expect(figures(report, dataset, 'dlq-capture')).toMatchObject({ missed: skipped.length, wrongReason: 0, validDeadLettered: 0 });
    }
  });

  it('and passes the same scenario without faults', async () => {
    const { code, report } = await faultyRun('{ drop: 0, duplicateWrite: 0, skipDlq: 0 }');
    expect(failing(report)).toEqual([]);
    expect(code).toBe(ExitCode.ok);
  });
});
