import { readFileSync } from 'node:fs';
import { isAlias, isCollection, isMap, isPair, isScalar, LineCounter, parseDocument, visit, type Alias, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { HarnessError, messageOf } from '../core/errors.ts';
import { interpolate } from './interpolate.ts';
import { crossFieldProblems, scenarioSchema, type Scenario } from './schema.ts';

export interface LoadedScenario {
  path: string;
  scenario: Scenario;
}

interface Problem {
  path: PropertyKey[];
  message: string;
  /** For unknown keys: point at the key itself, not at its object. */
  key?: string;
}

/**
 * Reads, interpolates, parses and validates a scenario. Every problem is collected, and each is
 * reported as `file:line:col /json/path: message`, so a user can go straight to the mistake.
 */
export function loadScenario(path: string, env: NodeJS.ProcessEnv = process.env): LoadedScenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new HarnessError('scenario', `cannot read scenario ${path}: ${messageOf(error)}`, { cause: error });
  }
  return { path, scenario: parseScenario(interpolate(text, env, path), path) };
}

export function parseScenario(text: string, file: string): Scenario {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((error) => {
      const at = error.linePos?.[0];
      const where = at ? `${file}:${at.line}:${at.col}` : file;
      return `${where}: invalid YAML: ${error.message.split('\n')[0]}`;
    });
    throw new HarnessError('scenario', lines.join('\n'));
  }
  if (isEmpty(doc.contents)) {
    throw new HarnessError('scenario', `${file}: the file is empty; a scenario needs at least name and datasets`);
  }
  const parsed = scenarioSchema.safeParse(toPlain(doc, lineCounter, file));
  const problems: Problem[] = parsed.success ? crossFieldProblems(parsed.data) : parsed.error.issues.flatMap((issue) => toProblems(issue));
  if (problems.length > 0) {
    const lines = problems
      .map((problem) => ({ at: locate(doc, lineCounter, problem), problem }))
      .sort((a, b) => a.at.line - b.at.line || a.at.col - b.at.col)
      .map(({ at, problem }) => `${file}${at.line ? `:${at.line}:${at.col}` : ''} ${pointer(problem)}: ${problem.message}`);
    throw new HarnessError('scenario', `${file}: ${problems.length} problem${problems.length > 1 ? 's' : ''}\n  ${lines.join('\n  ')}`);
  }
  return (parsed as { data: Scenario }).data;
}

/** No content at all: nothing, comments, whitespace, or a bare `---`. */
function isEmpty(contents: Document['contents']): boolean {
  return contents === null || (isScalar(contents) && contents.value === null && contents.range?.[0] === contents.range?.[1]);
}

/**
 * The cap on alias expansion, in the yaml package's measure (each anchor's uses times the aliases
 * nested in it): a scenario needs a handful, an alias bomb (billion laughs) billions, and fails at once.
 */
export const maxAliasCount = 100;

/** The document as plain data; an alias without anchor or past the cap is a scenario error at the alias. */
function toPlain(doc: Document, lineCounter: LineCounter, file: string): unknown {
  try {
    return doc.toJS({ maxAliasCount });
  } catch (error) {
    const message = messageOf(error);
    const unresolved = /^Unresolved alias/.test(message);
    const excessive = /Excessive alias count/.test(message);
    const alias = unresolved ? unresolvedAlias(doc) : excessive ? aliasPastCap(doc) : undefined;
    const offset = alias?.range?.[0];
    const at = offset === undefined ? null : lineCounter.linePos(offset);
    const where = at ? `${file}:${at.line}:${at.col}` : file;
    const what = unresolved
      ? `alias ${alias ? `*${alias.source} ` : ''}has no anchor before it (write &name on a node above, then *name)`
      : excessive
        ? `too many aliases${alias ? ` at *${alias.source}` : ''}: they would expand past ${maxAliasCount} copies, the cap that stops alias bombs`
        : `invalid YAML: ${message.split('\n')[0]}`;
    throw new HarnessError('scenario', `${where}: ${what}`, { cause: error });
  }
}

/**
 * Every alias in document order (the order in which the yaml package resolves them), each with the
 * anchored node it refers to: the last one of its name before it, or undefined.
 */
function aliasesOf(doc: Document): Map<Alias, Node | undefined> {
  const anchors = new Map<string, Node>();
  const aliases = new Map<Alias, Node | undefined>();
  visit(doc, {
    Node: (_key, node) => {
      if (isAlias(node)) aliases.set(node, anchors.get(node.source));
      else if (node.anchor) anchors.set(node.anchor, node);
    },
  });
  return aliases;
}

