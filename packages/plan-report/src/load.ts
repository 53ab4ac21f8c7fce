import { readFileSync } from 'node:fs';
import { type z } from 'zod';
import { PlanFileError } from './errors';
import { findJsonSyntaxProblem } from './json-syntax';
import { rawPlanSchema, toPlan } from './schema';
import { type Plan } from './types';

/**
 * Reads and validates a plan JSON file written by `terraform show -json tfplan` (or `tofu show -json`).
 * Throws PlanFileError when the file is missing, unreadable, not JSON, truncated, or shaped wrongly.
 */
export function loadPlanFile(file: string): Plan {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const problem =
      code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory, not a file' : `cannot be read (${code ?? 'unknown error'})`;
    throw new PlanFileError(file, problem, undefined, { cause: error });
  }
  return parsePlan(text, file);
}

/** Parses and validates plan JSON text; `sourceName` names it in error messages. */
export function parsePlan(text: string, sourceName: string): Plan {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  if (body.trim() === '') throw new PlanFileError(sourceName, 'the file is empty');
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    // JSON.parse's own message quotes the input, which may hold secrets: locate the problem ourselves.
    const found = findJsonSyntaxProblem(body);
    const problem = found === undefined ? 'invalid JSON' : found.truncated ? found.problem : `invalid JSON: ${found.problem}`;
    throw new PlanFileError(sourceName, problem, found && `line ${found.line}, column ${found.column}`);
  }

  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PlanFileError(sourceName, `expected a JSON object at the top level, found ${describe(value)}`, '$');
  }
  if (!('resource_changes' in value) && !('planned_values' in value) && 'values' in value) {
    throw new PlanFileError(sourceName, 'this is a state, not a plan: run `terraform show -json` on a saved plan file (plan -out)', '$');
  }

  const result = rawPlanSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new PlanFileError(sourceName, issue === undefined ? 'invalid plan' : issueMessage(issue), jsonPath(issue?.path ?? []));
  }
  return toPlan(result.data);
}

function issueMessage(issue: z.core.$ZodIssue): string {
  // Zod says "Invalid input: expected string, received undefined"; for a missing property, say so.
  if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) {
    return `missing required property (expected ${issue.expected})`;
  }
  return issue.message.replace(/^Invalid input: /, '');
}

/** Formats a Zod issue path as a JSON path: `$.resource_changes[3].change.actions[0]`. */
export function jsonPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((acc, key) => {
    if (typeof key === 'number') return `${acc}[${key}]`;
    const name = String(key);
    return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? `${acc}.${name}` : `${acc}[${JSON.stringify(name)}]`;
  }, '$');
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return `a ${typeof value}`;
}
