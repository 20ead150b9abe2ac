import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { HarnessError } from '../../core/errors.ts';
import type { CommandContext } from '../context.ts';

/**
 * `harness sink init` and `harness sink ddl`: the tables an external pipeline writes to, created in
 * the server the environment names, or printed as DDL. See docs/external-pipeline.md.
 */
export function registerSink(program: Command, context: CommandContext): void {
  const sink = program.command('sink').description('the sink tables an external pipeline writes to (docs/external-pipeline.md)');

  sink
    .command('init')
    .description("create the scenario's sink tables (rows per dataset, dead letters, checkpoints) in the server named by PG_URL; keeps existing ones")
    .argument('<scenario>', 'scenario file')
    .option('--reset', 'drop and recreate the tables, so they are empty (sink.reset in the scenario is ignored here)')
    .action(async (scenarioPath: string, options: { reset?: boolean }) => {
      const { io } = context;
      const [{ sinkFor }, { sinkSetup }, { loadScenario }] = await Promise.all([
        import('../../connectors/sinks/index.ts'),
        import('../../runner/sink-setup.ts'),
        import('../../scenarios/load.ts'),
      ]);
      const { scenario } = loadScenario(resolve(io.cwd, scenarioPath), io.env);
      const component = await sinkFor(scenario.sink);
      // Only the location's kind matters here: no run directory is created.
      const location = component.locate(io.env, join(context.home(), 'sink-init'));
      if (!component.shared(location)) {
        throw new HarnessError(
          'config',
          'harness sink init creates tables for a pipeline outside the harness, so it needs a server that pipeline can reach: set PG_URL (or DATABASE_URL), e.g. postgres://postgres@127.0.0.1:5432/test. Without it the sink would be an embedded PGlite database no other process can open',
        );
      }
      const reset = options.reset === true;
      // Never under a run that is writing to the same schema: a reset would drop its tables.
      const lock = await component.lock(location, scenario.sink, io.env, { holder: 'harness sink init', runId: 'sink-init' });
      const where = await component
        .init(
          location,
          scenario.sink,
          io.env,
          sinkSetup(scenario, reset, (line) => io.stderr(`${line}\n`)),
        )
        .finally(() => lock.release());
      io.stdout(`${reset ? 'dropped and recreated (empty)' : 'created where missing (existing tables kept)'}: ${where}\n`);
    });

  sink
    .command('ddl')
    .description('print the CREATE statements `harness sink init` runs for a scenario, without connecting')
    .argument('<scenario>', 'scenario file')
    .action(async (scenarioPath: string) => {
      const { io } = context;
      const [{ sinkFor }, { sinkSetup }, { loadScenario }] = await Promise.all([
        import('../../connectors/sinks/index.ts'),
        import('../../runner/sink-setup.ts'),
        import('../../scenarios/load.ts'),
      ]);
      const { scenario } = loadScenario(resolve(io.cwd, scenarioPath), io.env);
      const component = await sinkFor(scenario.sink);
      if (!component.ddl) {
        throw new HarnessError(
          'usage',
          `harness sink ddl prints the statements that create a sink's tables, and the scenario's sink (${scenario.sink.type}) has none: see its page under docs/ for what it creates, or create it with harness sink init`,
        );
      }
      const statements = await component.ddl(
        scenario.sink,
        sinkSetup(scenario, false, () => {}),
      );
      io.stdout(`${statements.map((s) => `${layout(s)};`).join('\n\n')}\n`);
    });
}

/** One column a line: the same statement, easier to read. Only one-line CREATE TABLE statements are rewritten. */
function layout(statement: string): string {
  const match = /^(CREATE TABLE IF NOT EXISTS \S+) \((.*)\)$/.exec(statement);
  if (!match) return statement.replace(/\n {4}/g, '\n  ').replace(/\n {2}\)$/, '\n)');
  return `${match[1]} (\n  ${topLevelParts(match[2] as string).join(',\n  ')}\n)`;
}

/** Splits a column list at the commas outside parentheses (not inside numeric(10,2) or a key's column list). */
function topLevelParts(list: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < list.length; i++) {
    const c = list[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(list.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(list.slice(start).trim());
  return parts;
}
