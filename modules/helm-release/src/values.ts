import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Token } from 'cdktf';
import { parseDocument, stringify } from 'yaml';

/** Plain values data: what a values.yaml file holds. */
export type Values = Record<string, unknown>;

function isPlainObject(v: unknown): v is Values {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Merges value layers the way Helm merges `-f` files: mappings merge key by key, lists and scalars of a
 * later layer replace the earlier ones, and `null` in a later layer removes the key.
 */
export function mergeValues(...layers: ReadonlyArray<Values | undefined>): Values {
  let out: Values = {};
  for (const layer of layers) if (layer) out = mergeTwo(out, layer);
  return out;
}

function mergeTwo(base: Values, over: Values): Values {
  const out: Values = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === null) {
      delete out[key];
      continue;
    }
    if (value === undefined) continue;
    const prev = out[key];
    out[key] = isPlainObject(prev) && isPlainObject(value) ? mergeTwo(prev, value) : clone(value);
  }
  return out;
}

function clone(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clone);
  if (isPlainObject(value)) return mergeTwo({}, value);
  return value;
}

/** A `values-<env>.yaml` file that was read, or the reason it could not be. */
export type ValuesFile =
  | { readonly file: string; readonly values: Values; readonly error?: undefined }
  | { readonly file: string; readonly values?: undefined; readonly error: string };

/** Reads `<dir>/values-<env>.yaml` when it exists; returns undefined when there is none. */
export function readEnvironmentValues(dir: string, environment: string): ValuesFile | undefined {
  const file = path.join(dir, `values-${environment}.yaml`);
  if (!existsSync(file)) return undefined;
  // logLevel silent: the library's warnings (e.g. an unknown tag) become the error, never console output.
  const doc = parseDocument(readFileSync(file, 'utf8'), { uniqueKeys: true, prettyErrors: false, logLevel: 'silent' });
  const problem = [...doc.errors, ...doc.warnings][0];
  if (problem) {
    return { file, error: `is not valid YAML: ${problem.message.split('\n')[0]}` };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return { file, error: `cannot be read as YAML data: ${(err as Error).message.split('\n')[0]}` };
  }
  if (data === null || data === undefined) return { file, values: {} };
  if (!isPlainObject(data)) return { file, error: 'is not a YAML mapping of values' };
  return { file, values: data };
}

/**
 * Renders values as one YAML document for `helm_release.values`. Literal `${` and `%{` are escaped
 * (`$${`, `%%{`) so Terraform does not read them as interpolations; strings holding Terraform references
 * (tokens) are left for cdktf to resolve into `${…}` expressions.
 */
export function toTerraformYaml(values: Values): string {
  return stringify(escapeTemplates(values), { lineWidth: 0 });
}

function escapeTemplates(value: unknown): unknown {
  if (typeof value === 'string') {
    // A function replacement: in a replacement string "$$" would itself collapse to "$".
    return Token.isUnresolved(value) ? value : value.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
  }
  if (Array.isArray(value)) return value.map(escapeTemplates);
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapeTemplates(v)]));
  }
  return value;
}

/** One leaf of a values tree: its path segments (keys and list indexes) and its value. */
export interface ValueLeaf {
  readonly path: ReadonlyArray<string | number>;
  readonly value: unknown;
}

/** Every scalar (and empty collection) in a values tree, depth first, in key order. */
export function leaves(values: unknown, prefix: ReadonlyArray<string | number> = []): ValueLeaf[] {
  if (Array.isArray(values)) {
    if (values.length === 0) return [{ path: prefix, value: values }];
    return values.flatMap((v, i) => leaves(v, [...prefix, i]));
  }
  if (isPlainObject(values)) {
    const entries = Object.entries(values);
    if (entries.length === 0) return prefix.length === 0 ? [] : [{ path: prefix, value: values }];
    return entries.flatMap(([k, v]) => leaves(v, [...prefix, k]));
  }
  return [{ path: prefix, value: values }];
}

/** Renders a value path like `objects[2].spec.data[0].secretKey`. */
export function renderPath(segments: ReadonlyArray<string | number>): string {
  return segments.reduce<string>((acc, s) => (typeof s === 'number' ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s), '');
}
