/** What a command may touch of the outside world; tests pass their own. */
export interface CliIo {
  /** Bytes pass through untouched: generated records may be deliberately invalid UTF-8. */
  stdout: (chunk: string | Uint8Array) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Where the live view draws (stderr) and whether it is a terminal; absent: not one, progress goes to `stderr` as lines. */
  terminal?: Terminal;
}

export interface Terminal {
  stream: NodeJS.WritableStream & { columns?: number; rows?: number };
  isTTY: boolean;
}

export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    terminal: { stream: process.stderr, isTTY: process.stderr.isTTY },
  };
}
