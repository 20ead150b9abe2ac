/**
 * Queries and aggregations for the in-memory node (elasticsearch-fake.ts), over documents as a
 * shard's doc values hold them: a keyword as its text, a boolean as 1 or 0, a date as epoch ms, a
 * scaled_float as round(value x factor) / factor, a float as the nearest float32, so sums come out
 * as a real node's do. What the sink sends and nothing more: `bool` (filter, must, must_not),
 * `term`, `terms`, `range`, `exists` and `match_all` queries; `filter`, `terms`, `composite` (terms
 * and fixed_interval date_histogram sources, paged by `after`), `sum` and `value_count`
 * aggregations, answered with the bodies 8.x returns. Anything else is the 400 a node gives for a
 * query or aggregation it does not know.
 */

/** A field's mapping, as the fake keeps it. */
export type FieldMapping = { type: string; scaling_factor?: number; [key: string]: unknown };
export type Properties = Record<string, FieldMapping>;
type Source = Record<string, unknown>;
export type Query = Record<string, unknown>;
export type Aggregations = Record<string, Record<string, unknown>>;

/** Thrown for a request the fake (and a node) cannot parse; the fake answers it as a 400. */
export class UnknownRequest extends Error {
  constructor(
    readonly type: string,
    reason: string,
  ) {
    super(reason);
  }
}

/** A value as the field's doc values hold it; undefined when the document has none. */
export function docValue(mapping: FieldMapping | undefined, raw: unknown): string | number | undefined {
  if (raw === undefined || raw === null) return undefined;
  // The harness's documents are flat: an object or array here is a fault of the test, not a value to compare.
  if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean')
    throw new Error(`fake Elasticsearch: no doc value for ${JSON.stringify(raw)}`);
  switch (mapping?.type) {
    case undefined:
      return typeof raw === 'number' ? raw : String(raw);
    case 'keyword':
    case 'constant_keyword':
    case 'wildcard':
      return String(raw);
    case 'boolean':
      return raw === true || raw === 'true' ? 1 : 0;
    case 'date':
    case 'date_nanos':
      return typeof raw === 'number' ? raw : /^-?\d+$/.test(String(raw)) ? Number(raw) : Date.parse(String(raw));
    case 'scaled_float': {
      const factor = mapping.scaling_factor ?? 1;
      return Math.round(Number(raw) * factor) / factor;
    }
    case 'float':
    case 'half_float':
      return Math.fround(Number(raw));
    case 'integer':
    case 'long':
    case 'short':
    case 'byte':
      return Math.trunc(Number(raw));
    default:
      return typeof raw === 'number' ? raw : Number(raw);
  }
}

const asArray = (clause: unknown): Query[] => (clause === undefined ? [] : Array.isArray(clause) ? (clause as Query[]) : [clause as Query]);

/** Whether a document matches a query, compared as doc values are. */
export function matches(query: Query | undefined, source: Source, properties: Properties): boolean {
  if (!query) return true;
  const [type, body] = Object.entries(query)[0] ?? ['match_all', {}];
  const value = (field: string) => docValue(properties[field], source[field]);
  switch (type) {
    case 'match_all':
      return true;
    case 'bool': {
      const b = body as Record<string, unknown>;
      return (
        [...asArray(b.filter), ...asArray(b.must)].every((q) => matches(q, source, properties)) &&
        !asArray(b.must_not).some((q) => matches(q, source, properties)) &&
        (b.should === undefined || asArray(b.should).some((q) => matches(q, source, properties)))
      );
    }
    case 'term': {
      const [field, wanted] = Object.entries(body as Record<string, unknown>)[0]!;
      const raw = typeof wanted === 'object' && wanted !== null ? (wanted as { value: unknown }).value : wanted;
      return value(field) !== undefined && value(field) === docValue(properties[field], raw);
    }
    case 'terms': {
      const [field, wanted] = Object.entries(body as Record<string, unknown[]>)[0]!;
      return wanted.some((raw) => value(field) !== undefined && value(field) === docValue(properties[field], raw));
    }
    case 'range': {
      const [field, bounds] = Object.entries(body as Record<string, Record<string, unknown>>)[0]!;
      const v = value(field);
      if (typeof v !== 'number') return false;
      const at = (key: string) => docValue(properties[field], bounds[key]) as number | undefined;
      const [gte, gt, lte, lt] = [at('gte'), at('gt'), at('lte'), at('lt')];
      return (gte === undefined || v >= gte) && (gt === undefined || v > gt) && (lte === undefined || v <= lte) && (lt === undefined || v < lt);
    }
    case 'exists':
      return value((body as { field: string }).field) !== undefined;
    default:
      throw new UnknownRequest('parsing_exception', `unknown query [${type}]`);
  }
}

