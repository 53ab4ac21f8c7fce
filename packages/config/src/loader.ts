import { closeSync, constants, fstatSync, openSync, readdirSync, readSync, type Stats } from 'node:fs';
import * as path from 'node:path';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, visit, type Document, type Node } from 'yaml';
import { type $ZodIssue } from 'zod/v4/core';
import { ConfigError, fieldPath, showValue, type Problem } from './errors';
import { issueMessage } from './props';
import { crossEnvironmentIssues, type LoadedEnvironment } from './rules/environments';
import { crossFieldIssues, environmentSchema, type EnvironmentConfig } from './schema';

/** The shared base every environment file is merged over. */
export const BASE_FILE = '_base.yaml';
/** Environment names become stack ids and state keys: keep them short and DNS-safe. */
export const ENV_NAME = /^[a-z][a-z0-9]{1,15}$/;
/** Files larger than this are refused (an environment file is a few KiB); checked on the bytes actually read. */
export const MAX_FILE_BYTES = 256 * 1024;
/** Most aliases a file may expand (YAML "billion laughs" stops here). */
export const MAX_ALIAS_COUNT = 100;
/** Deepest nesting of mappings and lists an environment file may have (real files use 5). */
export const MAX_DEPTH = 32;
/** Extensions read as environment files; `x.yml` and `x.yaml` are the same environment (both present is an error). */
export const ENV_FILE_EXTENSIONS = ['.yaml', '.yml'] as const;
/** Keys that would reach an object's prototype when merged: never accepted. */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Files editors and tools leave beside the ones you edit: hidden files (vim `.x.yaml.swp`, Emacs lock
 * `.#x.yaml`), Emacs auto-saves `#x.yaml#`, backups `x.yaml~`. Never read as environments.
 */
export function isEditorFile(name: string): boolean {
  return name.startsWith('.') || name.startsWith('#') || name.endsWith('~');
}

/** One YAML file as read: its document (for line numbers) and its data. */
export interface ParsedFile {
  readonly file: string;
  readonly doc: Document.Parsed;
  readonly lines: LineCounter;
  readonly data: Record<string, unknown>;
}

/** A problem before its final wording: where the value came from, when it was inherited from the base. */
type Found = Problem & { readonly inheritedBy?: string };

/** Loads every `envs/<env>.yaml` (or `.yml`) in a directory (sorted by name), each merged over `_base.yaml`. */
export function loadEnvironments(dir: string, options: { readonly root?: string } = {}): EnvironmentConfig[] {
  const root = options.root ?? process.cwd();
  const { files, problems: listing } = listEnvironmentFiles(dir, root);
  const problems: Found[] = [...listing];
  let base: ParsedFile | undefined;
  if (files.base) {
    try {
      base = readLayer(files.base, root);
    } catch (err) {
      problems.push(...asProblems(err));
    }
  }
  const loaded: LoadedEnvironment[] = [];
  for (const file of files.environments) {
    try {
      loaded.push(loadOne(file, root, base));
    } catch (err) {
      problems.push(...asProblems(err));
    }
  }
  if (files.environments.length === 0 && problems.length === 0) {
    throw new ConfigError([
      { source: rel(root, dir), field: '', message: 'holds no <env>.yaml file — add one, e.g. envs/<name>.yaml' },
    ]);
  }
  const allLoaded = problems.length === 0;
  for (const issue of crossEnvironmentIssues(loaded, { complete: allLoaded })) {
    const env = loaded.find((e) => e.config.name === issue.environment)!;
    problems.push({
      ...locate(issue.path, env.layer, env.base),
      field: fieldPath(issue.path),
      ...('value' in issue ? { value: issue.value } : {}),
      message: issue.message,
    });
  }
  if (problems.length > 0) throw new ConfigError(finish(problems));
  return loaded.map((e) => e.config);
}

interface EnvironmentFiles {
  readonly base?: string;
  readonly environments: string[];
}

