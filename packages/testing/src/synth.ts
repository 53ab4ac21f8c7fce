import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { objectLabel } from '@platform/plan-report/src/objects';
import { TerraformStack, Testing } from 'cdktf';
import { parse, stringify } from 'yaml';
import { type StackJson, withoutMetadata } from './stack-json';
import { repoRoot } from './tools';

export { type StackJson, withoutMetadata } from './stack-json';

/** Synthesizes one stack (running its validations) and parses the JSON. */
export function synthJson(stack: TerraformStack): StackJson {
  return JSON.parse(Testing.synth(stack, true)) as StackJson;
}

/** Every resource of one type, by logical id (empty when there is none). */
export function resourcesOf(json: StackJson, type: string): Record<string, Record<string, unknown>> {
  return json.resource?.[type] ?? {};
}

/** Every data source of one type, by logical id. */
export function dataSourcesOf(json: StackJson, type: string): Record<string, Record<string, unknown>> {
  return json.data?.[type] ?? {};
}

/** A bare stack with an AWS provider, for testing a module outside the stack factory. */
export function awsTestStack(id = 'test'): TerraformStack {
  const stack = new TerraformStack(Testing.app(), id);
  new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
  return stack;
}

/** Longest line a stack snapshot may have (reviewable in a pull request's diff). */
export const SNAPSHOT_MAX_LINE = 200;

const SNAPSHOT_YAML = { lineWidth: 140, minContentWidth: 40, aliasDuplicateObjects: false } as const;

/**
 * A synthesized stack as a reviewer reads it: `cdk.tf.json` as YAML without cdktf's `//` metadata, and
 * every Helm release's `values` (one YAML string in the JSON) pulled out into YAML documents after it.
 * Values holding an `objects:` list (the Kubernetes objects charts/platform-objects installs) become one
 * document per object, in install order, each headed by its kind, namespace and name; so adding a
 * service or a secret changes a few readable lines per object instead of one escaped string.
 */
export function stackSnapshot(stack: StackJson | string, id?: string): string {
  const json = withoutMetadata(typeof stack === 'string' ? (JSON.parse(stack) as StackJson) : stack);
  const documents: string[] = [];
  const releases = (json.resource?.helm_release ?? {}) as Record<string, Record<string, unknown>>;
  const resource = { ...(json.resource ?? {}) } as Record<string, unknown>;
  if (json.resource?.helm_release) {
    const copies: Record<string, Record<string, unknown>> = {};
    for (const [name, release] of Object.entries(releases)) {
      const values = release.values;
      if (!Array.isArray(values)) {
        copies[name] = release;
        continue;
      }
      copies[name] = {
        ...release,
        values: values.map((text: unknown, i) => {
          if (typeof text !== 'string') return text;
          const where = `helm_release.${name} values[${i}]`;
          documents.push(...valuesDocuments(text, where));
          return `(YAML below: ${where})`;
        }),
      };
    }
    resource.helm_release = copies;
  }
  const main = stringify(json.resource ? { ...json, resource } : json, SNAPSHOT_YAML);
  const title = `# ${id ? `${id}: ` : ''}cdk.tf.json as YAML, without cdktf's "//" metadata. Helm release values follow, one document each;`;
  const note = '# a values list of Kubernetes objects is one document per object, in install order.';
  return [title, note, main.trimEnd(), ...documents].join('\n') + '\n';
}

function valuesDocuments(text: string, where: string): string[] {
  let values: unknown;
  try {
    values = parse(text);
  } catch {
    return [`--- # ${where} (not YAML, as written)\n${stringify(text, SNAPSHOT_YAML).trimEnd()}`];
  }
  const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isRecord(values) || !Array.isArray(values.objects) || values.objects.length === 0) {
    return [`--- # ${where}\n${stringify(values, SNAPSHOT_YAML).trimEnd()}`];
  }
  const { objects, ...rest } = values as { objects: unknown[] } & Record<string, unknown>;
  const out: string[] = [];
  if (Object.keys(rest).length > 0) out.push(`--- # ${where}, everything but objects\n${stringify(rest, SNAPSHOT_YAML).trimEnd()}`);
  objects.forEach((object, i) => {
    const meta = isRecord(object) && isRecord(object.metadata) ? object.metadata : {};
    const kind = isRecord(object) && typeof object.kind === 'string' ? object.kind : '?';
    const label = objectLabel({ kind, name: String(meta.name ?? '?'), ...(typeof meta.namespace === 'string' ? { namespace: meta.namespace } : {}) });
    out.push(`--- # ${where} objects[${i}]: ${label}\n${stringify(object, SNAPSHOT_YAML).trimEnd()}`);
  });
  return out;
}

type UpdateMode = 'all' | 'new' | 'none';

/** Jest's snapshot update mode for the running test: `all` with `-u`, `none` with `--ci` (CI), else `new`. */
function updateMode(): UpdateMode {
  const state = expect.getState().snapshotState as { _updateSnapshot?: UpdateMode } | undefined;
  return state?._updateSnapshot ?? 'none';
}

/**
 * Compares `text` with a snapshot file of its own (a plain file, no escaping: what a reviewer reads in the
 * diff), following jest's snapshot rules: `-u` rewrites it, a missing file is written unless in CI
 * (`--ci`), and a difference fails with jest's line diff and how to accept it.
 */
export function expectFileSnapshot(text: string, file: string): void {
  const rel = path.relative(repoRoot, file);
  const long = text.split('\n').findIndex((line) => line.length > SNAPSHOT_MAX_LINE);
  if (long >= 0) throw new Error(`${rel}:${long + 1}: a snapshot line is longer than ${SNAPSHOT_MAX_LINE} characters — fold it in the snapshot renderer`);
  const mode = updateMode();
  const existing = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  if (existing === text) return;
  if ((existing === undefined && mode !== 'none') || mode === 'all') {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
    return;
  }
  if (existing === undefined) throw new Error(`${rel}: no snapshot file — run \`npx jest stacks -u\` to write it, then review and commit it (CI never writes snapshots)`);
  try {
    expect(text).toBe(existing); // jest's line diff: "Expected" is the snapshot file, "Received" the synth
  } catch (err) {
    if (err instanceof Error) err.message = `snapshot file ${rel} differs from the synthesized stack — review the diff, then accept it with \`npx jest stacks -u\`\n\n${err.message}`;
    throw err;
  }
}

/**
 * Fails on snapshot files in `dir` ending in `suffix` that no test wrote (a removed environment or
 * stack); `-u` deletes them.
 */
export function expectNoStaleSnapshots(dir: string, suffix: string, expected: readonly string[]): void {
  const wanted = new Set(expected.map((f) => path.basename(f)));
  const stale = (existsSync(dir) ? readdirSync(dir) : []).filter((f) => f.endsWith(suffix) && !wanted.has(f)).sort();
  if (stale.length === 0) return;
  if (updateMode() === 'all') {
    for (const f of stale) rmSync(path.join(dir, f));
    return;
  }
  throw new Error(`${stale.map((f) => path.relative(repoRoot, path.join(dir, f))).join(', ')}: snapshot file${stale.length === 1 ? '' : 's'} of no synthesized stack — run \`npx jest stacks -u\` to remove ${stale.length === 1 ? 'it' : 'them'}`);
}

/** Where a stack's snapshot file lives: `stacks/__snapshots__/<stack id>.yaml`. */
export function stackSnapshotFile(stackId: string): string {
  return path.join(repoRoot, 'stacks', '__snapshots__', `${stackId}.yaml`);
}
