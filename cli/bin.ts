#!/usr/bin/env node
import module from 'node:module';
import { debugWanted, failureText } from './failure.ts';
import { processIo } from './io.ts';

const argv = process.argv.slice(2);

/**
 * An error no command caught (a rejected promise nobody awaited, a throw in a timer) ends the
 * process at once, as Node would, but the same way as one that reached main: one message and its
 * exit code, never a bare crash that CI would read as exit 1 ("SLO missed").
 */
function fatal(error: unknown): void {
  const failure = failureText(error, debugWanted(argv, process.env));
  process.stderr.write(failure.text);
  process.exit(failure.exitCode);
}

process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);
// Node 22.1+ keeps V8's compiled code on disk (in the temporary directory), so later starts skip
// compiling the modules a command loads; Node 20 has no such cache and starts as before.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
// Imported once the handlers are in place, so an error while loading the commands is caught too.
const { main } = await import('./main.ts');
const code = await main(argv, processIo());
process.exitCode = code;
// The process ends by itself once its handles are closed; one left open after a failure (a pool, a
// worker thread, a broker connection) must not hang CI, so after a few seconds it ends regardless.
if (code !== 0) setTimeout(() => process.exit(code), 3000).unref();
