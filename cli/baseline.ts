import type { Command } from 'commander';

/** The regression rules' flag, shared by `harness compare`, `run` and `verify`. */
export const FAIL_ON_FLAG = '--fail-on <rules>';
export const FAIL_ON_HELP =
  'regression rules, e.g. latency.p99=+10%,throughput=-5%,findMax=-10% (+: may rise that much, -: may fall; grammar in `harness compare --help`)';

export interface BaselineFlags {
  baseline?: string[];
  failOn?: string;
}

/** `--baseline` and `--fail-on` for the commands that verify a run. */
export function withBaselineOptions(command: Command): Command {
  return command
    .option(
      '--baseline <report...>',
      'also judge the run against these report.json files (or run directories) of the same scenario; several: their spread is the noise',
    )
    .option(FAIL_ON_FLAG, FAIL_ON_HELP);
}
