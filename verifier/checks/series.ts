import * as hdr from 'hdr-histogram-js';
import type { StageWindow } from '../../generators/load/index.ts';
import { slo, statusOf, type Check, type CheckContext, type SloResult } from '../check.ts';
import type { SeriesPoint, StageSummary } from '../report.ts';

/**
 * Per-second percentiles are kept for this many seconds (one packed HdrHistogram each, a few KB):
 * an hour of run. Past it a second keeps its counters and max, and its p50/p99 are null, so a run
 * of 10M records over hours stays within a few MB.
 */
const HISTOGRAM_SECONDS = 3600;
/** Seconds recorded into at once through a plain 32-bit histogram (73 KB each) before folding into their packed one. */
const HOT_SECONDS = 8;
/**
 * A record sent later than this after it was due to be sent (when its chunk's last record was due)
 * counts as behind: the generator, not the pipeline, fell behind.
 */
const BEHIND_MS = 1000;
const HIGHEST_MS = 24 * 3_600_000;

function newHistogram(bitBucketSize: 'packed' | 32): hdr.Histogram {
  return hdr.build({ bitBucketSize, lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_MS, numberOfSignificantValueDigits: 3 });
}

/**
 * One histogram per second, packed to hold an hour of them in a few MB, yet quick to record into:
 * a value costs 0.5 us in a packed histogram and 0.1 us in a plain one, which was a tenth of
 * verifying a million rows. A scan meets rows mostly in the order they were written, so a few
 * recent seconds take nearly all of them: those record into plain histograms, each folded into its
 * second's packed one (exactly: same buckets) when a newer second needs its place, and all before
 * any is read.
 */
class SecondHistograms {
  private readonly packed: (hdr.Histogram | undefined)[] = [];
  /** In the order they were taken: the first is the one to fold next. */
  private readonly hot = new Map<number, hdr.Histogram>();
  private readonly spare: hdr.Histogram[] = [];

  record(second: number, ms: number): void {
    let histogram = this.hot.get(second);
    if (!histogram) {
      if (this.hot.size >= HOT_SECONDS) this.fold(this.hot.keys().next().value as number);
      histogram = this.spare.pop() ?? newHistogram(32);
      this.hot.set(second, histogram);
    }
    histogram.recordValue(ms);
  }

  /** The second's histogram, every value in it; call once recording is over. */
  at(second: number): hdr.Histogram | undefined {
    for (const hot of [...this.hot.keys()]) this.fold(hot);
    return this.packed[second];
  }

  destroy(): void {
    for (const h of [...this.packed, ...this.hot.values(), ...this.spare]) h?.destroy();
  }

  private fold(second: number): void {
    const histogram = this.hot.get(second) as hdr.Histogram;
    this.hot.delete(second);
    (this.packed[second] ??= newHistogram('packed')).add(histogram);
    histogram.reset();
    this.spare.push(histogram);
  }
}

/** p-th percentile, never above the max (HdrHistogram reports a bucket's top, which can pass it); null when empty. */
function at(histogram: hdr.Histogram | undefined, p: number): number | null {
  if (!histogram || histogram.totalCount === 0) return null;
  return Math.min(histogram.maxValue, histogram.getValueAtPercentile(p));
}

/** A per-second counter that grows as later seconds are seen. */
function add(counts: number[], second: number, n: number): void {
  while (counts.length <= second) counts.push(0);
  counts[second] = (counts[second] as number) + n;
}

function stageAt(stages: readonly StageWindow[], offsetMs: number): number {
  return stages.findIndex((s) => offsetMs >= s.startMs && offsetMs < s.endMs);
}

const thousands = (n: number) => n.toLocaleString('en-US');

/**
 * One point per second of each dataset's run, and each stage of its load profile judged on its
 * own (slos.stages). Time zero is the schedule's (generation.startedAtMs). Production per second is
 * the harness producer's own count (the manifest's producedPerSecond); a record counts as ingested
 * once, at the first of its rows the scan meets (a batch writes all of a record's rows at once), and
 * a dead letter once per record that must be dead-lettered. What backlog means: see SeriesPoint.
 */
