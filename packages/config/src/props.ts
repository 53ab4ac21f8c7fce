import { type $ZodIssue } from 'zod/v4/core';
import { type z } from 'zod';
import { ConfigError, fieldPath, type Problem } from './errors';

/** The message for one zod issue, in the house style ("<field> <value> <what is wrong — what is allowed>"). */
export function issueMessage(issue: $ZodIssue, missingHint = ''): string {
  if (issue.code === 'unrecognized_keys') return 'is not a known setting — remove it or fix its spelling';
  if (issue.code === 'invalid_type') {
    if (issue.input === undefined) return `is missing — add it (expected ${issue.expected})${missingHint}`;
    if (issue.expected === 'int') return 'must be a whole number';
    return `has the wrong type — expected ${issue.expected}`;
  }
  return issue.message.startsWith('Invalid') ? `is invalid — ${issue.message}` : issue.message;
}

/**
 * Validates a construct's props with a zod schema and throws one ConfigError listing every problem
 * (`<Construct> "<name>": N invalid props`). Values that are unresolved tokens are not judged: they
 * are only known at apply time.
 */
export function validateProps<T>(label: string, schema: z.ZodType<T>, props: unknown, extra: readonly Problem[] = [], isUnresolved: (value: string) => boolean = () => false): void {
  const problems: Problem[] = [];
  const parsed = schema.safeParse(props, { reportInput: true });
  for (const issue of parsed.success ? [] : parsed.error.issues) {
    if (typeof issue.input === 'string' && isUnresolved(issue.input)) continue;
    const paths = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
    const shown = !(issue.code === 'unrecognized_keys' || (issue.code === 'invalid_type' && issue.input === undefined));
    for (const p of paths) {
      problems.push({
        source: label,
        field: fieldPath(p as PropertyKey[]),
        ...(shown ? { value: issue.input } : {}),
        message: issueMessage(issue).replace('is not a known setting', 'is not a known prop').replace(/^is missing — add it/, 'is required'),
      });
    }
  }
  problems.push(...extra);
  if (problems.length > 0) throw new ConfigError(problems, `${label}: ${problems.length} invalid prop${problems.length === 1 ? '' : 's'}`);
}
