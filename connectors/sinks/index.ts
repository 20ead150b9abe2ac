import type { SinkComponent } from './sink.ts';
import type { SinkLocation, SinkSpec } from './specs.ts';

export type { SinkLocation, SinkSpec } from './specs.ts';

type SomeSink = SinkComponent<SinkSpec, SinkLocation>;

/**
 * Every sink the harness can write and read, by the scenario's `sink.type`, loaded when a command
 * first uses it: a run on PostgreSQL never loads the Elasticsearch client. A new sink is one folder
 * plus one line here and one in specs.ts. Tests may replace an entry (a component over a mock).
 */
export const sinks: Record<SinkSpec['type'], () => Promise<SomeSink>> = {
  sql: async () => (await import('./sql/index.ts')).sql,
  elasticsearch: async () => (await import('./elasticsearch/index.ts')).elasticsearch,
};

/** The component a scenario's sink spec names. */
export function sinkFor(spec: { type: SinkSpec['type'] }): Promise<SomeSink> {
  return sinks[spec.type]();
}