function unresolvedAlias(doc: Document): Alias | undefined {
  for (const [alias, anchor] of aliasesOf(doc)) if (!anchor) return alias;
  return undefined;
}

/**
 * The alias at which the yaml package gave up: the same count, in the same order (each anchor's
 * uses times the largest expansion inside it), to point at the line.
 */
function aliasPastCap(doc: Document): Alias | undefined {
  const aliases = aliasesOf(doc);
  const counts = new Map<Node, { count: number; aliasCount: number }>();
  const expansion = (node: unknown): number => {
    if (isAlias(node)) {
      const anchor = aliases.get(node);
      const data = anchor && counts.get(anchor);
      return data ? data.count * data.aliasCount : 0;
    }
    if (isCollection(node)) return node.items.reduce((max: number, item) => Math.max(max, expansion(item)), 0);
    if (isPair(node)) return Math.max(expansion(node.key), expansion(node.value));
    return 1;
  };
  for (const [alias, anchor] of aliases) {
    if (!anchor) continue;
    // An anchored node counts once for itself, then once per alias.
    const data = counts.get(anchor) ?? { count: 1, aliasCount: 0 };
    counts.set(anchor, data);
    data.count += 1;
    if (data.aliasCount === 0) data.aliasCount = expansion(anchor);
    if (data.count * data.aliasCount > maxAliasCount) return alias;
  }
  return undefined;
}

function toProblems(issue: z.core.$ZodIssue): Problem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: [...issue.path, key], key, message: 'unknown key' }));
  }
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    // A discriminated union reports why each branch failed; the closest branch is the useful one.
    const best = issue.errors.reduce((a, b) => (a.length <= b.length ? a : b));
    return best.flatMap((inner) => toProblems({ ...inner, path: [...issue.path, ...inner.path] }));
  }
  return [{ path: issue.path, message: describe(issue) }];
}

function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') {
    const received = issue.message.match(/received (\w+)/)?.[1];
    return `expected ${issue.expected}${received ? `, got ${received}` : ''}`;
  }
  return issue.message;
}

function pointer(problem: Problem): string {
  return `/${problem.path.map(String).join('/')}`;
}

const startOf = (node: unknown) => (node as { range?: [number, number, number] } | null)?.range?.[0];

/** Where the node at `path` starts in the file, or null when the file does not hold it. */
function positionOf(doc: Document, lineCounter: LineCounter, path: readonly (string | number)[]): { line: number; col: number } | null {
  const offset = startOf(path.length === 0 ? doc.contents : doc.getIn(path, true));
  return offset === undefined ? null : lineCounter.linePos(offset);
}

/** The line and column of the unknown key itself, else of the deepest node of the path in the file. */
function locate(doc: Document, lineCounter: LineCounter, problem: Problem): { line: number; col: number } {
  const path = problem.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  if (problem.key !== undefined) {
    const parent = path.length > 1 ? doc.getIn(path.slice(0, -1), true) : doc.contents;
    if (isMap(parent)) {
      const pair = parent.items.find((item) => isPair(item) && isScalar(item.key) && item.key.value === problem.key);
      const offset = pair ? startOf(pair.key) : undefined;
      if (offset !== undefined) return lineCounter.linePos(offset);
    }
  }
  for (let depth = path.length; depth >= 0; depth--) {
    const at = positionOf(doc, lineCounter, path.slice(0, depth));
    if (at) return at;
  }
  return { line: 0, col: 0 };
}

/** A scenario file read for where its nodes are (CI annotations point at an SLO's line), without validating it. */
export interface ScenarioPositions {
  /** The 1-based line where the node at `path` starts, or null when the file does not hold it. */
  lineOf(path: readonly (string | number)[]): number | null;
  /** The scalar's value (a number stays a number), or undefined when the node is absent or not a scalar. */
  scalarAt(path: readonly (string | number)[]): unknown;
}

/** The positions in a scenario's text as written (before interpolation, whose values may span lines); null when it is not YAML. */
export function scenarioPositions(text: string): ScenarioPositions | null {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  if (doc.errors.length > 0) return null;
  return {
    lineOf: (path) => positionOf(doc, lineCounter, path)?.line ?? null,
    scalarAt: (path) => {
      const node: unknown = doc.getIn(path, true);
      return isScalar(node) ? node.value : undefined;
    },
  };
}
