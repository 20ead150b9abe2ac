import type { Command } from 'commander';
import { HarnessError } from '../../core/errors.ts';
import type { CommandContext } from '../context.ts';

export function registerValidate(program: Command, context: CommandContext): void {
  program
    .command('validate')
    .description('check a scenario file against the schema (exit 2 with file:line:col for each problem)')
    .argument('[scenario]', 'scenario file')
    .option('--print-schema', 'print the JSON Schema of scenario files, for editors')
    .action(async (scenarioPath: string | undefined, options: { printSchema?: boolean }) => {
      const { io } = context;
      if (options.printSchema) {
        const { scenarioJsonSchema } = await import('../../scenarios/schema.ts');
        io.stdout(`${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
        return;
      }
      if (!scenarioPath) throw new HarnessError('usage', 'validate needs a scenario file (or --print-schema)');
      const { loadScenario } = await import('../../scenarios/load.ts');
      const { scenario } = loadScenario(scenarioPath, io.env);
      const datasets = Object.entries(scenario.datasets).map(([name, spec]) => `${name} x${spec.count}`);
      io.stdout(`${scenarioPath}: valid (${scenario.name}: ${datasets.join(', ')}; pipeline ${scenario.pipeline.type})\n`);
    });
}