/** The files of an envs/ folder: the base and each environment, editor files ignored, `.yml`/`.yaml` clashes reported. */
function listEnvironmentFiles(dir: string, root: string): { files: EnvironmentFiles; problems: Problem[] } {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    throw new ConfigError(
      [{ source: rel(root, dir), field: '', message: 'cannot be read — is this the envs/ directory?' }],
      'Environment directory missing'
    );
  }
  const problems: Problem[] = [];
  const byStem = new Map<string, string[]>();
  for (const entry of entries.sort()) {
    if (isEditorFile(entry)) continue;
    const ext = ENV_FILE_EXTENSIONS.find((e) => entry.endsWith(e));
    if (!ext) continue;
    const stem = entry.slice(0, -ext.length);
    byStem.set(stem, [...(byStem.get(stem) ?? []), entry]);
  }
  let base: string | undefined;
  const environments: string[] = [];
  for (const [stem, names] of byStem) {
    if (names.length > 1) {
      problems.push({
        source: rel(root, path.join(dir, names[0]!)),
        field: '',
        message: `and ${names.slice(1).map((n) => rel(root, path.join(dir, n))).join(', ')} both define "${stem}" — keep one of them`,
      });
      continue;
    }
    const file = path.join(dir, names[0]!);
    if (stem === path.basename(BASE_FILE, '.yaml')) base = file;
    else environments.push(file);
  }
  return { files: { ...(base ? { base } : {}), environments }, problems };
}

/** Loads one environment file over an (already read) base layer. */
export function loadEnvironment(
  file: string,
  options: { readonly root?: string; readonly base?: ParsedFile | undefined } = {}
): EnvironmentConfig {
  const root = options.root ?? process.cwd();
  try {
    return loadOne(file, root, options.base).config;
  } catch (err) {
    throw new ConfigError(finish(asProblems(err)));
  }
}

function loadOne(file: string, root: string, base: ParsedFile | undefined): LoadedEnvironment {
  const ext = ENV_FILE_EXTENSIONS.find((e) => file.endsWith(e)) ?? '.yaml';
  const name = path.basename(file, ext);
  const source = rel(root, file);
  if (!ENV_NAME.test(name)) {
    throw new ConfigError([
      {
        source,
        field: '',
        message: `has an invalid environment name "${name}" — name the file <env>.yaml with 2–16 lower-case letters and digits, starting with a letter`,
      },
    ]);
  }
  const layer = readLayer(file, root);
  const merged = base ? deepMerge(base.data, layer.data) : layer.data;
  const result = environmentSchema.safeParse(merged, { reportInput: true });
  const problems: Found[] = result.success ? [] : result.error.issues.flatMap((issue) => toProblems(issue, layer, base));
  for (const issue of crossFieldIssues(merged)) {
    problems.push({
      ...locate(issue.path, layer, base),
      field: fieldPath(issue.path),
      ...('value' in issue ? { value: issue.value } : {}),
      message: issue.message,
    });
  }
  if (problems.length > 0 || !result.success) throw new FoundError(problems);
  const where = (keys: ReadonlyArray<PropertyKey>) => {
    const at = locate(keys, layer, base);
    return at.inheritedBy ? `${at.source}:${at.line} (inherited by ${at.inheritedBy})` : `${at.source}:${at.line}`;
  };
  return { config: { ...result.data, name, file: source }, layer, base, merged, where };
}

/** Carries problems that may still be inherited from the base between loadOne and the final report. */
class FoundError extends ConfigError {
  constructor(public readonly found: Found[]) {
    super(found);
  }
}

function asProblems(err: unknown): Found[] {
  if (err instanceof FoundError) return err.found;
  if (err instanceof ConfigError) return [...err.problems];
  throw err;
}

/**
 * Final wording: a problem in the base names the environment files that inherit it (one line for all
 * of them), and problems are ordered as a reader meets them: by file, then line.
 */
