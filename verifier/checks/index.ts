import type { Check } from '../check.ts';
import { aggregates } from './aggregates.ts';
import { dlqCapture } from './dlq-capture.ts';
import { dlqTopic } from './dlq-topic.ts';
import { exactlyOnce } from './exactly-once.ts';
import { freshness } from './freshness.ts';
import { latency } from './latency.ts';
import { series } from './series.ts';
import { throughput } from './throughput.ts';
import { values } from './values.ts';

/** Every check the verifier runs, in report order. A new check is one file plus one line here. */
export const checks = { exactlyOnce, values, dlqCapture, dlqTopic, aggregates, freshness, latency, throughput, series } satisfies Record<string, Check>;
