import { elasticsearch } from './elasticsearch/index.ts';
import { elasticsearchSinkSpec, type ElasticsearchLocation, type ElasticsearchSinkSpec } from './elasticsearch/spec.ts';
import type { SinkComponent } from './sink.ts';
import { sql } from './sql/index.ts';
import { sqlSinkSpec, type SqlLocation, type SqlSinkSpec } from './sql/spec.ts';

export type SinkSpec = SqlSinkSpec | ElasticsearchSinkSpec;
export type SinkLocation = SqlLocation | ElasticsearchLocation;

/** Every sink the harness can write and read, by the scenario's `sink.type`. A new sink is one folder plus one line here. */
export const sinks = { sql, elasticsearch } satisfies Record<SinkSpec['type'], SinkComponent<SinkSpec, SinkLocation>>;

/** The component a scenario's sink spec names. */
export function sinkFor(spec: SinkSpec): SinkComponent<SinkSpec, SinkLocation> {
  return sinks[spec.type];
}

/** Each sink's scenario spec, discriminated by `type`, for the scenario schema. */
export const sinkSpecs = [sqlSinkSpec, elasticsearchSinkSpec] as const;