function finish(found: Found[]): Problem[] {
  const groups = new Map<string, { problem: Problem; inheritedBy: string[] }>();
  for (const f of found) {
    const { inheritedBy, ...problem } = f;
    const key = JSON.stringify([problem.source, problem.line, problem.field, problem.message, 'value' in problem ? showValue(problem.value) : null]);
    const group = groups.get(key) ?? { problem, inheritedBy: [] };
    if (inheritedBy && !group.inheritedBy.includes(inheritedBy)) group.inheritedBy.push(inheritedBy);
    groups.set(key, group);
  }
  const out = [...groups.values()].map(({ problem, inheritedBy }) =>
    inheritedBy.length === 0 ? problem : { ...problem, message: `${problem.message} (inherited by ${inheritedBy.sort().join(', ')})` }
  );
  return out.sort((a, b) => a.source.localeCompare(b.source) || (a.line ?? 0) - (b.line ?? 0));
}

/** Reads a file's bytes: only a regular file, never following a link, never more than MAX_FILE_BYTES + 1. */
function readBytes(file: string, source: string): Buffer {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer; O_NOFOLLOW: no links.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'ELOOP') {
      throw new ConfigError([{ source, field: '', message: 'is a symbolic link — keep the environment file itself in envs/' }]);
    }
    throw new ConfigError([{ source, field: '', message: `cannot be read (${code}) — check the file's permissions` }]);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) {
      throw new ConfigError([
        { source, field: '', message: `is not a regular file (${kindOf(stats)}) — envs/ may hold only plain YAML files; remove it` },
      ]);
    }
    const buf = Buffer.alloc(MAX_FILE_BYTES + 1);
    let n = 0;
    for (;;) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
      if (n >= buf.length) break;
    }
    if (n > MAX_FILE_BYTES) {
      throw new ConfigError([
        {
          source,
          field: '',
          message: `is more than ${MAX_FILE_BYTES} bytes — environment files are limited to ${MAX_FILE_BYTES} bytes; move repeated data to envs/${BASE_FILE}`,
        },
      ]);
    }
    return buf.subarray(0, n);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError([{ source, field: '', message: `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})` }]);
  } finally {
    closeSync(fd);
  }
}

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isSocket()) return 'a socket';
  return 'not a plain file';
}

function readLayer(file: string, root: string): ParsedFile {
  const source = rel(root, file);
  const bytes = readBytes(file, source);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ConfigError([{ source, line: 1, field: '', message: 'is not UTF-8 text — save the file as UTF-8' }]);
  }
  const lines = new LineCounter();
  const lineAt = (offset: number | undefined) => (offset === undefined ? 1 : Math.max(1, lines.linePos(offset).line));
  let doc: Document.Parsed;
  try {
    const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, logLevel: 'silent', merge: false });
    const all = Array.isArray(docs) ? docs : [];
    if (all.length > 1) {
      throw new ConfigError([
        { source, line: lineAt(all[1]!.range[0]), field: '', message: `holds ${all.length} YAML documents — an environment file is one document; remove the "---" separators` },
      ]);
    }
    if (all.length === 0) {
      throw new ConfigError([{ source, line: 1, field: '', message: 'is empty — an environment file must be a YAML mapping of settings' }]);
    }
    doc = all[0]!;
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError([{ source, line: 1, field: '', message: `cannot be parsed (${(err as Error).message}) — simplify the file` }]);
  }
  // Errors and the library's warnings (e.g. an unknown tag) are reported, never printed by the library.
  const yamlProblems: Problem[] = [...doc.errors, ...doc.warnings].map((e) => ({
    source,
    line: lineAt(e.pos[0]),
    field: '',
    message: yamlMessage(e.code, e.message),
  }));
  if (yamlProblems.length > 0) throw new ConfigError(yamlProblems);
  const structure = structureProblems(doc, source, lineAt);
  if (structure.length > 0) throw new ConfigError(structure);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    const firstAlias = findFirstAlias(doc);
    const message = /alias count/i.test((err as Error).message)
      ? `expands more than ${MAX_ALIAS_COUNT} aliases — write the values out instead of nesting aliases`
      : `cannot be read as YAML data (${(err as Error).message.split('\n')[0]}) — fix the anchors and aliases`;
    throw new ConfigError([{ source, line: lineAt(firstAlias), field: '', message }]);
  }
  if (data === null || data === undefined) {
    throw new ConfigError([{ source, line: 1, field: '', message: 'is empty — an environment file must be a YAML mapping of settings' }]);
  }
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError([
      { source, line: 1, field: '', value: data, message: 'is not a YAML mapping — the file must hold "key: value" settings at the top level' },
    ]);
  }
  return { file: source, doc, lines, data: data as Record<string, unknown> };
}