/** The `aggregations` of a search response over `docs`. */
export function aggregate(aggs: Aggregations, docs: readonly Source[], properties: Properties): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, container] of Object.entries(aggs)) {
    const { aggs: sub, aggregations, ...rest } = container as { aggs?: Aggregations; aggregations?: Aggregations };
    const children = sub ?? aggregations ?? {};
    const [type, body] = Object.entries(rest)[0] ?? ['', {}];
    const field = (body as { field?: string }).field ?? '';
    const values = () => docs.map((doc) => docValue(properties[field], doc[field])).filter((v): v is number => typeof v === 'number');
    switch (type) {
      case 'filter': {
        const kept = docs.filter((doc) => matches(body as Query, doc, properties));
        out[name] = { doc_count: kept.length, ...aggregate(children, kept, properties) };
        break;
      }
      case 'terms': {
        const groups = new Map<string | number, Source[]>();
        for (const doc of docs) {
          const key = docValue(properties[field], doc[field]);
          if (key === undefined) continue;
          const group = groups.get(key);
          if (group) group.push(doc);
          else groups.set(key, [doc]);
        }
        // Most documents first, then by key: the order a node gives.
        const sorted = [...groups].sort(([ka, a], [kb, b]) => b.length - a.length || (ka < kb ? -1 : ka > kb ? 1 : 0));
        const size = (body as { size?: number }).size ?? 10;
        const shown = sorted.slice(0, size);
        const boolean = properties[field]?.type === 'boolean';
        out[name] = {
          doc_count_error_upper_bound: 0,
          sum_other_doc_count: sorted.slice(size).reduce((n, [, group]) => n + group.length, 0),
          buckets: shown.map(([key, group]) => ({
            key,
            ...(boolean ? { key_as_string: key === 1 ? 'true' : 'false' } : {}),
            doc_count: group.length,
            ...aggregate(children, group, properties),
          })),
        };
        break;
      }
      case 'composite':
        out[name] = composite(body as CompositeBody, children, docs, properties);
        break;
      case 'sum':
        out[name] = { value: values().reduce((sum, v) => sum + v, 0) };
        break;
      case 'value_count':
        out[name] = { value: docs.filter((doc) => docValue(properties[field], doc[field]) !== undefined).length };
        break;
      default:
        throw new UnknownRequest('x_content_parse_exception', `[1:${name.length + 12}] unknown field [${type}]`);
    }
  }
  return out;
}

interface CompositeBody {
  size?: number;
  sources: Record<string, { terms?: { field: string }; date_histogram?: { field: string; fixed_interval: string } }>[];
  after?: Record<string, string | number>;
}

/** A fixed interval as a node parses it: a whole number of ms, s, m, h or d. */
function intervalMs(interval: string): number {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(interval);
  if (!match)
    throw new UnknownRequest('illegal_argument_exception', `failed to parse setting [date_histogram.fixedInterval] with value [${interval}] as a time value`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

/**
 * A composite aggregation's page: every combination of the sources' values (a terms source's value,
 * a date histogram's bucket start in epoch ms, aligned to the epoch in UTC), in ascending order of
 * the sources in turn, the ones after `after`, `size` of them; `after_key` is the last one's key.
 * Documents without a value for a source are left out, as without `missing_bucket`.
 */
function composite(body: CompositeBody, children: Aggregations, docs: readonly Source[], properties: Properties): Record<string, unknown> {
  const sources = body.sources.map((source) => {
    const [name, spec] = Object.entries(source)[0]!;
    if (spec.terms) return { name, field: spec.terms.field, interval: null };
    if (spec.date_histogram) return { name, field: spec.date_histogram.field, interval: intervalMs(spec.date_histogram.fixed_interval) };
    throw new UnknownRequest('x_content_parse_exception', `[composite] unknown source type in [${name}]`);
  });
  const groups = new Map<string, { key: (string | number)[]; docs: Source[] }>();
  for (const doc of docs) {
    const key: (string | number)[] = [];
    for (const { field, interval } of sources) {
      const value = docValue(properties[field], doc[field]);
      if (value === undefined) break;
      key.push(interval === null ? value : Math.floor((value as number) / interval) * interval);
    }
    if (key.length < sources.length) continue;
    const id = JSON.stringify(key);
    const group = groups.get(id);
    if (group) group.docs.push(doc);
    else groups.set(id, { key, docs: [doc] });
  }
  const compare = (a: readonly (string | number)[], b: readonly (string | number)[]) => {
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return (a[i] as string | number) < (b[i] as string | number) ? -1 : 1;
    return 0;
  };
  const after = body.after ? sources.map(({ name }) => body.after?.[name] as string | number) : null;
  const page = [...groups.values()]
    .sort((a, b) => compare(a.key, b.key))
    .filter((g) => after === null || compare(g.key, after) > 0)
    .slice(0, body.size ?? 10);
  const keyOf = (key: readonly (string | number)[]) => Object.fromEntries(sources.map(({ name }, i) => [name, key[i]]));
  const last = page.at(-1);
  return {
    ...(last ? { after_key: keyOf(last.key) } : {}),
    buckets: page.map((g) => ({ key: keyOf(g.key), doc_count: g.docs.length, ...aggregate(children, g.docs, properties) })),
  };
}
