import type * as hdr from 'hdr-histogram-js';
import type { CommittedFile } from '../connectors/transports/transport.ts';
import type { DatasetName } from '../generators/generator.ts';
import type { Schedule } from '../generators/load/index.ts';
import type { BatchProgress } from '../pipeline/run-pipeline.ts';
import type { AbortRecord } from '../runs/manifest.ts';
import type { Slos } from '../scenarios/schema.ts';
import { HIGHEST_MS, newHistogram, percentiles } from '../verifier/checks/latency.ts';

/**
 * Rates are counted over this much of the recent past: deliveries come a chunk at a time (a file,
 * a Kafka batch), so over one second the produced rate would swing between 0 and twice the target.
 */
const RATE_WINDOW_MS = 2000;
/** The latency window: p99 of the rows committed in the last few seconds, one HdrHistogram per second, merged by adding. */
const LATENCY_WINDOW_S = 5;

/** What the monitor needs to know of a dataset before the run starts. */
export interface MonitoredDataset {
  name: DatasetName;
  schedule: Schedule;
  /** Records planned. */
  count: number;
  /** Time zero of its schedule (the manifest's startedAtMs, set when producing starts). */
  startedAtMs: () => number;
  /** Files already committed (a resumed run): a CSV row's index is its file's first index plus its line. */
  files?: readonly CommittedFile[];
}

/** One dataset's figures at one moment: a line of the live view. */
export interface DatasetFigures {
  dataset: DatasetName;
  elapsedMs: number;
  /** When the last record is due; null when unpaced (as fast as possible). */
  plannedMs: number | null;
  stage: string;
  /** Null when unpaced. */
  targetPerSec: number | null;
  producedPerSec: number;
  /** Null until something reports ingestion (an external pipeline before its sink is probed). */
  ingestedPerSec: number | null;
  produced: number;
  ingested: number | null;
  deadLettered: number;
  /** Records produced and not yet ingested or dead-lettered (LoL: matches, not their ten rows). */
  backlog: number | null;
  /** Corrected latency (ingested minus intended send time; measured when there is no intended time) over the last few seconds. */
  p99Ms: number | null;
  /** Until the last record is ingested (produced, when ingestion is unknown). */
  etaMs: number | null;
}

/** Counts as they come (a chunk, a batch: a few a second), kept for the rate window only. */
class RecentCounts {
  private events: { atMs: number; n: number }[] = [];

  add(atMs: number, n: number): void {
    this.events.push({ atMs, n });
    const from = atMs - RATE_WINDOW_MS;
    if ((this.events[0] as { atMs: number }).atMs < from) this.events = this.events.filter((e) => e.atMs >= from);
  }

  /** Per second over the last RATE_WINDOW_MS (less while the dataset is younger than that). */
  rate(nowMs: number, sinceMs: number): number {
    const from = Math.max(nowMs - RATE_WINDOW_MS, sinceMs);
    const n = this.events.reduce((sum, e) => (e.atMs > from && e.atMs <= nowMs ? sum + e.n : sum), 0);
    return nowMs > from ? (n * 1000) / (nowMs - from) : 0;
  }
}

class Track {
  produced = 0;
  /** Null until ingestion is reported at all. */
  handled: number | null = null;
  deadLettered = 0;
  readonly producedCounts = new RecentCounts();
  readonly handledCounts = new RecentCounts();
  readonly latency = new Map<number, hdr.Histogram>();
  readonly files = new Map<string, CommittedFile>();

  constructor(readonly spec: MonitoredDataset) {
    for (const file of spec.files ?? []) this.files.set(file.name, file);
  }

  /** The record's index: carried by the transport (Kafka), or from its file and line. */
  indexOf(source: string, position: number, recordIndex: number | null): number | null {
    if (recordIndex !== null) return recordIndex;
    const file = this.files.get(source);
    if (!file) return null;
    const offset = position - file.headerLines - 1;
    return offset >= 0 && offset < file.count ? file.firstIndex + offset : null;
  }

