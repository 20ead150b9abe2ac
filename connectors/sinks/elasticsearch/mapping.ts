import type { estypes } from '@elastic/elasticsearch';
import type { DatasetOutput, FieldSpec } from '../../../pipeline/output.ts';
import { WINDOW_START } from '../../../pipeline/statistics.ts';
import { timingColumns } from '../sql/ddl.ts';
import { measureColumn, type KeptStatistic } from '../statistics.ts';

/**
 * The mapping of each index the sink writes, derived from the dataset's declared output, and the
 * rules an existing index's mapping is held to. Times are `date` (epoch ms written, milliseconds
 * kept); numerics are scaled_float at their scale, so aggregations see the cent the source had, and
 * so are metrics held to a number of decimals (kda, the per-minute rates): the statistics sum them
 * in whole hundredths, exactly, as pipeline/statistics.ts's measures add them up. Summed as float
 * they drift: over a position's 40,000 damage-per-minute values in a 20,000-match run (300-2,800,
 * float32 each, summed in double as a node does), the sum in hundredths was wrong in 112 of 200
 * simulated runs, by up to 2.5 hundredths; as scaled_float, in none.
 */

/** The field holding the record's event time for Kibana: the output's first timestamp field (game_creation, event_timestamp). */
export function eventTimeField(output: DatasetOutput): string | null {
  return Object.entries(output.fields).find(([, f]) => f.type === 'timestamp')?.[0] ?? null;
}

export const EVENT_TIME = '@timestamp';

/** The mapping a declared field gets when the harness creates the index. */
export function fieldMapping(field: FieldSpec): estypes.MappingProperty {
  switch (field.type) {
    case 'text':
      return { type: 'keyword' };
    case 'integer':
      return { type: 'integer' };
    case 'bigint':
      return { type: 'long' };
    case 'numeric':
      return { type: 'scaled_float', scaling_factor: 10 ** (field.scale ?? 0) };
    case 'real':
      return field.decimals === undefined ? { type: 'float' } : { type: 'scaled_float', scaling_factor: 10 ** field.decimals };
    case 'boolean':
      return { type: 'boolean' };
    case 'timestamp':
      return { type: 'date' };
  }
}

/** The Elasticsearch types that hold a declared field's every value without loss, first the one the harness picks. */
const accepted: Record<FieldSpec['type'], readonly string[]> = {
  text: ['keyword', 'constant_keyword', 'wildcard', 'text', 'match_only_text'],
  integer: ['integer', 'long'],
  bigint: ['long'],
  numeric: ['scaled_float', 'double', 'float'],
  real: ['float', 'double', 'half_float', 'scaled_float'],
  boolean: ['boolean'],
  timestamp: ['date', 'date_nanos'],
};

/** A wanted field: its name and the types an existing index may map it as. */
export interface WantedField {
  name: string;
  types: readonly string[];
}

/** The types an existing index may map a declared field as, first the one fieldMapping picks. */
function acceptedTypes(field: FieldSpec): readonly string[] {
  return field.type === 'real' && field.decimals !== undefined ? ['scaled_float', 'float', 'double', 'half_float'] : accepted[field.type];
}

const dateField = (name: string): WantedField => ({ name, types: accepted.timestamp });

/** The fields the verifier reads from a dataset's index: every declared one plus produced_at and ingested_at. */
export function readFields(output: DatasetOutput): WantedField[] {
  return [...Object.entries(output.fields).map(([name, f]) => ({ name, types: acceptedTypes(f) })), ...timingColumns.map(dateField)];
}

/** What the reference pipeline writes into a dataset's index: the fields the verifier reads and @timestamp. */
export function writtenFields(output: DatasetOutput): WantedField[] {
  return eventTimeField(output) === null ? readFields(output) : [...readFields(output), dateField(EVENT_TIME)];
}