export const series: Check = {
  name: 'series',
  description: 'Per-second target, produced, ingested, dead-lettered, backlog, behind-schedule and corrected p50/p99/max; per-stage summaries and SLOs.',
  begin(context) {
    const { oracle, generation } = context;
    const schedule = oracle.generator.schedule;
    const zeroMs = generation.startedAtMs;
    const lastSecond = Math.max(0, Math.floor((context.window.endMs - zeroMs) / 1000));
    const stages = schedule.stages;
    // One bit per record: its outcome (a row or a dead letter) is counted once.
    const seen = new Uint8Array(Math.ceil(oracle.count / 8));
    const firstSight = (index: number) => {
      const bit = 1 << (index & 7);
      const byte = seen[index >> 3] as number;
      if (byte & bit) return false;
      seen[index >> 3] = byte | bit;
      return true;
    };
    const ingested: number[] = [];
    const deadLettered: number[] = [];
    const behind: number[] = [];
    const behindMax: (number | null)[] = [];
    const maxMs: (number | null)[] = [];
    const histograms = new SecondHistograms();
    // Few (one per stage), so plain: quick to record into.
    const stageHistograms = stages.map(() => newHistogram(32));
    const stageIngested = stages.map(() => 0);
    const stageOutcomes = stages.map(() => 0);
    let rows = 0;
    // Null for a time before time zero's slack or after verification: freshness owns those rows.
    const secondOf = (ms: number) => {
      const second = Math.max(0, Math.floor((ms - zeroMs) / 1000));
      return second > lastSecond ? null : second;
    };
    const outcomeAt = (ms: number) => {
      const stage = stageAt(stages, ms - zeroMs);
      if (stage >= 0) stageOutcomes[stage] = (stageOutcomes[stage] as number) + 1;
    };
    return {
      row({ row, origin, lands }) {
        if (!lands || origin === null || row.ingestedAtMs === null) return;
        const second = secondOf(row.ingestedAtMs);
        if (second === null) return;
        rows++;
        const intended = context.intendedAtMs(origin);
        if (firstSight(origin)) {
          add(ingested, second, 1);
          outcomeAt(row.ingestedAtMs);
          const stage = stageAt(stages, row.ingestedAtMs - zeroMs);
          if (stage >= 0) stageIngested[stage] = (stageIngested[stage] as number) + 1;
          const due = context.sendDueAtMs(origin);
          const lag = due !== null && row.producedAtMs !== null ? Math.round(row.producedAtMs - due) : 0;
          const sent = row.producedAtMs === null ? null : secondOf(row.producedAtMs);
          if (lag > BEHIND_MS && sent !== null) {
            add(behind, sent, 1);
            while (behindMax.length <= sent) behindMax.push(null);
            behindMax[sent] = Math.max(behindMax[sent] ?? 0, lag);
          }
        }
        // Corrected when the record had an intended time; measured from its send time when unpaced.
        const from = intended ?? row.producedAtMs;
        if (from === null || row.ingestedAtMs < from) return;
        const ms = Math.min(HIGHEST_MS, Math.max(1, Math.round(row.ingestedAtMs - from)));
        while (maxMs.length <= second) maxMs.push(null);
        maxMs[second] = Math.max(maxMs[second] ?? 0, ms);
        if (second < HISTOGRAM_SECONDS) histograms.record(second, ms);
        const stage = stageAt(stages, from - zeroMs);
        if (stage >= 0) stageHistograms[stage]?.recordValue(ms);
      },
      deadLetter({ letter, index, from }) {
        // The sink's table is exactly once; a topic's copies are at least once and carry no write time.
        if (from !== 'sink' || index === null || index >= oracle.count || letter.ingestedAtMs === null) return;
        if (oracle.outcome(index).type !== 'dlq') return;
        const second = secondOf(letter.ingestedAtMs);
        if (second === null || !firstSight(index)) return;
        add(deadLettered, second, 1);
        outcomeAt(letter.ingestedAtMs);
      },
      finish() {
        const produced = producedPerSecond(context);
        const length = Math.max(1, produced.length, ingested.length, deadLettered.length, behind.length, maxMs.length);
        const due = (offsetMs: number) => (schedule.paced ? Math.min(oracle.count, schedule.dueBefore(offsetMs)) : 0);
        // Each stage in seconds, and the indices due in it: [first, end).
        const windows = stages.map((stage) => {
          const startS = stage.startMs / 1000;
          const endS = Number.isFinite(stage.endMs) ? stage.endMs / 1000 : Math.max(length, startS);
          return { startS, endS, first: schedule.paced ? due(stage.startMs) : 0, end: schedule.paced ? due(endS * 1000) : oracle.count };
        });
        let cumulative = 0;
        const producedBy = Array.from({ length }, (_, second) => Math.min(oracle.count, (cumulative += produced[second] ?? 0)));
        const outcomesBefore = outcomeCounts(context, [...producedBy, ...windows.flatMap((w) => [w.first, w.end])]);
        const points: SeriesPoint[] = [];
        let seenSoFar = 0;
        for (let second = 0; second < length; second++) {
          seenSoFar += (ingested[second] ?? 0) + (deadLettered[second] ?? 0);
          points.push({
            second,
            targetPerSec: due((second + 1) * 1000) - due(second * 1000),
            produced: produced[second] ?? 0,
            ingested: ingested[second] ?? 0,
            deadLettered: deadLettered[second] ?? 0,
            // Below 0 only when a record lands before its delivery was confirmed to the producer.
            backlog: Math.max(0, outcomesBefore(producedBy[second] as number) - seenSoFar),
            behind: behind[second] ?? 0,
            behindMaxMs: behindMax[second] ?? null,
            p50Ms: at(histograms.at(second), 50),
            p99Ms: at(histograms.at(second), 99),
            maxMs: maxMs[second] ?? null,
          });
        }
        const summaries = stages.map((stage, i): StageSummary => {
          const { startS, endS, first, end } = windows[i] as (typeof windows)[number];
          const lengthS = endS - startS;
          const outcomesDue = outcomesBefore(end) - outcomesBefore(first);
          const histogram = stageHistograms[i] as hdr.Histogram;
          const slos = stageSlos(context, i, histogram, outcomesDue > 0 ? (stageOutcomes[i] as number) / outcomesDue : null);
          const perSec = (n: number) => (lengthS > 0 ? Math.round(n / lengthS) : 0);
          return {
            index: i,
            label: stage.label,
            startS,
            endS,
            targetPerSec: schedule.paced ? perSec(end - first) : 0,
            achievedPerSec: perSec(stageIngested[i] as number),
            p99Ms: at(histogram, 99),
            backlogAtEnd: points[Math.min(length, Math.max(1, Math.ceil(endS))) - 1]?.backlog ?? 0,
            slos,
            status: statusOf(slos),
          };
        });
        histograms.destroy();
        for (const h of stageHistograms) h.destroy();
        const expected = oracle.counts().expectedRows;
        const allSlos = summaries.flatMap((s) => s.slos);
        const broken = summaries.filter((s) => s.status === 'fail');
        const peak = points.reduce((a, b) => (b.backlog > a.backlog ? b : a));
        const worst = points.reduce((a, b) => ((b.p99Ms ?? -1) > (a.p99Ms ?? -1) ? b : a));
        return {
          name: 'series',
          dataset: context.dataset,
          status: statusOf(allSlos, rows > 0 || expected === 0),
          summary:
            rows === 0 && expected > 0
              ? `no rows landed in the run for ${thousands(expected)} expected: no series to judge`
              : broken.length > 0
                ? broken
                    .map(
                      (s) =>
                        `${s.label} of ${context.dataset}: ${s.slos
                          .filter((x) => !x.met)
                          .map(missed)
                          .join(', ')}`,
                    )
                    .join('; ')
                : `${length} s, ${summaries.length} stage(s)${allSlos.length > 0 ? ', every stage SLO met' : ''}; peak backlog ${thousands(peak.backlog)} at ${peak.second} s` +
                  (worst.p99Ms !== null ? `, worst second p99 ${thousands(worst.p99Ms)} ms at ${worst.second} s` : ''),
          figures: {
            seconds: length,
            stages: summaries.length,
            peakBacklog: peak.backlog,
            peakBacklogSecond: peak.second,
            worstSecondP99Ms: worst.p99Ms,
            worstSecondP99At: worst.p99Ms === null ? null : worst.second,
            behind: points.reduce((n, p) => n + p.behind, 0),
          },
          slos: allSlos,
          samples: {},
          series: points,
          stages: summaries,
        };
      },
    };
  },
};