  histogramAt(atMs: number): hdr.Histogram {
    const second = Math.floor(atMs / 1000);
    let histogram = this.latency.get(second);
    if (!histogram) {
      histogram = newHistogram();
      this.latency.set(second, histogram);
      for (const [key, old] of this.latency) {
        if (key > second - LATENCY_WINDOW_S) continue;
        old.destroy();
        this.latency.delete(key);
      }
    }
    return histogram;
  }

  /** The recent window's latency, one histogram per second added together. */
  recentLatency(nowMs: number): Record<string, number | null> {
    const merged = newHistogram();
    const now = Math.floor(nowMs / 1000);
    for (const [second, histogram] of this.latency) if (second > now - LATENCY_WINDOW_S) merged.add(histogram);
    const figures = percentiles(merged);
    merged.destroy();
    return figures;
  }
}

/**
 * What a run is doing right now, per dataset: fed by the producers (each delivered chunk) and by
 * the pipeline (each committed batch), read once a second by the live view and by abortOnFail.
 * Counts start when the process does: after `harness resume` the backlog is what this process saw.
 */
export class RunMonitor {
  private readonly tracks = new Map<DatasetName, Track>();
  /** Set when the producers were stopped for good (abortOnFail): the schedule no longer applies. */
  private stoppedProducing = false;

  constructor(
    datasets: readonly MonitoredDataset[],
    private readonly latencySlos: Slos['latency'],
    private readonly now: () => number = Date.now,
  ) {
    for (const spec of datasets) this.tracks.set(spec.name, new Track(spec));
  }

  /** A chunk was stored by a producer (produceDataset's onDelivered). */
  delivered(dataset: DatasetName, records: number, file: CommittedFile | null): void {
    const track = this.track(dataset);
    track.produced += records;
    track.producedCounts.add(this.now(), records);
    if (file) track.files.set(file.name, file);
  }

  /** The reference pipeline committed a batch: its records are ingested, and each one's latency is known. */
  batch(dataset: DatasetName, batch: BatchProgress): void {
    const track = this.track(dataset);
    this.ingested(dataset, batch.records.length, batch.committedAtMs);
    track.deadLettered += batch.deadLettered;
    const { schedule } = track.spec;
    const zero = track.spec.startedAtMs();
    const histogram = track.histogramAt(batch.committedAtMs);
    for (const record of batch.records) {
      const index = schedule.paced ? track.indexOf(record.source, record.position, record.recordIndex) : null;
      const sentAtMs = index === null ? record.producedAtMs : zero + schedule.offsetMs(index);
      histogram.recordValue(Math.min(HIGHEST_MS, Math.max(1, Math.round(batch.committedAtMs - sentAtMs))));
    }
  }

  /**
   * Records ingested, as far as something can tell: the reference pipeline's batches, or (for
   * `pipeline: external`) a progress probe on the sink. Until it is called, ingestion shows as unknown.
   */
  ingested(dataset: DatasetName, records: number, atMs = this.now()): void {
    const track = this.track(dataset);
    track.handled = (track.handled ?? 0) + records;
    track.handledCounts.add(atMs, records);
  }

  /** The producers stopped for good (abortOnFail): from now on only the backlog's drain is left. */
  producersStopped(): void {
    this.stoppedProducing = true;
  }

  figures(): DatasetFigures[] {
    const nowMs = this.now();
    return [...this.tracks.values()].map((track) => {
      const { schedule, count, name } = track.spec;
      const zero = track.spec.startedAtMs();
      const elapsedMs = Math.max(0, nowMs - zero);
      const plannedMs = schedule.paced && !this.stoppedProducing ? schedule.offsetMs(count - 1) : null;
      const producedPerSec = track.producedCounts.rate(nowMs, zero);
      const ingestedPerSec = track.handled === null ? null : track.handledCounts.rate(nowMs, zero);
      const ingested = track.handled === null ? null : track.handled - track.deadLettered;
      const backlog = track.handled === null ? null : Math.max(0, track.produced - track.handled);
      return {
        dataset: name,
        elapsedMs,
        plannedMs,
        stage: this.stoppedProducing ? 'producers stopped' : stageAt(schedule, elapsedMs),
        targetPerSec: this.stoppedProducing ? 0 : schedule.paced ? schedule.rateAt(elapsedMs) : null,
        producedPerSec,
        ingestedPerSec,
        produced: track.produced,
        ingested,
        deadLettered: track.deadLettered,
        backlog,
        p99Ms: track.recentLatency(nowMs).p99 ?? null,
        etaMs: eta(this.stoppedProducing ? track.produced : count, track, elapsedMs, plannedMs, producedPerSec, ingestedPerSec),
      };
    });
  }

