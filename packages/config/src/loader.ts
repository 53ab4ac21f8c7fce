import { readFileSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { type $ZodIssue } from 'zod/v4/core';
import { ConfigError, fieldPath, type Problem } from './errors';
import { issueMessage } from './props';
import { crossFieldIssues, environmentSchema, type EnvironmentConfig } from './schema';

/** The shared base every environment file is merged over. */
export const BASE_FILE = '_base.yaml';
/** Environment names become stack ids and state keys: keep them short and DNS-safe. */
export const ENV_NAME = /^[a-z][a-z0-9]{1,15}$/;
/** Files larger than this are refused before parsing (an environment file is a few KiB). */
export const MAX_FILE_BYTES = 256 * 1024;

interface ParsedFile {
  readonly file: string;
  readonly doc: Document.Parsed;
  readonly lines: LineCounter;
  readonly data: Record<string, unknown>;
}

/** Loads every `envs/<env>.yaml` in a directory (sorted by name), each merged over `_base.yaml`. */
export function loadEnvironments(dir: string, options: { readonly root?: string } = {}): EnvironmentConfig[] {
  const root = options.root ?? process.cwd();
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    throw new ConfigError(
      [{ source: rel(root, dir), field: '', message: 'cannot be read — is this the envs/ directory?' }],
      'Environment directory missing'
    );
  }
  const names = entries.filter((f) => f.endsWith('.yaml') && f !== BASE_FILE).sort();
  if (names.length === 0) {
    throw new ConfigError([
      { source: rel(root, dir), field: '', message: 'holds no <env>.yaml file — add one, e.g. envs/dev.yaml' },
    ]);
  }
  const base = readLayer(path.join(dir, BASE_FILE), root, { optional: true });
  const problems: Problem[] = [];
  const envs: EnvironmentConfig[] = [];
  for (const name of names) {
    try {
      envs.push(loadEnvironment(path.join(dir, name), { root, base }));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return envs;
}

/** Loads one environment file over an (already read) base layer. */
export function loadEnvironment(
  file: string,
  options: { readonly root?: string; readonly base?: ParsedFile | undefined } = {}
): EnvironmentConfig {
  const root = options.root ?? process.cwd();
  const name = path.basename(file, '.yaml');
  const source = rel(root, file);
  if (!ENV_NAME.test(name)) {
    throw new ConfigError([
      {
        source,
        field: '',
        message: `has an invalid environment name "${name}" — name the file <env>.yaml with 2–16 lower-case letters and digits, e.g. "dev.yaml"`,
      },
    ]);
  }
  const layer = readLayer(file, root, { optional: false })!;
  const base = options.base;
  const merged = base ? deepMerge(base.data, layer.data) : layer.data;
  const result = environmentSchema.safeParse(merged, { reportInput: true });
  const problems = result.success ? [] : result.error.issues.flatMap((issue) => toProblems(issue, layer, base));
  for (const issue of crossFieldIssues(merged)) {
    problems.push({
      ...locate(issue.path, layer, base),
      field: fieldPath(issue.path),
      ...('value' in issue ? { value: issue.value } : {}),
      message: issue.message,
    });
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(sortProblems(problems));
  return { ...result.data, name, file: source };
}

function readLayer(file: string, root: string, opts: { optional: boolean }): ParsedFile | undefined {
  const source = rel(root, file);
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > MAX_FILE_BYTES) {
      throw new ConfigError([
        {
          source,
          field: '',
          message: `is ${size} bytes — environment files are limited to ${MAX_FILE_BYTES} bytes; move repeated data to envs/${BASE_FILE}`,
        },
      ]);
    }
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    if (opts.optional && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError([
      { source, field: '', message: `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})` },
    ]);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => ({
        source,
        line: e.linePos?.[0]?.line ?? lines.linePos(e.pos[0]).line,
        field: '',
        message: `is not valid YAML: ${e.message.split('\n')[0]} — fix the syntax at this line`,
      }))
    );
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new ConfigError([{ source, field: '', message: `cannot be read as YAML data: ${(err as Error).message}` }]);
  }
  if (data === null || data === undefined) {
    throw new ConfigError([
      { source, line: 1, field: '', message: 'is empty — an environment file must be a YAML mapping of settings' },
    ]);
  }
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError([
      {
        source,
        line: 1,
        field: '',
        value: data,
        message: 'is not a YAML mapping — the file must hold "key: value" settings at the top level',
      },
    ]);
  }
  return { file: source, doc, lines, data: data as Record<string, unknown> };
}

/** Orders problems as a reader meets them: by file, then line. */
function sortProblems(problems: Problem[]): Problem[] {
  return [...problems].sort((a, b) => a.source.localeCompare(b.source) || (a.line ?? 0) - (b.line ?? 0));
}

/** Objects merge key by key; lists and scalars in the environment file replace the base's. */
export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prev = out[key];
    out[key] = isPlainObject(prev) && isPlainObject(value) ? deepMerge(prev, value) : value;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function toProblems(issue: $ZodIssue, layer: ParsedFile, base: ParsedFile | undefined): Problem[] {
  const pathKeys = issue.path as PropertyKey[];
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const full = [...pathKeys, key];
      return {
        ...locate(full, layer, base),
        field: fieldPath(full),
        message: `${issueMessage(issue)} (see envs/environment.schema.json)`,
      };
    });
  }
  const where = locate(pathKeys, layer, base);
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return [{ ...where, field: fieldPath(pathKeys), message: issueMessage(issue, ` to ${layer.file} or envs/${BASE_FILE}`) }];
  }
  return [{ ...where, field: fieldPath(pathKeys), value: issue.input, message: issueMessage(issue) }];
}

/** Finds the line of a field: in the environment file if it is set there, else in the base, else its nearest parent. */
function locate(
  keys: ReadonlyArray<PropertyKey>,
  layer: ParsedFile,
  base: ParsedFile | undefined
): { source: string; line?: number } {
  for (const candidate of [layer, base]) {
    if (!candidate) continue;
    const line = lineOf(candidate, keys);
    if (line !== undefined) return { source: candidate.file, line };
  }
  for (let n = keys.length - 1; n >= 0; n--) {
    const line = lineOf(layer, keys.slice(0, n));
    if (line !== undefined) return { source: layer.file, line };
  }
  return { source: layer.file };
}

function lineOf(file: ParsedFile, keys: ReadonlyArray<PropertyKey>): number | undefined {
  if (keys.length === 0) return undefined;
  let node: unknown = file.doc.contents;
  let keyNode: unknown;
  for (const key of keys) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && p.key.value === key);
      if (!pair) return undefined;
      keyNode = pair.key;
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key];
      keyNode = node;
    } else {
      return undefined;
    }
  }
  const anchor = (keyNode ?? node) as { range?: [number, number, number] } | undefined;
  return anchor?.range ? file.lines.linePos(anchor.range[0]).line : undefined;
}

function rel(root: string, file: string): string {
  const r = path.relative(root, file);
  return r.startsWith('..') ? file : r.split(path.sep).join('/');
}