/** The manifest's per-second production; for runs from before it was kept, the schedule's (all at the end when unpaced). */
function producedPerSecond(context: CheckContext): number[] {
  const { generation, oracle } = context;
  if (generation.producedPerSecond) return generation.producedPerSecond;
  const schedule = oracle.generator.schedule;
  if (!schedule.paced) {
    const out: number[] = [];
    add(out, Math.max(0, Math.floor((generation.finishedAtMs - generation.startedAtMs) / 1000)), oracle.count);
    return out;
  }
  const due = (ms: number) => Math.min(oracle.count, schedule.dueBefore(ms));
  const out: number[] = [];
  for (let second = 0; due(second * 1000) < oracle.count; second++) out.push(due((second + 1) * 1000) - due(second * 1000));
  return out;
}

/**
 * Records with an outcome of their own (a row or a dead letter) among the first n indices, for each
 * n asked: one walk over the indices, however many seconds and stages ask.
 */
function outcomeCounts(context: CheckContext, asked: number[]): (n: number) => number {
  const { oracle } = context;
  const counts = new Map<number, number>();
  let counted = 0;
  let walked = 0;
  for (const n of [...new Set(asked)].sort((a, b) => a - b)) {
    for (; walked < n; walked++) {
      const type = oracle.outcome(walked).type;
      if (type === 'land' || type === 'dlq') counted++;
    }
    counts.set(n, counted);
  }
  return (n) => counts.get(n) ?? 0;
}