  /**
   * The first latency bound broken over the recent window, when the scenario says to abort on it
   * and delayAbortEval has passed since the run started; null otherwise.
   */
  breach(): AbortRecord | null {
    const { abortOnFail, delayAbortEval } = this.latencySlos;
    if (!abortOnFail) return null;
    const atMs = this.now();
    const startMs = Math.min(...[...this.tracks.values()].map((t) => t.spec.startedAtMs()));
    if (atMs - startMs < delayAbortEval) return null;
    for (const track of this.tracks.values()) {
      const recent = track.recentLatency(atMs);
      for (const p of ['p50', 'p90', 'p99', 'p999', 'max'] as const) {
        const limit = this.latencySlos[p];
        const actual = recent[p];
        if (limit === undefined || actual === null || actual === undefined || actual <= limit) continue;
        const elapsedMs = atMs - track.spec.startedAtMs();
        return {
          atMs,
          second: Math.floor((atMs - startMs) / 1000),
          dataset: track.spec.name,
          stage: stageAt(track.spec.schedule, elapsedMs),
          slo: `latency.${p}`,
          actual,
          limit,
        };
      }
    }
    return null;
  }

  private track(dataset: DatasetName): Track {
    const track = this.tracks.get(dataset);
    if (!track) throw new Error(`the run monitor has no dataset ${dataset}`);
    return track;
  }
}

/** The stage due at `offsetMs` on the dataset's clock, or where the dataset is outside them. */
export function stageAt(schedule: Schedule, offsetMs: number): string {
  const { stages } = schedule;
  const first = stages[0];
  if (!schedule.paced || !first) return 'as fast as possible';
  if (offsetMs < first.startMs) return `starts at ${Math.round(first.startMs / 1000)} s`;
  return stages.find((s) => offsetMs < s.endMs)?.label ?? 'after the last stage';
}

/**
 * Until the last record is ingested. Paced: the schedule's end, or the backlog at the recent ingest
 * rate if that is later (a rate-based guess would swing with every stage of a ramp). Unpaced: what
 * is left at the recent rate, ingested when known, produced otherwise.
 */
function eta(count: number, track: Track, elapsedMs: number, plannedMs: number | null, producedPerSec: number, ingestedPerSec: number | null): number | null {
  const backlog = track.handled === null ? 0 : Math.max(0, track.produced - track.handled);
  // A backlog that nothing drains has no end to predict.
  const drainMs = backlog === 0 ? 0 : ingestedPerSec ? (backlog / ingestedPerSec) * 1000 : null;
  if (plannedMs !== null) return drainMs === null ? (elapsedMs < plannedMs ? plannedMs - elapsedMs : null) : Math.max(plannedMs - elapsedMs, drainMs, 0);
  const done = track.handled ?? track.produced;
  const rate = track.handled !== null ? ingestedPerSec : producedPerSec;
  if (done >= count) return 0;
  return rate ? ((count - done) / rate) * 1000 : null;
}

/** Who shows a run's progress while it goes (the CLI's live view): given the monitor when the run starts, stopped when it ends. */
export interface ProgressView {
  /** The pipeline's line per batch (`--verbose`); absent: none. */
  readonly batchLog?: ((line: string) => void) | undefined;
  watch(monitor: RunMonitor): void;
  stop(): void;
}
