import { setTimeout as sleep } from 'node:timers/promises';
import type { SqlClient } from '../connectors/sql/client.ts';
import { qualified } from '../connectors/sql/tables.ts';
import type { DatasetManifest, RunManifest } from '../runs/manifest.ts';
import { createGenerator, type DatasetName } from '../generators/index.ts';
import { groundTruth } from '../generators/oracle.ts';
import type { Report } from './report.ts';
import { REPORT_SCHEMA_VERSION } from './report.ts';
import { generatorConfig } from '../scenarios/datasets.ts';
import type { CheckResult, DatasetEvidence, DeadLetterRow } from './check.ts';
import { checks } from './checks/index.ts';
import { readDeadLetters, readSinkRows } from './sink-reader.ts';

/** Maps a dead letter's (file, line) back to the generator index, using the files the run wrote. */
function fileIndexer(generation: DatasetManifest): (letter: DeadLetterRow) => number | null {
  const byName = new Map(generation.files.map((f) => [f.name, f]));
  return (letter) => {
    if (letter.recordIndex !== null) return letter.recordIndex;
    const file = byName.get(letter.source);
    if (!file) return null;
    const offset = letter.position - file.headerLines - 1;
    return offset >= 0 && offset < file.count ? file.firstIndex + offset : null;
  };
}

export interface VerifyOptions {
  /** For an external pipeline: wait up to this long for each table to hold the expected rows. */
  waitForMs?: number;
  log?: (line: string) => void;
}

/** Polls a table's row count until it reaches `expected` or the time is up; reading starts either way. */
async function waitForRows(client: SqlClient, table: string, expected: number, timeoutMs: number, log: (line: string) => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await client.query<{ n: number }>(`SELECT count(*)::float8 AS n FROM ${table}`);
    const count = rows[0]?.n ?? 0;
    if (count >= expected) return;
    if (Date.now() >= deadline) {
      log(`${table}: ${count} of ${expected} rows after waiting ${Math.round(timeoutMs / 1000)} s; verifying what is there`);
      return;
    }
    await sleep(Math.min(1000, deadline - Date.now()));
  }
}

/** Regenerates each dataset's ground truth, reads the sinks, and runs every check on both. */
export async function verifyRun(manifest: RunManifest, client: SqlClient, options: VerifyOptions = {}): Promise<Report> {
  const results: CheckResult[] = [];
  for (const name of Object.keys(manifest.scenario.datasets) as DatasetName[]) {
    const spec = manifest.scenario.datasets[name];
    const generation = manifest.datasets[name];
    if (!spec || !generation) continue;
    const generator = createGenerator(name, generatorConfig(manifest.seed, manifest.baseTimeMs, spec));
    const truth = groundTruth(generator, generation.count);
    if (options.waitForMs) {
      const table = qualified(manifest.scenario.sink.schema, manifest.scenario.sink.tables[name]);
      await waitForRows(client, table, truth.counts.expectedRows, options.waitForMs, options.log ?? (() => {}));
    }
    const evidence: DatasetEvidence = {
      dataset: name,
      truth,
      rows: await readSinkRows(client, manifest.scenario.sink, name),
      deadLetters: await readDeadLetters(client, manifest.scenario.sink, name),
      indexOf: fileIndexer(generation),
      intendedAtMs: (index) => (generation.rate > 0 ? generation.startedAtMs + generator.schedule.offsetMs(index) : null),
      generation,
      slos: manifest.scenario.slos,
    };
    for (const check of Object.values(checks)) results.push(check.run(evidence));
  }
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    runId: manifest.runId,
    scenario: manifest.scenario.name,
    generatedAt: new Date().toISOString(),
    sink: client.description,
    verdict: results.every((r) => r.status === 'pass') ? 'pass' : 'fail',
    checks: results,
  };
}
