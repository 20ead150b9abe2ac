// log-update (kept by sindresorhus): it redraws a block of lines in place (diffing frames), wraps to
// the terminal's width, hides the cursor meanwhile and writes a line above the block (`persist`)
// without tearing it. That is all the live view needs; a TUI framework would bring the rest unused.
import { createLogUpdate } from 'log-update';
import { HarnessError } from '../core/errors.ts';
import { parseDuration } from '../core/duration.ts';
import type { DatasetFigures, ProgressView, RunMonitor } from '../runner/monitor.ts';
import type { CliIo } from './io.ts';
import type { ProgressFlags } from './progress-options.ts';

export interface ProgressOptions {
  /** `--verbose`: the pipeline's line per batch too. */
  verbose?: boolean;
  /** `--quiet`: nothing but errors and the final table. */
  quiet?: boolean;
  /** `--progress-interval`: off a terminal, a line per dataset this often. */
  intervalMs: number;
  /** How often the block is redrawn on a terminal. */
  redrawMs?: number;
}

export function parseProgressInterval(text: string): number {
  const ms = parseDuration(text);
  if (ms === null || ms <= 0) throw new HarnessError('usage', `--progress-interval takes a duration like 10s or 500ms, got "${text}"`);
  return ms;
}

/**
 * How `run`, `resume` and `pipeline` show progress. On a terminal, a block redrawn once a second,
 * one line per dataset, with the run's other lines written above it; off one (CI logs), the same
 * lines every `--progress-interval`. The pipeline's line per batch only with `--verbose`.
 */
export class Progress implements ProgressView {
  readonly log: (line: string) => void;
  readonly batchLog: ((line: string) => void) | undefined;
  private monitor: RunMonitor | null = null;
  private timer: NodeJS.Timeout | null = null;
  private block: ReturnType<typeof createLogUpdate> | null = null;

  constructor(
    private readonly io: CliIo,
    private readonly options: ProgressOptions,
  ) {
    this.log = options.quiet ? () => {} : (line) => this.line(line);
    this.batchLog = options.verbose && !options.quiet ? this.log : undefined;
  }

  watch(monitor: RunMonitor): void {
    if (this.options.quiet) return;
    this.monitor = monitor;
    const terminal = this.io.terminal;
    if (terminal?.isTTY) {
      this.block = createLogUpdate(terminal.stream);
      this.redraw();
      this.timer = setInterval(() => this.redraw(), this.options.redrawMs ?? 1000);
    } else {
      this.timer = setInterval(() => {
        for (const figures of monitor.figures()) this.io.stderr(`progress ${formatFigures(figures)}\n`);
      }, this.options.intervalMs);
    }
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.block) {
      this.redraw();
      this.block.done();
    }
    this.block = null;
    this.monitor = null;
  }

  private redraw(): void {
    if (this.block && this.monitor) this.block(this.monitor.figures().map(formatFigures).join('\n'));
  }

  /** A line above the block: the block is erased, the line written, the block drawn again under it. */
  private line(line: string): void {
    if (!this.block) {
      this.io.stderr(`${line}\n`);
      return;
    }
    this.block.persist(line);
    this.redraw();
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const perSec = (rate: number | null) => (rate === null ? '-' : `${Math.round(rate)}/s`);
const latency = (ms: number | null) => (ms === null ? '-' : ms < 1000 ? `${ms} ms` : seconds(ms));

/** One dataset on one line: where it is against its plan, how fast each side goes, how far behind, how slow. */
export function formatFigures(f: DatasetFigures): string {
  return [
    `[${f.dataset}]`,
    `${seconds(f.elapsedMs)} / ${f.plannedMs === null ? '-' : seconds(f.plannedMs)}`,
    f.stage,
    `target ${perSec(f.targetPerSec)}`,
    `produced ${perSec(f.producedPerSec)}`,
    `ingested ${perSec(f.ingestedPerSec)}`,
    `backlog ${f.backlog ?? '-'}`,
    `p99 ${latency(f.p99Ms)}`,
    `ETA ${f.etaMs === null ? '-' : seconds(f.etaMs)}`,
  ].join('  ');
}

export function progressFor(io: CliIo, flags: ProgressFlags): Progress {
  return new Progress(io, {
    intervalMs: parseProgressInterval(flags.progressInterval),
    ...(flags.quiet ? { quiet: true } : {}),
    ...(flags.verbose ? { verbose: true } : {}),
  });
}
