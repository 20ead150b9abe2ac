import type { Command } from 'commander';

/**
 * The progress options `run`, `resume` and `pipeline` share. Apart from the live view (progress.ts,
 * with log-update), which the commands load only when they run.
 */
export function withProgressOptions(command: Command): Command {
  return command
    .option('--quiet', 'nothing but errors and the final table')
    .option('--verbose', "also the pipeline's line per batch")
    .option('--progress-interval <duration>', 'off a terminal (CI logs), a progress line per dataset this often', '10s');
}

export interface ProgressFlags {
  quiet?: boolean;
  verbose?: boolean;
  progressInterval: string;
}
