import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Progress } from '../../cli/progress.ts';
import type { CommittedFile } from '../../connectors/transports/transport.ts';
import { loadProfileSpec, scheduleFor, type Schedule } from '../../generators/load/index.ts';
import type { SourceRecord } from '../../pipeline/source.ts';
import { RunMonitor } from '../../runner/monitor.ts';
import { scenarioSchema } from '../../scenarios/schema.ts';

/**
 * The monitor's figures from events whose times are known, and the live view's frames. The clock
 * is a variable the test moves: every figure is then exact arithmetic on the events.
 */
const START = 1_700_000_000_000;

function latencySlos(latency: Record<string, unknown> = {}) {
  return scenarioSchema.shape.slos.parse({ latency }).latency;
}

/** 1000 records/s for 10 s: record i is due i ms after the start. */
function steady(): Schedule {
  return scheduleFor({ rate: 0, load: loadProfileSpec.parse({ executor: 'constant-arrival-rate', rate: 1000, duration: '10s' }) }, START);
}

function file(number: number, firstIndex: number, count: number): CommittedFile {
  return { name: `ecommerce-${number}.csv`, firstIndex, count, headerLines: 1, committedAtMs: START };
}

/** The records of a CSV file as its source hands them out: line 2 onwards, no index carried. */
function linesOf(f: CommittedFile, producedAtMs: number): SourceRecord[] {
  return Array.from({ length: f.count }, (_, i) => ({ bytes: Buffer.alloc(0), source: f.name, position: i + 2, producedAtMs, recordIndex: null }));
}

function monitorAt(clock: { now: number }, schedule: Schedule, slos = latencySlos()) {
  return new RunMonitor([{ name: 'ecommerce', schedule, count: 10_000, startedAtMs: () => START }], slos, () => clock.now);
}

describe('RunMonitor', () => {
  it('figures rates over the last 2 s, backlog in records, stage and target from the schedule, corrected p99 and an ETA', () => {
    const clock = { now: START };
    const monitor = monitorAt(clock, steady());
    const [first, second] = [file(1, 0, 1000), file(2, 1000, 1000)];
    clock.now = START + 1000;
    monitor.delivered('ecommerce', 1000, first);
    clock.now = START + 2000;
    monitor.delivered('ecommerce', 1000, second);
    monitor.batch('ecommerce', { records: linesOf(first, START + 1000), deadLettered: 5, committedAtMs: START + 2500 });
    clock.now = START + 2500;
    const [figures] = monitor.figures();
    expect(figures).toMatchObject({
      dataset: 'ecommerce',
      elapsedMs: 2500,
      plannedMs: 9999,
      stage: 'stage 1 (steady 1000/s)',
      targetPerSec: 1000,
      // 2000 records delivered within the last 2 s; 1000 handled.
      producedPerSec: 1000,
      ingestedPerSec: 500,
      produced: 2000,
      ingested: 995,
      deadLettered: 5,
      backlog: 1000,
      // The schedule's end: the backlog would drain sooner at 500/s (2 s).
      etaMs: 7499,
    });
    // Corrected: record i committed at 2.5 s was due at i ms; its p99 is record ~10's (HdrHistogram: 3 digits).
    expect(figures!.p99Ms).toBeGreaterThanOrEqual(2485);
    expect(figures!.p99Ms).toBeLessThanOrEqual(2495);
  });

  it('shows ingestion as unknown until something reports it (an external pipeline), then counts it', () => {
    const clock = { now: START + 4000 };
    const monitor = monitorAt(clock, steady());
    monitor.delivered('ecommerce', 3000, null);
    expect(monitor.figures()[0]).toMatchObject({ ingested: null, ingestedPerSec: null, backlog: null, p99Ms: null, etaMs: 9999 - 4000 });
    monitor.ingested('ecommerce', 2000);
    expect(monitor.figures()[0]).toMatchObject({ ingested: 2000, backlog: 1000, ingestedPerSec: 1000, etaMs: 9999 - 4000 });
    // Past the schedule's end: the backlog at the recent ingest rate, unknown while nothing drains it.
    clock.now = START + 11_000;
    monitor.delivered('ecommerce', 7000, null);
    monitor.ingested('ecommerce', 4000);
    expect(monitor.figures()[0]).toMatchObject({ backlog: 4000, ingestedPerSec: 2000, etaMs: 2000 });
    clock.now = START + 14_000;
    expect(monitor.figures()[0]).toMatchObject({ backlog: 4000, ingestedPerSec: 0, etaMs: null });
    // Aborted: no plan any more, what is left is the backlog's drain.
    monitor.producersStopped();
    monitor.ingested('ecommerce', 1000);
    expect(monitor.figures()[0]).toMatchObject({
      stage: 'producers stopped',
      targetPerSec: 0,
      plannedMs: null,
      backlog: 3000,
      ingestedPerSec: 500,
      etaMs: 6000,
    });
  });

  it('without a rate: no plan, no target, the ETA from the recent production rate; latency as measured', () => {
    const clock = { now: START + 1000 };
    const monitor = monitorAt(clock, scheduleFor({ rate: 0 }, START));
    monitor.delivered('ecommerce', 2000, null);
    clock.now = START + 2000;
    expect(monitor.figures()[0]).toMatchObject({ plannedMs: null, targetPerSec: null, stage: 'as fast as possible', producedPerSec: 1000, etaMs: 8000 });
    monitor.batch('ecommerce', {
      records: [{ bytes: Buffer.alloc(0), source: 'topic:0', position: 0, producedAtMs: START + 1700, recordIndex: 0 }],
      deadLettered: 0,
      committedAtMs: START + 2000,
    });
    expect(monitor.figures()[0]!.p99Ms).toBe(300);
  });

  it('names the stage of a ramp, and the wait before a dataset starts', () => {
    const ramp = scheduleFor(
      {
        rate: 0,
        load: loadProfileSpec.parse({
          executor: 'ramping-arrival-rate',
          startRate: 0,
          startTime: '2s',
          stages: [
            { target: 100, duration: '4s' },
            { target: 100, duration: '4s' },
          ],
        }),
      },
      START,
    );
    const clock = { now: START + 1000 };
    const monitor = monitorAt(clock, ramp);
    expect(monitor.figures()[0]).toMatchObject({ stage: 'starts at 2 s', targetPerSec: 0 });
    clock.now = START + 4000;
    expect(monitor.figures()[0]).toMatchObject({ stage: ramp.stages[0]!.label, targetPerSec: 50 });
    clock.now = START + 7000;
    expect(monitor.figures()[0]).toMatchObject({ stage: ramp.stages[1]!.label, targetPerSec: 100 });
  });

  it('reports a broken latency bound only with abortOnFail, once delayAbortEval has passed, over the recent window', () => {
    const clock = { now: START + 2500 };
    const slow = (monitor: RunMonitor) => {
      const f = file(1, 0, 1000);
      monitor.delivered('ecommerce', 1000, f);
      monitor.batch('ecommerce', { records: linesOf(f, START + 1000), deadLettered: 0, committedAtMs: START + 2500 });
    };
    const aborting = monitorAt(clock, steady(), latencySlos({ p99: '1s', abortOnFail: true, delayAbortEval: '3s' }));
    const merely = monitorAt(clock, steady(), latencySlos({ p99: '1s' }));
    slow(aborting);
    slow(merely);
    expect(aborting.breach()).toBeNull();
    clock.now = START + 3200;
    expect(merely.breach()).toBeNull();
    const breach = aborting.breach();
    expect(breach).toMatchObject({ atMs: START + 3200, second: 3, dataset: 'ecommerce', stage: 'stage 1 (steady 1000/s)', slo: 'latency.p99', limit: 1000 });
    expect(breach!.actual).toBeGreaterThan(2400);
    // Five seconds later the slow batch has left the window: nothing recent breaks the bound.
    clock.now = START + 8200;
    expect(aborting.breach()).toBeNull();
  });
});