/** The mapping the harness creates a dataset's index with. */
export function datasetMapping(output: DatasetOutput): estypes.MappingTypeMapping {
  const properties: Record<string, estypes.MappingProperty> = {};
  for (const [name, field] of Object.entries(output.fields)) properties[name] = fieldMapping(field);
  for (const name of timingColumns) properties[name] = { type: 'date' };
  if (eventTimeField(output) !== null) properties[EVENT_TIME] = { type: 'date' };
  return { properties };
}

/**
 * The mapping the harness creates a statistic's index with: the group a keyword, the window start a
 * date (absent on a total), the declared fields as their declaration says, under the names the
 * scenario gives them, and the reference pipeline's measures as long.
 */
export function statisticsMapping({ statistic, name }: KeptStatistic): estypes.MappingTypeMapping {
  const properties: Record<string, estypes.MappingProperty> = { [name(statistic.groupBy)]: { type: 'keyword' }, [name(WINDOW_START)]: { type: 'date' } };
  for (const [field, f] of Object.entries(statistic.fields)) properties[name(field)] = fieldMapping(f.spec);
  for (const [m, measure] of Object.entries(statistic.measures)) properties[measureColumn(m, measure)] = { type: 'long' };
  return { properties };
}

/** The fields the verifier reads from a statistic's index: the group, the window start and every declared field (never the measures). */
export function statisticsFields({ statistic, name }: KeptStatistic): WantedField[] {
  return [
    { name: name(statistic.groupBy), types: accepted.text },
    dateField(name(WINDOW_START)),
    ...Object.entries(statistic.fields).map(([field, f]) => ({ name: name(field), types: acceptedTypes(f.spec) })),
  ];
}

export const deadLetterMapping: estypes.MappingTypeMapping = {
  properties: {
    dataset: { type: 'keyword' },
    source: { type: 'keyword' },
    position: { type: 'long' },
    record_index: { type: 'long' },
    reason: { type: 'keyword' },
    detail: { type: 'text' },
    raw: { type: 'binary' },
    dead_lettered_at: { type: 'date' },
  },
};

/** Dead-letter fields the verifier reads, and what they may be mapped as (dataset is filtered on with a term query: keyword). */
export const deadLetterFields: WantedField[] = [
  { name: 'dataset', types: ['keyword', 'constant_keyword'] },
  { name: 'source', types: accepted.text },
  { name: 'position', types: ['long'] },
  { name: 'record_index', types: ['long'] },
  { name: 'reason', types: accepted.text },
  { name: 'raw', types: ['binary'] },
];

export const checkpointMapping: estypes.MappingTypeMapping = {
  properties: {
    dataset: { type: 'keyword' },
    source: { type: 'keyword' },
    position: { type: 'long' },
    done: { type: 'boolean' },
    updated_at: { type: 'date' },
  },
};

export const checkpointFields: WantedField[] = [
  { name: 'dataset', types: ['keyword'] },
  { name: 'source', types: ['keyword'] },
  { name: 'position', types: ['long'] },
  { name: 'done', types: ['boolean'] },
];

export const lockMapping: estypes.MappingTypeMapping = {
  properties: {
    holder: { type: 'keyword' },
    run_id: { type: 'keyword' },
    host: { type: 'keyword' },
    pid: { type: 'long' },
    taken_at: { type: 'date' },
    renewed_at: { type: 'date' },
  },
};

/**
 * What is wrong with an index's mapping for the fields wanted: each missing field, and each field
 * mapped as a type that cannot hold it. Top-level fields only: the harness writes no objects.
 */
export function mappingProblems(properties: Record<string, estypes.MappingProperty> | undefined, wanted: readonly WantedField[]): string[] {
  const problems: string[] = [];
  for (const { name, types } of wanted) {
    const actual = properties?.[name] as { type?: string } | undefined;
    if (!actual) problems.push(`no field "${name}" (want ${types[0]})`);
    else if (!types.includes(actual.type ?? 'object')) problems.push(`field "${name}" is mapped as ${actual.type ?? 'object'}, want ${types.join(' or ')}`);
  }
  return problems;
}
