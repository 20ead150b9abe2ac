import { Samples, slo, statusOf, type Check } from '../check.ts';

/**
 * The sink holds this run's rows, not an earlier run's: keys are bound to the run's seed and base
 * time, so rows of another run carry keys no record of this run has; and every row landed between
 * the run's start and verification, so a reused pinned base time cannot pass on old rows either.
 */
export const freshness: Check = {
  name: 'freshness',
  description: 'Rows belong to this run: keys of this run, ingested inside the run window.',
  begin(context) {
    const { startMs, endMs } = context.window;
    let rows = 0;
    let foreign = 0;
    let outside = 0;
    const samples = { foreignKeys: new Samples(), outsideWindow: new Samples() };
    return {
      row(observed) {
        const { row, origin } = observed;
        rows++;
        if (origin === null) {
          foreign++;
          samples.foreignKeys.add(() => observed.key);
        }
        const at = row.ingestedAtMs;
        if (at !== null && (at < startMs || at > endMs)) {
          outside++;
          samples.outsideWindow.add(() => `${observed.key} ingested ${new Date(at).toISOString()}`);
        }
      },
      finish() {
        const slos = [...slo('freshness.foreignRows', 'max', 0, foreign), ...slo('freshness.rowsOutsideRun', 'max', 0, outside)];
        const stale = foreign > 0 && foreign === rows;
        const window = `${new Date(startMs).toISOString()} .. ${new Date(endMs).toISOString()}`;
        return {
          name: 'freshness',
          dataset: context.dataset,
          status: statusOf(slos),
          summary: stale
            ? `the sink holds ${foreign} rows of another run (keys of another seed or base time) and none of this run's: nothing consumed this run. Empty it (sink.reset, or \`harness sink init --reset\`) before a run`
            : `${rows - foreign - outside} of ${rows} rows belong to this run: ${foreign} with keys of another run, ${outside} ingested outside the run (${window})`,
          figures: { rows, foreignRows: foreign, rowsOutsideRun: outside, windowStartMs: startMs, windowEndMs: endMs },
          slos,
          samples: { foreignKeys: samples.foreignKeys.items, outsideWindow: samples.outsideWindow.items },
        };
      },
    };
  },
};
