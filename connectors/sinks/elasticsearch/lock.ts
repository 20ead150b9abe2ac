import { hostname } from 'node:os';
import type { Client } from '@elastic/elasticsearch';
import { HarnessError } from '../../../core/errors.ts';
import type { DatasetName } from '../../../generators/generator.ts';
import { waitOutOutage } from '../../../pipeline/outage.ts';
import type { LockHolder, SinkLock } from '../sink.ts';
import { esJudge, esMessage, explainAuthFailure, statusOf } from './failures.ts';
import { createIfMissing, indexPlans } from './indices.ts';
import { lockMapping } from './mapping.ts';
import type { ElasticsearchSinkSpec } from './spec.ts';

/**
 * A lock held by a process that stopped renewing it (killed, or cut off from the cluster) this long
 * ago is stale: the next run takes it over. A live holder renews it every RENEW_MS.
 */
export const LOCK_TTL_MS = 60_000;
const RENEW_MS = 15_000;

interface LockDocument {
  holder: string;
  run_id: string;
  host: string;
  pid: number;
  taken_at: number;
  renewed_at: number;
}

/** A lock document this process wrote, and the version it wrote (so it only ever changes or deletes its own). */
interface Held {
  id: string;
  seqNo: number;
  primaryTerm: number;
}

export interface LockOptions {
  description: string;
  log?: (line: string) => void;
}

/**
 * A run holds every index it writes (each dataset's and its statistics', the dead letters', the
 * checkpoints') with one document per index in the lock index, created with `op_type: create`, so a
 * second run on any of them is refused at once with the holder's name instead of deleting the first
 * run's indices under it. Processes of the same run (harness pipeline beside its harness run) share the lock. Unlike a
 * PostgreSQL session lock, a document outlives a killed process: the holder renews it, and one not
 * renewed for LOCK_TTL_MS is taken over (conditionally on its version, so two runs never both win).
 */
export async function lockIndices(
  client: Client,
  spec: ElasticsearchSinkSpec,
  datasets: readonly DatasetName[],
  who: LockHolder,
  options: LockOptions,
): Promise<SinkLock> {
  const { indices } = spec;
  const names = [...new Set(indexPlans(spec, datasets).map((plan) => plan.name))];
  const log = who.log ?? options.log ?? (() => {});
  const judge = esJudge(options.description);
  const mine: LockDocument = { holder: who.holder, run_id: who.runId, host: hostname(), pid: process.pid, taken_at: Date.now(), renewed_at: Date.now() };
  await waitOutOutage(
    judge,
    `connecting to lock the indices ${names.join(', ')}`,
    () =>
      createIfMissing(client, indices.locks, { number_of_shards: 1, number_of_replicas: spec.replicas }, lockMapping).catch((error: unknown) => {
        throw explainAuthFailure(error, options.description, `creating the lock index ${indices.locks}`);
      }),
    { limitMs: spec.outageLimit },
    log,
  );

  const held: Held[] = [];
  /** Set when a renewal finds another run holding a lock this process held (cut off from the cluster for longer than LOCK_TTL_MS). */
  let takenOver: string | null = null;
  let renewing: Promise<unknown> = Promise.resolve();
  const release = async () => {
    clearInterval(renewal);
    // A renewal in flight would change the version the delete is conditional on.
    await renewing;
    // Only the version this process wrote: a lock taken over meanwhile is the new holder's.
    await Promise.all(held.map((h) => client.delete({ index: indices.locks, id: h.id, if_seq_no: h.seqNo, if_primary_term: h.primaryTerm }).catch(() => {})));
    held.length = 0;
  };
  const renewal = setInterval(() => {
    renewing = Promise.all(
      held.map((h) =>
        client
          .index({ index: indices.locks, id: h.id, document: { ...mine, renewed_at: Date.now() }, if_seq_no: h.seqNo, if_primary_term: h.primaryTerm })
          .then((r) => {
            h.seqNo = r._seq_no ?? h.seqNo;
            h.primaryTerm = r._primary_term ?? h.primaryTerm;
          })
          .catch((error: unknown) => {
            if (statusOf(error) !== 409) return;
            takenOver ??= `the lock on index ${h.id} was taken over by another run after ${LOCK_TTL_MS / 1000} s without renewal`;
            log(takenOver);
          }),
      ),
    );
  }, RENEW_MS);
  renewal.unref();

  try {
    for (const id of names) {
      const taken = await take(client, indices.locks, id, { ...mine, renewed_at: Date.now() }, who, log);
      if (taken) held.push(taken);
    }
  } catch (error) {
    await release();
    if (error instanceof HarnessError) throw error;
    throw new HarnessError('unreachable', `locking the indices on ${options.description} failed: ${esMessage(error)}`, { cause: error });
  }
  return {
    // A lock taken over is not taken back: the other run is writing now.
    hold() {
      if (!takenOver) return Promise.resolve();
      return Promise.reject(
        new HarnessError(
          'unreachable',
          `${options.description}: ${takenOver}; this run stops rather than write beside it (run it again once the other has finished)`,
        ),
      );
    },
    release,
  };
}

/**
 * Takes one index's lock: creates its document, or takes over a stale one (a killed run's, or this
 * run's own before `harness resume`). Null when another live process of the same run holds it
 * (shared: that process renews and releases it).
 */
async function take(client: Client, lockIndex: string, id: string, doc: LockDocument, who: LockHolder, log: (line: string) => void): Promise<Held | null> {
  try {
    const created = await client.create({ index: lockIndex, id, document: doc });
    return { id, seqNo: created._seq_no ?? 0, primaryTerm: created._primary_term ?? 1 };
  } catch (error) {
    if (statusOf(error) !== 409) throw error;
  }
  const current = await client.get<LockDocument>({ index: lockIndex, id }, { ignore: [404] });
  // Released between the two calls: try once more.
  if (!current.found || !current._source) return take(client, lockIndex, id, doc, who, log);
  const holder = current._source;
  const age = Date.now() - holder.renewed_at;
  if (age < LOCK_TTL_MS && holder.run_id === who.runId) return null;
  if (age < LOCK_TTL_MS) {
    throw new HarnessError(
      'config',
      `index ${id} is in use by ${holder.holder} (pid ${holder.pid} on ${holder.host}, lock renewed ${Math.max(0, Math.round(age / 1000))} s ago): wait for it to finish, or give this run other sink.indices. A lock not renewed for ${LOCK_TTL_MS / 1000} s is taken over`,
    );
  }
  try {
    const taken = await client.index({ index: lockIndex, id, document: doc, if_seq_no: current._seq_no, if_primary_term: current._primary_term });
    log(`took over the lock on index ${id} from ${holder.holder} (pid ${holder.pid} on ${holder.host}), not renewed for ${Math.round(age / 1000)} s`);
    return { id, seqNo: taken._seq_no ?? 0, primaryTerm: taken._primary_term ?? 1 };
  } catch (error) {
    if (statusOf(error) === 409) throw new HarnessError('config', `index ${id}: another run took over its stale lock at the same moment; try again`);
    throw error;
  }
}
