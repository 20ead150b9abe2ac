import { main } from '../../cli/main.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process with captured output, as a user would type it. */
export async function runCli(argv: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<CliRun> {
  const out: Buffer[] = [];
  const err: string[] = [];
  const code = await main(argv, {
    stdout: (chunk) => out.push(Buffer.from(chunk)),
    stderr: (text) => err.push(text),
    env: options.env ?? {},
    cwd: options.cwd,
  });
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: err.join('') };
}
