import { z } from 'zod';
import { duration, share } from '../core/fields.ts';

/**
 * The scenario's `pipeline:` block: the reference pipeline with its settings and the faults it
 * may inject on purpose, or a pipeline of your own. Here, beside the pipeline that reads it, so
 * that the pipeline depends on no scenario code (the scenario schema is built from it).
 */

export const pipelineFaults = z
  .object({
    drop: share.default(0).describe('Share of valid records the pipeline silently loses.'),
    duplicateWrite: share.default(0).describe('Share of valid rows written twice, past the dedup.'),
    skipDlq: share.default(0).describe('Share of bad records dropped instead of dead-lettered.'),
    corruptValue: z.record(z.string(), share).default({}).describe('Per field name, the share of rows written with a wrong value in that field.'),
    wrongReason: share.default(0).describe('Share of dead letters written with another reason than the right one.'),
    deadLetterValid: share.default(0).describe('Share of valid records also written to the dead letters.'),
    duplicateDeadLetter: share.default(0).describe('Share of dead letters written twice.'),
    skewTimes: share.default(0).describe('Share of rows whose produced_at is set after their ingested_at.'),
    doubleCount: share.default(0).describe("Share of records (LoL matches, by match id) the sink's statistics count twice; their rows land once."),
    maxRowsPerSec: z
      .number()
      .positive()
      .optional()
      .describe('Caps the rows the pipeline writes per second, like a sink that can take no more: a known capacity for harness find-max to find.'),
    pauseAt: z
      .object({
        after: duration.describe("When the pause begins, counted from the pipeline's start (e.g. 4s)."),
        for: duration.describe('How long the pipeline takes no batch (e.g. 5s).'),
      })
      .strict()
      .optional()
      .describe(
        'Stops the pipeline taking batches once, for a while, as a stalled consumer would: the per-second series shows the stall and the backlog it leaves.',
      ),
  })
  .strict();

export const pipelineSpec = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('reference').describe("The harness's own pipeline: validate, dead-letter, transform, sink."),
      batchSize: z.number().int().min(1).max(100_000).default(5000).describe('Records per sink transaction.'),
      futureTolerance: duration.prefault('1h').describe('Event times beyond now + this are future_timestamp.'),
      pollInterval: duration
        .prefault('100ms')
        .describe(
          "How often an idle source looks for new files: with the file transport, up to this much is added to a record's latency after its file is rotated in.",
        ),
      faults: pipelineFaults.optional().describe('Faults injected on purpose, to prove the verifier catches them.'),
    })
    .strict(),
  z
    .object({
      type: z.literal('external').describe('Your own pipeline consumes the data; the harness only generates and verifies.'),
      waitFor: duration.prefault('60s').describe('How long verify waits for the sink to reach the expected count.'),
    })
    .strict(),
]);

export type PipelineSpec = z.output<typeof pipelineSpec>;
export type ReferencePipelineSpec = Extract<PipelineSpec, { type: 'reference' }>;
export type PipelineFaults = z.output<typeof pipelineFaults>;
/** The faults that strike a share of records, each by its key (pipeline/faults.ts faultHits). */
export type SharedPipelineFault = { [K in keyof PipelineFaults]-?: PipelineFaults[K] extends number ? K : never }[keyof PipelineFaults];
