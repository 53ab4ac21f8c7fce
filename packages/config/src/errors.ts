/** One problem in one input, with where it is and what to do about it. */
export interface Problem {
  /** Repository-relative file, or the input's name (a prop, a flag). */
  readonly source: string;
  /** 1-based line in the file, when there is one. */
  readonly line?: number;
  /** Dotted field path, e.g. `services[1].hostname`. */
  readonly field: string;
  /** The rejected value, as written (omitted when the field is missing). */
  readonly value?: unknown;
  /** What is wrong and what is allowed. */
  readonly message: string;
}

/** Renders a value for a message: short, quoted when a string, never multi-line. */
export function showValue(value: unknown): string {
  let text: string;
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') text = JSON.stringify(value);
  else if (typeof value === 'object' && value !== null)
    text = Array.isArray(value) ? `a list of ${value.length}` : 'a mapping';
  else text = String(value);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

/**
 * Control characters (and Unicode line/paragraph separators and bidi overrides) shown as `\uXXXX`: a key
 * or value from a file can never start a line of the report or reorder what a reader sees.
 */
export function escapeControl(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function formatProblem(p: Problem): string {
  const where = p.line ? `${p.source}:${p.line}` : p.source;
  const got = 'value' in p ? ` ${showValue(p.value)}` : '';
  return escapeControl(`${where}: ${p.field || '(file)'}${got} ${p.message}`);
}

/**
 * A user's input is wrong. Carries every problem found, so one run reports them all.
 * The CLI prints `message` and exits 1, with no stack trace.
 */
export class ConfigError extends Error {
  public readonly problems: readonly Problem[];

  constructor(problems: readonly Problem[], heading?: string) {
    const lines = problems.map((p) => `  - ${formatProblem(p)}`);
    const title =
      heading ?? `${problems.length} problem${problems.length === 1 ? '' : 's'} in the environment configuration`;
    super(`${title}:\n${lines.join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Renders a field path like `services[1].hostname`. */
export function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((acc, key) => {
    if (typeof key === 'number') return `${acc}[${key}]`;
    return acc ? `${acc}.${String(key)}` : String(key);
  }, '');
}
