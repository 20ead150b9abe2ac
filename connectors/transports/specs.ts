import type { z } from 'zod';
import { csvSpec } from './csv/spec.ts';
import { kafkaSpec } from './kafka/spec.ts';

/**
 * Every transport's part of a scenario (`transport:`), told apart by `type`. The scenario schema is
 * built from these alone; the transports themselves (index.ts) load when a run uses one. A new
 * transport: its folder, its spec here, its component in index.ts.
 */
export const transportSpecs = [csvSpec, kafkaSpec] as const;

type TransportSpec = z.output<(typeof transportSpecs)[number]>;
export type TransportType = TransportSpec['type'];
