import { resolve } from 'node:path';
import type { Command } from 'commander';
import { datasetDir, produceToFiles } from '../../connectors/files/file-producer.ts';
import { joinLines } from '../../connectors/files/rotated-writer.ts';
import { HarnessError } from '../../core/errors.ts';
import { createGenerator, datasetNames, type DatasetName } from '../../generators/index.ts';
import { explain } from '../../generators/oracle.ts';
import { seedWord } from '../../generators/random.ts';
import { resolveBaseTime, scenarioDatasets } from '../../runner/run-scenario.ts';
import { generatorConfig } from '../../scenarios/datasets.ts';
import { loadScenario } from '../../scenarios/load.ts';
import type { CommandContext } from '../main.ts';

interface GenerateOptions {
  dataset?: string;
  count?: string;
  out?: string;
  explain?: string;
  baseTime?: string;
  rate?: boolean;
}

function parseCount(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new HarnessError('usage', `${what} must be a whole number, got "${text}"`);
  return n;
}

export function registerGenerate(program: Command, context: CommandContext): void {
  program
    .command('generate')
    .description('generate a scenario\'s data only: to rotated files (--out) or one dataset to stdout')
    .argument('<scenario>', 'scenario file')
    .option('--dataset <name>', `only this dataset (${datasetNames.join(', ')})`)
    .option('--count <n>', 'records per dataset instead of the scenario\'s count')
    .option('--out <dir>', 'write rotated files under this directory instead of stdout')
    .option('--explain <index>', 'print what the oracle says about one record, and the record')
    .option('--base-time <iso>', 'event time of record 0 (default: the scenario\'s, else now)')
    .option('--rate', 'keep the scenario\'s rate (default: as fast as possible)')
    .action(async (scenarioPath: string, options: GenerateOptions) => {
      const { io } = context;
      const { scenario } = loadScenario(scenarioPath, io.env);
      let datasets = scenarioDatasets(scenario);
      if (options.dataset) {
        datasets = datasets.filter(([name]) => name === options.dataset);
        if (datasets.length === 0) throw new HarnessError('usage', `the scenario has no dataset "${options.dataset}"`);
      }
      const seed = seedWord(scenario.seed);
      const baseTimeMs = resolveBaseTime(scenario, options.baseTime);
      const build = (name: DatasetName) => createGenerator(name, generatorConfig(seed, baseTimeMs, datasets.find(([n]) => n === name)![1]));

      if (options.explain !== undefined) {
        const index = parseCount(options.explain, '--explain');
        for (const [name] of datasets) {
          const generator = build(name);
          const payload = generator.payload(index);
          io.stdout(`${JSON.stringify({ dataset: name, ...explain(generator, index) })}\n`);
          io.stdout(joinLines(null, [payload]));
        }
        return;
      }
      if (options.out) {
        for (const [name, spec] of datasets) {
          const result = await produceToFiles({
            generator: build(name),
            dir: datasetDir(resolve(io.cwd, options.out), name),
            count: options.count ? parseCount(options.count, '--count') : spec.count,
            rotateRecords: scenario.transport.rotateRecords,
            rotateIntervalMs: scenario.transport.rotateInterval,
            rate: options.rate ? spec.rate : 0,
          });
          io.stderr(`[${name}] ${result.records} records in ${result.files.length} files under ${options.out}\n`);
        }
        return;
      }
      if (datasets.length !== 1) throw new HarnessError('usage', 'stdout takes one dataset: add --dataset, or write files with --out');
      const [name, spec] = datasets[0]!;
      const generator = build(name);
      const count = options.count ? parseCount(options.count, '--count') : spec.count;
      const chunk = 10_000;
      for (let first = 0; first < count; first += chunk) {
        const payloads = Array.from({ length: Math.min(chunk, count - first) }, (_, i) => generator.payload(first + i));
        io.stdout(joinLines(first === 0 ? generator.header : null, payloads));
      }
    });
}
