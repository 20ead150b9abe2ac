/** What a command may touch of the outside world; tests pass their own. */
export interface CliIo {
  /** Bytes pass through untouched: generated records may be deliberately invalid UTF-8. */
  stdout: (chunk: string | Uint8Array) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
  };
}
