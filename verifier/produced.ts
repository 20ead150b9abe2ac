import { describeAbort, type AbortRecord, type DatasetManifest } from '../runs/manifest.ts';
import type { CheckResult } from './check.ts';

/** What of a dataset an aborted run produced, as the oracle is to judge it. */
export interface ProducedPart {
  /** The generation as the checks see it: `count` is what was produced. */
  generation: DatasetManifest;
  /** Indices below this are judged. */
  judgedCount: number;
  /** Present when not every index below judgedCount was produced: the others must be nowhere. */
  produced?: (index: number) => boolean;
}

/**
 * An aborted run's producers stopped between chunks, so what exists is a set of index ranges. A
 * transport that commits files (CSV) names them: the ranges are its files. One that commits none
 * (Kafka) sends in order, every chunk a producer thread sent being confirmed before it stopped: the
 * delivered count is a prefix. Files are a prefix with one worker; with several, each worker stops
 * at its own chunk and the last ones leave gaps: the gaps' records are judged as never sent (they
 * must be nowhere), the rest as usual.
 */
export function producedPart(generation: DatasetManifest): ProducedPart {
  const produced = { ...generation, count: generation.records };
  if (generation.files.length === 0) return { generation: produced, judgedCount: generation.records };
  const ranges = generation.files.map((f) => [f.firstIndex, f.firstIndex + f.count] as const).sort((a, b) => a[0] - b[0]);
  let prefix = 0;
  for (const [first, end] of ranges) if (first === prefix) prefix = end;
  const last = ranges.at(-1)?.[1] ?? 0;
  if (last === prefix) return { generation: produced, judgedCount: prefix };
  return {
    generation: produced,
    judgedCount: last,
    produced: (index) => {
      // The last range starting at or before index, by bisection.
      let low = 0;
      let high = ranges.length;
      while (low < high) {
        const mid = (low + high) >> 1;
        if ((ranges[mid] as readonly [number, number])[0] <= index) low = mid + 1;
        else high = mid;
      }
      const range = ranges[low - 1];
      return range !== undefined && index < range[1];
    },
  };
}

/** The verdict of an aborted run fails, naming the bound that broke; what landed is still judged by the other checks. */
export function abortedCheck(aborted: AbortRecord): CheckResult {
  return {
    name: 'aborted',
    dataset: aborted.dataset,
    status: 'fail',
    summary: `${describeAbort(aborted)}: the run was stopped with this SLO lost (abortOnFail); the other checks judge what was produced`,
    figures: { second: aborted.second, actual: aborted.actual, limit: aborted.limit },
    slos: [{ name: aborted.slo, bound: 'max', limit: aborted.limit, actual: aborted.actual, met: false }],
    samples: {},
  };
}
