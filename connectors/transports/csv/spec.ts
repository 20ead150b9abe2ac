import { z } from 'zod';
import { duration } from '../../../core/fields.ts';

/** `transport: { type: csv, ... }` in a scenario. */
export const csvSpec = z
  .object({
    type: z.literal('csv').describe('Rotated files written atomically (temp name + rename).'),
    dir: z.string().optional().describe('Directory for the files; default: the run directory.'),
    rotateRecords: z.number().int().min(1).default(50_000).describe('Most records in one file.'),
    rotateInterval: duration
      .prefault('1s')
      .describe(
        "With a rate, also start a new file after this much time. Part of every record's latency: a record is readable only once its file is renamed into place, so it waits up to this long (half of it on average) before the pipeline can see it, plus up to pipeline.pollInterval.",
      ),
  })
  .strict();

export type CsvTransportSpec = z.output<typeof csvSpec>;

/** When a file ends: after `rotateRecords` records, or with a rate `rotateInterval` ms of them. */
export type Rotation = Pick<CsvTransportSpec, 'rotateRecords' | 'rotateInterval'>;
