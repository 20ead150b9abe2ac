import { resolve } from 'node:path';
import type { Command } from 'commander';
import { HarnessError } from '../../core/errors.ts';
import { datasetNames } from '../../generators/dataset-names.ts';
import { parseWorkers, type CommandContext } from '../context.ts';

interface GenerateOptions {
  dataset?: string;
  count?: string;
  out?: string;
  explain?: string;
  baseTime?: string;
  rate?: boolean;
  faults?: string;
  workers: string;
  shard?: string;
}

function parseCount(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new HarnessError('usage', `${what} must be a whole number, got "${text}"`);
  return n;
}

export function registerGenerate(program: Command, context: CommandContext): void {
  program
    .command('generate')
    .description("generate a scenario's data only: to rotated files (--out) or one dataset to stdout")
    .argument('<scenario>', 'scenario file')
    .option('--dataset <name>', `only this dataset (${datasetNames.join(', ')})`)
    .option('--count <n>', "records per dataset instead of the scenario's count")
    .option('--out <dir>', 'write rotated files under this directory instead of stdout')
    .option('--explain <index>', 'print what the oracle says about one record, and the record')
    .option('--base-time <iso>', "event time of record 0 (default: the scenario's, else now)")
    .option('--rate', "keep the scenario's pace (default: as fast as possible; the bytes are the same)")
    .option('--faults <spec>', 'replace the fault rates: "none", or e.g. duplicate=0.01,malformed=0.02,click_event=0.01')
    .option('--workers <n>', 'worker threads per dataset (with --out)', '1')
    .option('--shard <k/n>', 'generate only shard k of n (files whose number mod n is k-1)')
    .action(async (scenarioPath: string, options: GenerateOptions) => {
      const { io } = context;
      const [
        { chunkRange, parseShard, shardChunks, wholeDataset },
        { CsvTransport, filePlan, fileRotation },
        { joinLines },
        { createGenerator },
        { explain, Oracle },
        { datasetOutputs },
        { seedWord },
        { resolveBaseTime, withFaultOverrides },
        { scenarioDatasets },
        { generatorConfig },
        { loadScenario },
      ] = await Promise.all([
        import('../../connectors/transports/chunks.ts'),
        // Files whatever the scenario's transport: `generate` writes data only, never to a broker.
        import('../../connectors/transports/csv/index.ts'),
        import('../../generators/line-buffer.ts'),
        import('../../generators/index.ts'),
        import('../../generators/oracle.ts'),
        import('../../pipeline/rules/index.ts'),
        import('../../generators/random.ts'),
        import('../../runner/run-scenario.ts'),
        import('../../runner/scenario-datasets.ts'),
        import('../../scenarios/datasets.ts'),
        import('../../scenarios/load.ts'),
      ]);
      const scenario = withFaultOverrides(loadScenario(scenarioPath, io.env).scenario, options.faults);
      let datasets = scenarioDatasets(scenario);
      if (options.dataset) {
        datasets = datasets.filter(([name]) => name === options.dataset);
        if (datasets.length === 0) throw new HarnessError('usage', `the scenario has no dataset "${options.dataset}"`);
      }
      const seed = seedWord(scenario.seed);
      const baseTimeMs = resolveBaseTime(scenario, options.baseTime);
      const shard = options.shard ? parseShard(options.shard) : wholeDataset;
      const workers = parseWorkers(options.workers);

      if (options.explain !== undefined) {
        const index = parseCount(options.explain, '--explain');
        for (const [name, spec] of datasets) {
          const generator = createGenerator(name, generatorConfig(seed, baseTimeMs, spec));
          io.stdout(
            `${JSON.stringify({ dataset: name, ...explain(new Oracle(generator, spec.count, spec.expect, datasetOutputs[name].rowsPerRecord), index) })}\n`,
          );
          io.stdout(joinLines(null, [generator.payload(index)]));
        }
        return;
      }
      if (options.out) {
        const files = new CsvTransport(resolve(io.cwd, options.out), fileRotation(scenario.transport));
        for (const [name, spec] of datasets) {
          const result = await files.produce({
            generator: createGenerator(name, generatorConfig(seed, baseTimeMs, spec)),
            count: options.count ? parseCount(options.count, '--count') : spec.count,
            workers,
            shard,
            paced: Boolean(options.rate),
          });
          const seconds = (result.finishedAtMs - result.startedAtMs) / 1000;
          io.stderr(
            `[${name}] ${result.records} records in ${result.files.length} files under ${options.out}, ${seconds.toFixed(2)} s, ${Math.round(result.records / seconds)} rec/s\n`,
          );
        }
        return;
      }
      if (datasets.length !== 1) throw new HarnessError('usage', 'stdout takes one dataset: add --dataset, or write files with --out');
      const [name, spec] = datasets[0]!;
      const generator = createGenerator(name, generatorConfig(seed, baseTimeMs, spec));
      const count = options.count ? parseCount(options.count, '--count') : spec.count;
      const plan = filePlan(generator, count, fileRotation(scenario.transport));
      let header = generator.header;
      for (const f of shardChunks(plan, shard)) {
        const [first, end] = chunkRange(plan, f);
        const payloads = Array.from({ length: end - first }, (_, i) => generator.payload(first + i));
        io.stdout(joinLines(header, payloads));
        header = null;
      }
    });
}
