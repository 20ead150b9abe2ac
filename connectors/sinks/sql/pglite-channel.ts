import type { Worker } from 'node:worker_threads';
import { messageOf } from '../../../core/errors.ts';
import { startModuleWorker } from '../../../core/module-worker.ts';
import { OPENING_ID, rebuildError, type PgliteMessage, type PgliteReply, type PgliteRequest, type PgliteWorkerData } from './pglite-protocol.ts';

export interface Answer {
  rows: Record<string, unknown>[];
  affected: number;
}

interface Waiting {
  resolve: (answer: Answer) => void;
  reject: (error: Error) => void;
  onPage: OnPage | undefined;
}

/** Sees one page of a copyOut, then acknowledges it: the thread sends another, or with `stop`, ends early. */
export type OnPage = (page: ArrayBuffer, acknowledge: (stop: boolean) => void) => void;

export interface RequestOptions {
  /** Buffers moved to the thread rather than copied: the request's own, unused after. */
  transfer?: ArrayBuffer[];
  /** Sees a copyOut's pages. */
  onPage?: OnPage;
  /** Opens a transaction first (see PgliteMessage). */
  begin?: boolean;
}

/**
 * The client's end of the thread that runs PGlite: requests out, answers back by id. It knows
 * nothing of transactions (pglite.ts orders the requests); it makes sure no request is left
 * waiting: a thread that dies (a crash, out of memory) fails every request pending and every later one.
 */
export class PgliteChannel {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = OPENING_ID + 1;
  /** Why requests fail from now on, once the thread is gone or closed. */
  private ended: { message: string; cause: unknown } | null = null;
  private readonly exited: Promise<void>;

  private constructor(
    private readonly description: string,
    dataDir: string,
  ) {
    this.worker = startModuleWorker(import.meta.url, 'pglite-thread', { dataDir } satisfies PgliteWorkerData);
    // Held only while a request waits (see `expect`): an idle database never keeps the process alive.
    this.worker.unref();
    let failure: unknown;
    this.worker.on('error', (error) => (failure = error));
    this.worker.on('message', (reply: PgliteReply) => this.settle(reply));
    this.exited = new Promise((resolve) =>
      this.worker.once('exit', (code) => {
        const why = failure === undefined ? `exited with code ${code}` : `failed: ${messageOf(failure)}`;
        this.end(
          `${description}: the thread running PGlite stopped (${why}); its open transaction is lost, and PostgreSQL recovers the data directory when it is next opened`,
          failure,
        );
        resolve();
      }),
    );
  }

  /** Starts the thread and waits for PGlite to open `dataDir` there. */
  static async open(dataDir: string, description: string): Promise<PgliteChannel> {
    const channel = new PgliteChannel(description, dataDir);
    try {
      await channel.expect(OPENING_ID);
    } catch (error) {
      await channel.worker.terminate();
      throw error;
    }
    return channel;
  }

  /** Sends one request and waits for its answer. */
  request(request: PgliteRequest, { transfer = [], onPage, begin = false }: RequestOptions = {}): Promise<Answer> {
    const id = this.nextId++;
    const answer = this.expect(id, onPage);
    if (!this.ended) this.worker.postMessage({ id, request, begin } satisfies PgliteMessage, transfer);
    return answer;
  }

  /** Closes PGlite (its files consistent on disk) and ends the thread. Requests made after fail, saying so. */
  async close(): Promise<void> {
    if (this.ended) return;
    try {
      await this.request({ op: 'close' });
    } finally {
      this.end(`${this.description} is closed`, undefined);
      await this.worker.terminate();
      await this.exited;
    }
  }

  private expect(id: number, onPage?: OnPage): Promise<Answer> {
    const { ended } = this;
    if (ended) return Promise.reject(new Error(ended.message, { cause: ended.cause }));
    return new Promise<Answer>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, onPage });
      if (this.waiting.size === 1) this.worker.ref();
    });
  }

  private settle(reply: PgliteReply): void {
    const waiting = this.waiting.get(reply.id);
    if (!waiting) return;
    if ('page' in reply) {
      waiting.onPage?.(reply.page, (stop) => {
        if (!this.ended) this.worker.postMessage({ ack: reply.id, stop } satisfies PgliteMessage);
      });
      return;
    }
    this.forget(reply.id);
    if ('error' in reply) waiting.reject(rebuildError(reply.error));
    else waiting.resolve(reply);
  }

  private forget(id: number): void {
    this.waiting.delete(id);
    if (this.waiting.size === 0) this.worker.unref();
  }

  private end(message: string, cause: unknown): void {
    this.ended ??= { message, cause };
    for (const [id, waiting] of this.waiting) {
      this.forget(id);
      waiting.reject(new Error(this.ended.message, { cause: this.ended.cause }));
    }
  }
}
