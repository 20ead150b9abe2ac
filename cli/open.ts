import { spawn } from 'node:child_process';
import type { CliIo } from './io.ts';

export interface Opener {
  command: string;
  args: string[];
}

/**
 * The platform's way to open a file in the browser, or null where there is none to see it: on
 * Linux and the BSDs a browser needs a display (a CI runner or an SSH session has none).
 */
export function openerFor(platform: NodeJS.Platform, env: NodeJS.ProcessEnv, path: string): Opener | null {
  if (platform === 'darwin') return { command: 'open', args: [path] };
  // `start` is a cmd builtin; its first quoted argument is the window title.
  if (platform === 'win32') return { command: 'cmd', args: ['/c', 'start', '""', path] };
  return env.DISPLAY || env.WAYLAND_DISPLAY ? { command: 'xdg-open', args: [path] } : null;
}

/** `--open` on run and verify. */
export const openOption = ['--open', 'open report.html in the browser when there is one (else print its path); never changes the exit code'] as const;

/**
 * Opens the page and returns at once. Never fails the command: without a browser, or when the
 * opener cannot start, it prints the path to open by hand.
 */
export function openReport(path: string, io: CliIo, platform: NodeJS.Platform = process.platform): void {
  const opener = openerFor(platform, io.env, path);
  const byHand = (why: string) => io.stderr(`report: ${path} (${why}; open it by hand)\n`);
  if (!opener) {
    byHand('no display to open a browser on');
    return;
  }
  const child = spawn(opener.command, opener.args, { detached: true, stdio: 'ignore', env: io.env });
  child.once('error', (error) => byHand(`${opener.command} could not start: ${error.message}`));
  child.unref();
  io.stderr(`report: ${path} (opening with ${opener.command})\n`);
}
