import { setTimeout as sleep } from 'node:timers/promises';
import type { SinkProbe } from '../connectors/sinks/sink.ts';
import type { DatasetName } from '../generators/generator.ts';
import { messageOf } from '../core/errors.ts';
import { datasetRules } from '../pipeline/rules/index.ts';

export type ProbeRead = Awaited<ReturnType<SinkProbe['read']>>;

export interface FollowOptions {
  /** Pause between rounds of reads; default a second, what the probes are meant for. */
  everyMs?: number;
  /** Told of a read that failed (a sink outage), and following goes on; without it the failure ends it, rejected. */
  onError?: (error: unknown, dataset: DatasetName) => void;
}

/**
 * Reads `probe` for every dataset, a round at a time with `everyMs` between the end of one round
 * and the start of the next (so a slow sink is never asked twice at once), until `signal` aborts;
 * then resolves. `onRead` gets each dataset's running totals.
 */
export async function followSink(
  probe: SinkProbe,
  datasets: readonly DatasetName[],
  onRead: (dataset: DatasetName, read: ProbeRead) => void,
  signal: AbortSignal,
  { everyMs = 1000, onError }: FollowOptions = {},
): Promise<void> {
  while (!signal.aborted) {
    for (const dataset of datasets) {
      try {
        onRead(dataset, await probe.read(dataset));
      } catch (error) {
        if (!onError) throw error;
        onError(error, dataset);
      }
    }
    await sleep(everyMs, undefined, { signal }).catch(() => {});
  }
}

/** What a run's monitor takes: records handled (ingested or dead-lettered) since the last call (runner/monitor.ts). */
export interface IngestCounter {
  ingested(dataset: DatasetName, records: number, atMs?: number): void;
}

/**
 * An `onRead` for `followSink` that feeds a monitor: the probe's totals become records handled
 * (rows over the dataset's rows per record, e.g. 10 a LoL match, plus dead letters) and the
 * monitor is given what was added since the read before (the first read, even at 0, says
 * ingestion is known). A total that went down (a sink reset under it) adds nothing until it passes
 * the highest seen.
 */
export function feedMonitor(monitor: IngestCounter): (dataset: DatasetName, read: ProbeRead) => void {
  const handled = new Map<DatasetName, number>();
  return (dataset, read) => {
    const now = Math.floor(read.rows / datasetRules[dataset].output.rowsPerRecord) + read.deadLetters;
    const before = handled.get(dataset);
    // The first read is passed on even at 0: ingestion is known from then on, no longer unknown.
    if (before !== undefined && now <= before) return;
    handled.set(dataset, now);
    monitor.ingested(dataset, now - (before ?? 0), read.atMs);
  };
}

/**
 * `pipeline: external`: the run's monitor learns what the pipeline under test has ingested from a
 * probe on its sink, a read a second, until `signal`. The figures serve the live view and
 * abortOnFail, not the verdict, so a sink that cannot be probed costs the run its ingestion figures
 * (said once), never the run; a failing read is said once until a read succeeds again.
 */
export async function followExternalPipeline(
  open: () => Promise<SinkProbe>,
  datasets: readonly DatasetName[],
  monitor: IngestCounter,
  signal: AbortSignal,
  log: (line: string) => void,
): Promise<void> {
  let probe: SinkProbe;
  try {
    probe = await open();
  } catch (error) {
    log(`no ingestion figures for the pipeline under test: its sink cannot be probed (${messageOf(error)})`);
    return;
  }
  const feed = feedMonitor(monitor);
  let failing = false;
  try {
    await followSink(
      probe,
      datasets,
      (dataset, read) => {
        failing = false;
        feed(dataset, read);
      },
      signal,
      {
        onError: (error) => {
          if (!failing) log(`reading the sink's progress failed (${messageOf(error)}); the ingestion figures wait for a read that succeeds`);
          failing = true;
        },
      },
    );
  } finally {
    await probe.close().catch(() => {});
  }
}
