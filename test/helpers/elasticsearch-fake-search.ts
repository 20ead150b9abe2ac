/**
 * Queries and aggregations for the in-memory node (elasticsearch-fake.ts), over documents as a
 * shard's doc values hold them: a keyword as its text, a boolean as 1 or 0, a date as epoch ms, a
 * scaled_float as round(value x factor) / factor, a float as the nearest float32, so sums come out
 * as a real node's do. What the sink sends and nothing more: `bool` (filter, must, must_not),
 * `term`, `terms`, `range` and `match_all` queries; `filter`, `terms`, `sum` and `value_count`
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
          buckets: shown.map(([key, group]) => ({ key, ...(boolean ? { key_as_string: key === 1 ? 'true' : 'false' } : {}), doc_count: group.length, ...aggregate(children, group, properties) })),
        };
        break;
      }
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