function yamlMessage(code: string, message: string): string {
  const first = message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  if (code === 'TAG_RESOLVE_FAILED') {
    const tag = /Unresolved tag: (\S+)/.exec(first)?.[1] ?? 'this tag';
    return `uses the YAML tag ${tag}, which environment files do not support — write the plain value (no !Ref, !Sub or other tags)`;
  }
  if (code === 'RESOURCE_EXHAUSTION') return `is nested too deeply to read (${first}) — environment files nest at most ${MAX_DEPTH} levels`;
  return `is not valid YAML: ${first} — fix the syntax at this line`;
}

/** Aliases that include their own ancestor (endless data), reserved keys and excessive depth, each with its line. */
function structureProblems(doc: Document.Parsed, source: string, lineAt: (offset: number | undefined) => number): Problem[] {
  const problems: Problem[] = [];
  visit(doc, {
    Alias(_key, node, ancestors) {
      const target = node.resolve(doc);
      if (target && ancestors.includes(target as never)) {
        problems.push({
          source,
          line: lineAt(node.range?.[0]),
          field: '',
          message: `has the alias *${node.source} inside the value it refers to (an endless loop) — write the values out instead`,
        });
      }
    },
    Pair(_key, pair, ancestors) {
      const key = pair.key as Node | null;
      if (isScalar(key) && typeof key.value === 'string' && RESERVED_KEYS.has(key.value)) {
        problems.push({
          source,
          line: lineAt(key.range?.[0]),
          field: '',
          value: key.value,
          message: `is a reserved key (${[...RESERVED_KEYS].join(', ')}) — remove it; no setting has this name`,
        });
      }
      const depth = ancestors.filter((a) => isMap(a) || isSeq(a)).length;
      if (depth > MAX_DEPTH) {
        problems.push({ source, line: lineAt(key?.range?.[0]), field: '', message: `nests deeper than ${MAX_DEPTH} levels — environment files are shallow; flatten it` });
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return problems;
}

function findFirstAlias(doc: Document.Parsed): number | undefined {
  let offset: number | undefined;
  visit(doc, {
    Alias(_k, node) {
      offset = node.range?.[0];
      return visit.BREAK;
    },
  });
  return offset;
}

/** Objects merge key by key; lists and scalars in the environment file replace the base's. Keys are own data properties (never a prototype). */
export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(base)) define(out, key, value);
  for (const [key, value] of Object.entries(over)) {
    const prev = Object.prototype.hasOwnProperty.call(out, key) ? out[key] : undefined;
    define(out, key, isPlainObject(prev) && isPlainObject(value) ? deepMerge(prev, value) : value);
  }
  return out;
}

function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function toProblems(issue: $ZodIssue, layer: ParsedFile, base: ParsedFile | undefined): Found[] {
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

/**
 * Finds the line of a field: in the environment file if it is set there, else in the base (then the
 * environment file is named as inheriting it), else its nearest parent in the environment file, else line 1.
 */
export function locate(
  keys: ReadonlyArray<PropertyKey>,
  layer: ParsedFile,
  base: ParsedFile | undefined
): { source: string; line: number; inheritedBy?: string } {
  const own = lineOf(layer, keys);
  if (own !== undefined) return { source: layer.file, line: own };
  const inherited = base ? lineOf(base, keys) : undefined;
  if (inherited !== undefined) return { source: base!.file, line: inherited, inheritedBy: layer.file };
  for (let n = keys.length - 1; n >= 1; n--) {
    const line = lineOf(layer, keys.slice(0, n));
    if (line !== undefined) return { source: layer.file, line };
  }
  return { source: layer.file, line: 1 };
}

function lineOf(file: ParsedFile, keys: ReadonlyArray<PropertyKey>): number | undefined {
  if (keys.length === 0) return undefined;
  let node: unknown = file.doc.contents;
  let keyNode: unknown;
  for (const key of keys) {
    if (isAlias(node)) node = node.resolve(file.doc);
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
