import { createGenerator, type DatasetName, type Generator } from '../../generators/index.ts';
import { Oracle } from '../../generators/oracle.ts';
import { seedWord } from '../../generators/random.ts';
import type { OutputRow } from '../../pipeline/output.ts';
import { datasetOutputs, datasetStatistics } from '../../pipeline/rules/index.ts';
import { statisticsOf } from '../../pipeline/statistics.ts';
import { MANIFEST_VERSION, type RunManifest } from '../../runs/manifest.ts';
import { generatorConfig } from '../../scenarios/datasets.ts';
import { scenarioSchema, type Scenario } from '../../scenarios/schema.ts';
import type { DeadLetterRow, DeadLetterStream, SinkReader, SinkRow, StatisticsRow } from '../../connectors/readers.ts';

export const RUN_START = Date.UTC(2026, 0, 1, 12);
export const VERIFY_AT = RUN_START + 60_000;
export const FILE = 'data-000001.csv';

/**
 * What a perfect pipeline would leave in a sink for a scenario, built from the oracle: the rows
 * every landing record yields, a dead letter for every record that must be dead-lettered, and the
 * dataset's declared statistics over those rows. Tests then break it in one known way and expect
 * exactly that defect.
 */
export interface SyntheticSink {
  manifest: RunManifest;
  generator: Generator;
  oracle: Oracle;
  rows: Record<DatasetName, SinkRow[]>;
  letters: Record<DatasetName, DeadLetterRow[]>;
  statistics: Record<DatasetName, StatisticsRow[]>;
}

export function syntheticSink(scenarioInput: Record<string, unknown>): SyntheticSink {
  const scenario: Scenario = scenarioSchema.parse({ name: 'synthetic', seed: 5, ...scenarioInput });
  const seed = seedWord(scenario.seed);
  const baseTimeMs = scenario.baseTime ? Date.parse(scenario.baseTime) : RUN_START;
  const manifest: RunManifest = {
    manifestVersion: MANIFEST_VERSION,
    status: 'finished',
    process: { pid: 0, host: 'synthetic' },
    updatedAt: new Date(RUN_START + 20_000).toISOString(),
    runId: 'synthetic',
    createdAt: new Date(RUN_START).toISOString(),
    scenarioPath: 'synthetic.yaml',
    scenario,
    seed,
    baseTimeMs,
    transport: { type: 'csv', dir: '/nowhere' },
    sink: { kind: 'pglite', dataDir: '/nowhere' },
    datasets: {},
    pipeline: null,
  };
  const rows = { ecommerce: [], lol: [] } as Record<DatasetName, SinkRow[]>;
  const letters = { ecommerce: [], lol: [] } as Record<DatasetName, DeadLetterRow[]>;
  const statistics = { ecommerce: [], lol: [] } as Record<DatasetName, StatisticsRow[]>;
  let last: { generator: Generator; oracle: Oracle } | null = null;
  for (const name of Object.keys(scenario.datasets) as DatasetName[]) {
    const spec = scenario.datasets[name];
    if (!spec) continue;
    const generator = createGenerator(name, generatorConfig(seed, baseTimeMs, spec));
    const output = datasetOutputs[name];
    const oracle = new Oracle(generator, spec.count, spec.expect, output.rowsPerRecord);
    manifest.datasets[name] = {
      count: spec.count,
      records: spec.count,
      complete: true,
      rate: spec.rate,
      startedAtMs: RUN_START,
      finishedAtMs: RUN_START + 10_000,
      files: [{ name: FILE, firstIndex: 0, count: spec.count, headerLines: 1, committedAtMs: RUN_START }],
    };
    for (let index = 0; index < spec.count; index++) {
      const outcome = oracle.outcome(index);
      if (outcome.type === 'land') {
        for (const values of output.expectedRows(generator, index, outcome.plan)) {
          rows[name].push({ values, producedAtMs: RUN_START + 1000 + index, ingestedAtMs: RUN_START + 1050 + index });
        }
      } else if (outcome.type === 'dlq') {
        const payload = generator.payload(index);
        letters[name].push({
          source: FILE,
          position: index + 2,
          recordIndex: null,
          reason: outcome.reason,
          raw: typeof payload === 'string' ? Buffer.from(payload) : payload,
          ingestedAtMs: RUN_START + 1050 + index,
        });
      }
    }
    const values: OutputRow[] = rows[name].map((row) => row.values);
    statistics[name] = datasetStatistics[name].flatMap((statistic) => statisticsOf(statistic, values));
    last = { generator, oracle };
  }
  if (!last) throw new Error('a synthetic sink needs a dataset');
  return { manifest, ...last, rows, letters, statistics };
}

/**
 * A reader over rows held in memory: the verifier's seam, fed synthetic evidence. With statistics
 * it reads them (`false`: the scenario says the pipeline keeps none); without, it is a reader that
 * cannot read statistics at all.
 */
export function memoryReader(sink: Pick<SyntheticSink, 'rows' | 'letters'> & { statistics?: SyntheticSink['statistics'] | false }): SinkReader {
  const { statistics } = sink;
  const statisticsReader: Pick<SinkReader, 'statisticsWhere' | 'scanStatistics'> =
    statistics === undefined
      ? {}
      : {
          statisticsWhere: () => (statistics === false ? null : 'memory statistics'),
          async scanStatistics(dataset, onPage) {
            const all = statistics === false ? [] : statistics[dataset];
            for (let i = 0; i < all.length; i += 7) onPage(all.slice(i, i + 7));
          },
        };
  return {
    ...statisticsReader,
    description: 'memory',
    async checkLayout() {},
    async count(dataset) {
      return sink.rows[dataset].length;
    },
    async scanRows(dataset, onPage) {
      // Pages of three exercise the paging path of every check.
      const rows = sink.rows[dataset];
      for (let i = 0; i < rows.length; i += 3) onPage(rows.slice(i, i + 3));
    },
    async scanDeadLetters(dataset, onPage) {
      onPage(sink.letters[dataset]);
    },
    async close() {},
  };
}

export const DLQ_TOPIC = 'synthetic.dlq';

/**
 * A sink's dead letters as a dead-letter topic holds them: each names its record by the index of
 * the `harness` header it kept, and where the record was read.
 */
export function topicLetters(letters: DeadLetterRow[]): DeadLetterRow[] {
  return letters.map((letter) => ({ ...letter, source: 'synthetic:0', recordIndex: letter.position - 2, ingestedAtMs: null }));
}

/** A dead-letter stream over letters held in memory, for the datasets it has letters of. */
export function memoryStream(letters: Partial<Record<DatasetName, DeadLetterRow[]>>): DeadLetterStream {
  return {
    description: `memory ${DLQ_TOPIC}`,
    where: (dataset) => (letters[dataset] ? `topic ${DLQ_TOPIC}` : null),
    async scan(dataset, onPage) {
      const all = letters[dataset] ?? [];
      for (let i = 0; i < all.length; i += 5) onPage(all.slice(i, i + 5));
    },
    async close() {},
  };
}
