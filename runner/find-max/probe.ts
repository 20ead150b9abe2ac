import type { DatasetName } from '../../generators/index.ts';
import { loadProfileSpec, type LoadProfileSpec } from '../../generators/load/index.ts';
import type { ProgressView, RunMonitor } from '../monitor.ts';

/**
 * find-max's first guess, after OpenMessaging Benchmark's rate discovery: one run whose rate
 * doubles every few seconds from --from (k6's ramping-arrival-rate), stopped as soon as the
 * pipeline clearly falls behind. What the pipeline ingested while it was behind is a guess at
 * its capacity, found in one short run instead of a whole step per doubling (five steps, about
 * 75 s of a 3 min budget, from 2,000 to 64,000 rec/s). It is only a guess: its rate rose as it
 * went, and the harness generated up to twice the capacity on the same cores, so a rate is only
 * ever judged, passed or failed, by a whole steady step.
 */

/** How long the probe's rate takes to double: long enough for a pipeline to show it falls behind before the rate runs far past it. */
export const PROBE_DOUBLING_MS = 3000;

/** The probe's load: doubling from `fromPerSec` until `toPerSec`, then a last stage held there. */
export function probeProfile(fromPerSec: number, toPerSec: number): LoadProfileSpec {
  const stages: { target: number; duration: number }[] = [];
  for (let rate = fromPerSec; rate < toPerSec;) {
    rate = Math.min(toPerSec, rate * 2);
    stages.push({ target: rate, duration: PROBE_DOUBLING_MS });
  }
  stages.push({ target: toPerSec, duration: PROBE_DOUBLING_MS });
  return loadProfileSpec.parse({ executor: 'ramping-arrival-rate', startRate: fromPerSec, stages });
}

/** Lag: the backlog in seconds of what the pipeline ingests. Behind: over 1.5x the lag it kept at the start, plus this. */
const BEHIND_LAG_S = 0.5;
/** The lag of a pipeline keeping up is taken over this many of its first seconds of output. */
const BASELINE_SECONDS = 2;
/** Behind for this many seconds in a row: a pause of a second (a GC, a checkpoint) is caught up in the next, and is no capacity. */
const BEHIND_SECONDS = 2;

/** Watches the probe's run through its monitor (given as the run's progress view), and stops it once the pipeline is behind. */
export interface ProbeWatch extends ProgressView {
  /** One look at the monitor (the view takes one a second): true once the pipeline is behind, when the probe stops. */
  check(monitor: RunMonitor): boolean;
  /** What the pipeline ingested while behind (records/s over the monitor's window, the mean of the looks that found it behind); null when it never fell behind. */
  estimatePerSec(): number | null;
  /** The target rate when the probe was stopped; null when it was not. */
  haltedAtPerSec(): number | null;
}

/**
 * A pipeline that keeps up holds a lag of its own (its polls, batches and files: 0.3 s on the
 * reference pipeline with 250 ms files, seconds for one that polls a directory), learned over its
 * first seconds of output; past 1.5x that plus half a second, two seconds in a row, it is behind.
 * Its ingest rate is then its capacity: the mean over those seconds is the guess. `stop` ends the
 * run at once, pipeline included: the probe judges nothing, so its backlog need not be drained
 * (a pipeline far slower than --from would take minutes over it).
 */
export function watchProbe(dataset: DatasetName, stop: () => void): ProbeWatch {
  const lags: number[] = [];
  let behindFor = 0;
  /** The ingest rate at each look while behind: the last BEHIND_SECONDS of them make the guess. */
  const behindRates: number[] = [];
  let haltedAt: number | null = null;
  let timer: NodeJS.Timeout | null = null;
  const watch: ProbeWatch = {
    check(monitor) {
      if (haltedAt !== null) return true;
      const figures = monitor.figures().find((f) => f.dataset === dataset);
      if (!figures?.ingestedPerSec || figures.backlog === null || figures.targetPerSec === null) return false;
      const lagS = figures.backlog / figures.ingestedPerSec;
      if (lags.length < BASELINE_SECONDS) {
        lags.push(lagS);
        return false;
      }
      behindFor = lagS > 1.5 * Math.max(...lags) + BEHIND_LAG_S ? behindFor + 1 : 0;
      behindRates.push(figures.ingestedPerSec);
      if (behindFor < BEHIND_SECONDS) return false;
      haltedAt = figures.targetPerSec;
      return true;
    },
    watch(monitor) {
      timer = setInterval(() => {
        if (!watch.check(monitor)) return;
        watch.stop();
        stop();
      }, 1000);
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
    },
    estimatePerSec: () => (haltedAt === null ? null : behindRates.slice(-BEHIND_SECONDS).reduce((a, b) => a + b, 0) / BEHIND_SECONDS),
    haltedAtPerSec: () => haltedAt,
  };
  return watch;
}
