import { resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { ExitCode } from '../core/exit-codes.ts';
import type { CliIo } from './io.ts';
import type { CommandContext } from './context.ts';
import { debugWanted, failureText } from './failure.ts';
import { versionLine } from './version.ts';
import { registerCompare } from './commands/compare.ts';
import { registerFindMax } from './commands/find-max.ts';
import { registerGenerate } from './commands/generate.ts';
import { registerPipeline } from './commands/pipeline.ts';
import { registerResume } from './commands/resume.ts';
import { registerRun } from './commands/run.ts';
import { registerSink } from './commands/sink.ts';
import { registerValidate } from './commands/validate.ts';
import { registerVerify } from './commands/verify.ts';

/** Builds the command tree without parsing anything, so tests can inspect and drive it. */
export function createCli(context: CommandContext): Command {
  const program = new Command('harness')
    .description('Prove data pipelines correct and fast: generate data with seeded faults, run a pipeline, verify the sinks.')
    .option('--home <dir>', 'directory for runs and embedded databases', '.harness')
    .option('--debug', 'print the stack trace of an error (also HARNESS_DEBUG=1)')
    .version(versionLine(), '-V, --version', 'print the version of harness and of Node')
    .exitOverride()
    .configureOutput({ writeOut: (text) => context.io.stdout(text), writeErr: (text) => context.io.stderr(text) })
    .showHelpAfterError();
  registerRun(program, context);
  registerResume(program, context);
  registerVerify(program, context);
  registerFindMax(program, context);
  registerCompare(program, context);
  registerGenerate(program, context);
  registerPipeline(program, context);
  registerValidate(program, context);
  registerSink(program, context);
  return program;
}

/** Runs the CLI on `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  let code: number = ExitCode.ok;
  // Set once built, below: the context's home() reads the parsed --home through it.
  const cli: { program?: Command } = {};
  const context: CommandContext = {
    io,
    home: () => resolve(io.cwd, cli.program?.opts<{ home: string }>().home ?? '.harness'),
    exit: (c) => {
      code = c;
    },
  };
  const program = createCli(context);
  cli.program = program;
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    const failure = failureText(error, debugWanted(argv, io.env));
    io.stderr(failure.text);
    return failure.exitCode;
  }
}
