import type { Check } from '../check.ts';
import { dlqCapture } from './dlq-capture.ts';
import { exactlyOnce } from './exactly-once.ts';
import { latency } from './latency.ts';
import { throughput } from './throughput.ts';

/** Every check the verifier runs, in report order. A new check is one file plus one line here. */
export const checks = { exactlyOnce, dlqCapture, latency, throughput } satisfies Record<string, Check>;
