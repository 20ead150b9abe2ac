import { elasticsearchSinkSpec, type ElasticsearchLocation, type ElasticsearchSinkSpec } from './elasticsearch/spec.ts';
import { sqlSinkSpec, type SqlLocation, type SqlSinkSpec } from './sql/spec.ts';

/**
 * Every sink's part of a scenario (`sink:`), told apart by `type`. The scenario schema is built from
 * these alone; the sinks themselves (index.ts) load when a command uses one. A new sink: its
 * folder, its spec here, its component in index.ts.
 */
export const sinkSpecs = [sqlSinkSpec, elasticsearchSinkSpec] as const;

export type SinkSpec = SqlSinkSpec | ElasticsearchSinkSpec;
export type SinkLocation = SqlLocation | ElasticsearchLocation;