/** A real stream standing for the terminal: it keeps what is written, as a terminal would show it. */
function recordingStream(): { stream: Writable & { columns: number }; written: string[] } {
  const written: string[] = [];
  const stream = Object.assign(
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        written.push(chunk.toString());
        done();
      },
    }),
    { columns: 200 },
  );
  return { stream, written };
}

describe('the live view', () => {
  it('on a terminal redraws one block in place, with other lines written above it', async () => {
    const clock = { now: START + 1000 };
    const monitor = monitorAt(clock, steady());
    const { stream, written } = recordingStream();
    const stderr: string[] = [];
    const progress = new Progress(
      { stdout: () => {}, stderr: (t) => stderr.push(t), env: {}, cwd: '.', terminal: { stream, isTTY: true } },
      { intervalMs: 10_000, redrawMs: 20 },
    );
    progress.watch(monitor);
    expect(written.join('')).toContain(
      '[ecommerce]  1.0 s / 10.0 s  stage 1 (steady 1000/s)  target 1000/s  produced 0/s  ingested -  backlog -  p99 -  ETA 9.0 s',
    );
    clock.now = START + 2000;
    await sleep(100);
    progress.log('sink tables ready');
    progress.stop();
    const all = written.join('');
    expect(all).toContain('[ecommerce]  2.0 s / 10.0 s');
    // Redrawn in place (cursor moved up, line erased), not appended; the log line went above the block.
    expect(all).toContain('\u001B[2K');
    expect(all.indexOf('sink tables ready')).toBeGreaterThan(all.indexOf('[ecommerce]  2.0 s'));
    expect(stderr).toEqual([]);
  });

  it('off a terminal writes one plain line per dataset every --progress-interval, and nothing with --quiet', async () => {
    const clock = { now: START + 1000 };
    const monitor = monitorAt(clock, steady());
    const lines: string[] = [];
    const io = { stdout: () => {}, stderr: (t: string) => lines.push(t), env: {}, cwd: '.' };
    const progress = new Progress(io, { intervalMs: 40 });
    progress.watch(monitor);
    progress.log('sink tables ready');
    await sleep(150);
    progress.stop();
    const count = lines.length;
    await sleep(100);
    expect(lines.length).toBe(count);
    expect(lines[0]).toBe('sink tables ready\n');
    const progressLines = lines.slice(1);
    expect(progressLines.length).toBeGreaterThanOrEqual(2);
    expect(progressLines.length).toBeLessThanOrEqual(4);
    for (const line of progressLines)
      expect(line).toBe(
        'progress [ecommerce]  1.0 s / 10.0 s  stage 1 (steady 1000/s)  target 1000/s  produced 0/s  ingested -  backlog -  p99 -  ETA 9.0 s\n',
      );
    expect(progress.batchLog).toBeUndefined();

    const quiet = new Progress({ ...io, stderr: (t: string) => lines.push(`quiet: ${t}`) }, { intervalMs: 20, quiet: true, verbose: true });
    quiet.watch(monitor);
    quiet.log('not shown');
    await sleep(80);
    quiet.stop();
    expect(lines.filter((l) => l.startsWith('quiet'))).toEqual([]);
    expect(quiet.batchLog).toBeUndefined();
    const verbose = new Progress(io, { intervalMs: 20, verbose: true });
    expect(verbose.batchLog).toBe(verbose.log);
  });
});
