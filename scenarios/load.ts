import { readFileSync } from 'node:fs';
import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
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
  const parsed = scenarioSchema.safeParse(doc.toJS());
  const problems: Problem[] = parsed.success
    ? crossFieldProblems(parsed.data)
    : parsed.error.issues.flatMap((issue) => toProblems(issue));
  if (problems.length > 0) {
    const lines = problems
      .map((problem) => ({ at: locate(doc, lineCounter, problem), problem }))
      .sort((a, b) => a.at.line - b.at.line || a.at.col - b.at.col)
      .map(({ at, problem }) => `${file}${at.line ? `:${at.line}:${at.col}` : ''} ${pointer(problem)}: ${problem.message}`);
    throw new HarnessError('scenario', `${file}: ${problems.length} problem${problems.length > 1 ? 's' : ''}\n  ${lines.join('\n  ')}`);
  }
  return (parsed as { data: Scenario }).data;
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

/** The line and column of the unknown key itself, else of the deepest node of the path in the file. */
function locate(doc: Document, lineCounter: LineCounter, problem: Problem): { line: number; col: number } {
  const path = problem.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  const at = (node: unknown) => (node as { range?: [number, number, number] } | null)?.range?.[0];
  if (problem.key !== undefined) {
    const parent = path.length > 1 ? doc.getIn(path.slice(0, -1), true) : doc.contents;
    if (isMap(parent)) {
      const pair = parent.items.find((item) => isPair(item) && isScalar(item.key) && item.key.value === problem.key);
      const offset = pair ? at(pair.key) : undefined;
      if (offset !== undefined) return lineCounter.linePos(offset);
    }
  }
  for (let depth = path.length; depth >= 0; depth--) {
    const offset = at(depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true));
    if (offset !== undefined) return lineCounter.linePos(offset);
  }
  return { line: 0, col: 0 };
}