/** The SLOs the scenario sets on stage `index` (0-based) of this dataset, judged on the stage's figures. */
function stageSlos(context: CheckContext, index: number, histogram: hdr.Histogram, achievedRatio: number | null): SloResult[] {
  const entries = context.slos.stages.filter((s) => s.stage === index + 1 && (s.dataset === undefined || s.dataset === context.dataset));
  const name = `stage${index + 1}`;
  const percentiles = { p50: 50, p90: 90, p99: 99, max: 100 } as const;
  return entries.flatMap((entry) => [
    ...(Object.keys(percentiles) as (keyof typeof percentiles)[]).flatMap((p) => {
      const actual = at(histogram, percentiles[p]);
      return actual === null ? [] : slo(`${name}.latency.${p}`, 'max', entry.latency[p], actual);
    }),
    ...(achievedRatio === null ? [] : slo(`${name}.achievedRatio`, 'min', entry.minAchievedRatio, Math.round(achievedRatio * 1000) / 1000)),
  ]);
}

/** `p99 7,412 ms > 5,000`, `achieved/target 0.81 < 0.95`. */
function missed(s: SloResult): string {
  const what = s.name.slice(s.name.indexOf('.') + 1);
  if (what === 'achievedRatio') return `achieved/target ${s.actual} < ${s.limit}`;
  return `${what.replace('latency.', '')} ${thousands(s.actual)} ms > ${thousands(s.limit)}`;
}
