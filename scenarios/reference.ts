import { scenarioJsonSchema } from './schema.ts';

interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
}

function typeOf(schema: JsonSchema): string {
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(' \\| ');
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return [...new Set(alternatives.map(typeOf))].join(' \\| ');
  const type = Array.isArray(schema.type) ? schema.type.join(' \\| ') : (schema.type ?? 'any');
  const range = schema.minimum !== undefined || schema.maximum !== undefined ? ` (${schema.minimum ?? ''}..${schema.maximum ?? ''})` : '';
  return `${type}${range}`;
}

function rows(schema: JsonSchema, path: string, out: string[]): void {
  const variants = schema.oneOf ?? schema.anyOf;
  if (variants && variants.every((v) => v.properties)) {
    for (const variant of variants) {
      const tag = variant.properties?.type?.const;
      rows(variant, tag === undefined ? path : `${path} (type: ${typeof tag === 'string' ? tag : JSON.stringify(tag)})`, out);
    }
    return;
  }
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    const childPath = path ? `${path}.${name}` : name;
    const isObject = child.properties || (child.oneOf ?? child.anyOf)?.some((v) => v.properties);
    const def = child.default === undefined || isObject ? '' : `\`${JSON.stringify(child.default)}\``;
    out.push(`| \`${childPath}\` | ${typeOf(isObject ? { type: 'object' } : child)} | ${def} | ${(child.description ?? '').replaceAll('|', '\\|')} |`);
    if (isObject) rows(child, childPath, out);
  }
}

/** The scenario reference in Markdown, generated from the schema so the docs cannot drift. */
export function scenarioReference(): string {
  const out = [
    '# Scenario file reference',
    '',
    'Generated from `scenarios/schema.ts` by `npm run docs`; a test fails when this file is stale.',
    'Unknown keys are errors. Durations read like `250ms`, `2s`, `1m`; `${VAR:-default}` takes a value from the environment.',
    '',
    '| key | type | default | description |',
    '| --- | --- | --- | --- |',
  ];
  rows(scenarioJsonSchema() as JsonSchema, '', out);
  return `${out.join('\n')}\n`;
}
