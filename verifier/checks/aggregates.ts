import { roundTo } from '../../pipeline/output.ts';
import { describeGroup, StatisticsAccumulator, statisticsKey, type StatisticField, type StatisticsRow } from '../../pipeline/statistics.ts';
import { Samples, slo, statusOf, type Check, type CheckContext, type CheckResult } from '../check.ts';

/**
 * How far a statistic's field may be from the truth: counts not at all; a rate or average half a
 * unit of its declared decimals (0.005 for seed 002's), whether the pipeline rounds it to them (win
 * rate) or keeps it as computed (averages), plus a millionth of the value for what a 4-byte float
 * column loses.
 */
export function statisticTolerance(field: StatisticField, expected: number): number {
  if (field.spec.type === 'bigint' || field.spec.type === 'integer') return 0;
  return 0.5 * 10 ** -(field.spec.decimals ?? 6) + Math.abs(expected) * 1e-6;
}

/**
 * The pipeline's statistics equal those recomputed from the regenerated truth: every statistic the
 * dataset declares, every group in every window and in total, over the records that must land
 * (valid and late, each once however often it was sent). A group is a statistic's group value in one
 * window, or its total.
 */
export const aggregates: Check = {
  name: 'aggregates',
  description:
    'Statistics kept by the pipeline (per window and in total) vs those recomputed from the regenerated truth: counts exactly, rates and averages within half a unit of their declared decimals.',
  appliesTo: (context) => context.statistics.length > 0,
  begin(context) {
    const seen = new Map<string, StatisticsRow>();
    let rows = 0;
    let repeated = 0;
    const samples = { missing: new Samples(), wrong: new Samples(), extra: new Samples() };
    return {
      statistic(row) {
        rows++;
        const key = statisticsKey(row);
        if (!seen.has(key)) {
          seen.set(key, row);
          return;
        }
        repeated++;
        samples.extra.add(() => `${describeGroup(row)} (a second row for it)`);
      },
      finish() {
        const kept = context.statisticsKept;
        if (kept.kind === 'not-kept') return notApplicable(context);
        if (kept.kind === 'unreadable') return unreadable(context, kept.reader);
        const fields = new Map(context.statistics.map((s) => [s.name, Object.entries(s.fields)]));
        const perField = new Map([...fields].flatMap(([statistic, entries]) => entries.map(([name]): [string, number] => [`${statistic}.${name}`, 0])));
        const expected = truth(context);
        let compared = 0;
        let wrong = 0;
        let missing = 0;
        for (const want of expected) {
          const key = statisticsKey(want);
          const got = seen.get(key);
          if (!got) {
            missing++;
            samples.missing.add(() => describeGroup(want));
            continue;
          }
          seen.delete(key);
          compared++;
          let bad = false;
          for (const [name, f] of fields.get(want.statistic) ?? []) {
            const e = want.values[name] as number;
            const a = got.values[name] ?? null;
            if (a !== null && Math.abs(a - e) <= statisticTolerance(f, e)) continue;
            bad = true;
            perField.set(`${want.statistic}.${name}`, (perField.get(`${want.statistic}.${name}`) ?? 0) + 1);
            samples.wrong.add(() => `${describeGroup(want)} ${name}: expected ${show(e)}, got ${a === null ? 'NULL' : show(a)}`);
          }
          if (bad) wrong++;
        }
        for (const row of seen.values()) samples.extra.add(() => `${describeGroup(row)} (no match of this run falls in it)`);
        const extra = seen.size + repeated;
        const slos = [
          ...slo('aggregates.groupsWrong', 'max', 0, wrong),
          ...slo('aggregates.missing', 'max', 0, missing),
          ...slo('aggregates.extra', 'max', 0, extra),
        ];
        const what = context.statistics.map((s) => s.name).join(' and ');
        return {
          name: 'aggregates',
          dataset: context.dataset,
          status: statusOf(slos),
          summary:
            rows === 0 && expected.length > 0
              ? `no statistics rows in ${kept.where} for ${expected.length} expected groups: the pipeline kept none`
              : `${compared} of ${expected.length} groups compared (${what}, each window and total, in ${kept.where}): ${wrong} wrong, ${missing} missing, ${extra} extra; counts exact, the rest ${toleranceText(context)}`,
          figures: {
            groupsExpected: expected.length,
            rows,
            groupsCompared: compared,
            groupsWrong: wrong,
            missing,
            extra,
            ...Object.fromEntries([...perField].map(([name, n]) => [`wrong.${name}`, n])),
          },
          slos,
          samples: { missing: samples.missing.items, wrong: samples.wrong.items, extra: samples.extra.items },
        };
      },
    };
  },
};

/** Every declared statistic over the rows of every record that must land, regenerated: the truth. */
function truth(context: CheckContext): StatisticsRow[] {
  const { oracle, output } = context;
  const accumulators = context.statistics.map((statistic) => new StatisticsAccumulator(statistic));
  for (let index = 0; index < oracle.count; index++) {
    const outcome = oracle.outcome(index);
    if (outcome.type !== 'land') continue;
    for (const row of output.expectedRows(oracle.generator, index, outcome.plan)) {
      for (const accumulator of accumulators) accumulator.add(row);
    }
  }
  return accumulators.flatMap((accumulator) => accumulator.rows());
}

function toleranceText(context: CheckContext): string {
  const decimals = new Set(context.statistics.flatMap((s) => Object.values(s.fields)).flatMap((f) => (f.spec.type === 'bigint' ? [] : [f.spec.decimals ?? 6])));
  return `within ${[...decimals].map((d) => `±${0.5 * 10 ** -d}`).join(' / ')}`;
}

function show(value: number): string {
  return String(roundTo(value, 6));
}

function emptyFigures(): CheckResult['figures'] {
  return { groupsExpected: null, rows: 0, groupsCompared: 0, groupsWrong: 0, missing: 0, extra: 0 };
}

/** The scenario says the pipeline under test keeps no statistics: nothing to judge, and the report says so. */
function notApplicable(context: CheckContext): CheckResult {
  return {
    name: 'aggregates',
    dataset: context.dataset,
    status: 'pass',
    summary: `does not apply: the scenario says the pipeline under test keeps no statistics (sink.statistics: false), so the ${context.statistics.map((s) => s.name).join(' and ')} statistics were not compared`,
    figures: emptyFigures(),
    slos: [],
    samples: {},
  };
}

/** A reader that cannot read statistics proves nothing about them: fail closed. */
function unreadable(context: CheckContext, reader: string): CheckResult {
  return {
    name: 'aggregates',
    dataset: context.dataset,
    status: statusOf([], false),
    summary: `the sink's reader (${reader}) cannot read statistics, so nothing proves the ${context.statistics.map((s) => s.name).join(' and ')} statistics: this sink cannot pass aggregates until its reader can (SinkReader.scanStatistics)`,
    figures: emptyFigures(),
    slos: [],
    samples: {},
  };
}
