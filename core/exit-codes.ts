/** Exit codes are the CLI's contract with CI: each has a name so scripts and docs agree. */
export const ExitCode = {
  /** Every SLO met. */
  ok: 0,
  /** The run completed but at least one SLO was missed, or a figure regressed against its baseline (--fail-on). */
  sloMissed: 1,
  /** Bad usage, bad scenario file or bad configuration. */
  usage: 2,
  /** A sink, source or broker could not be reached (after retries), or the disk is full. */
  unreachable: 3,
  /** harness itself failed in a way it did not foresee: a bug, reported with `--debug` output (sysexits' EX_SOFTWARE). */
  internal: 70,
  /** Stopped by SIGINT or SIGTERM between batches; `harness resume` finishes the run. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
