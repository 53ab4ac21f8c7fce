import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { UsageError } from '../errors';
import { type SynthesizedJson } from './semantic-diff';

/** The file cdktf writes for each stack, inside `<outdir>/stacks/<id>/`. */
export const STACK_FILE = 'cdk.tf.json';

/** One synthesized stack directory. */
export interface StackDir {
  /** Stack id, e.g. `<env>-services` (the folder name). */
  readonly id: string;
  /** Absolute path of `<outdir>/stacks/<id>`. */
  readonly dir: string;
}

/**
 * Lists the stacks of a synthesized output: every `<outdir>/stacks/<id>/` holding a `cdk.tf.json`,
 * sorted by id. Throws a UsageError when the output is missing, saying how to make it.
 */
export function listStacks(outdir: string): StackDir[] {
  const stacksDir = path.resolve(outdir, 'stacks');
  if (!existsSync(outdir) || !statSync(outdir).isDirectory()) {
    throw new UsageError(`${outdir}: no synthesized output here — run \`platform synth\` first (or pass --outdir <dir>)`);
  }
  if (!existsSync(stacksDir)) {
    throw new UsageError(`${outdir}: has no stacks/ folder — it is not a cdktf output; run \`platform synth\` first (or pass --outdir <dir>)`);
  }
  return readdirSync(stacksDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(path.join(stacksDir, e.name, STACK_FILE)))
    .map((e) => ({ id: e.name, dir: path.join(stacksDir, e.name) }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

/** Reads every stack's `cdk.tf.json` of a synthesized output, by stack id. */
export function readSynthesized(outdir: string): Map<string, SynthesizedJson> {
  const out = new Map<string, SynthesizedJson>();
  for (const stack of listStacks(outdir)) {
    out.set(stack.id, JSON.parse(readFileSync(path.join(stack.dir, STACK_FILE), 'utf8')) as SynthesizedJson);
  }
  return out;
}

/**
 * The environment a stack belongs to. Stack ids are `<env>-<stack>` (see `@platform/naming` stackId)
 * and environment names have no hyphen, so the environment is everything before the first one.
 */
export function environmentOf(stackId: string): string {
  const dash = stackId.indexOf('-');
  return dash > 0 ? stackId.slice(0, dash) : stackId;
}

/** Groups stack ids by environment: `{ "<env>": ["<env>-services"], … }`, keys and lists sorted. */
export function byEnvironment(stackIds: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const id of [...stackIds].sort()) (out[environmentOf(id)] ??= []).push(id);
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Picks the stacks to work on: the named ones (each must exist) or all, then only those of the given
 * environments. Unknown names fail with the list of what exists.
 */
export function selectStacks(all: readonly StackDir[], names: readonly string[], envs: readonly string[] = [], outdir = 'cdktf.out'): StackDir[] {
  const known = new Map(all.map((s) => [s.id, s]));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0) {
    throw new UsageError(
      `${unknown.map((u) => `"${u}"`).join(', ')}: no such stack in ${outdir}/stacks — choose from ${all.map((s) => s.id).join(', ') || '(none: run `platform synth`)'}`,
    );
  }
  const environments = new Set(all.map((s) => environmentOf(s.id)));
  const unknownEnvs = envs.filter((e) => !environments.has(e));
  if (unknownEnvs.length > 0) {
    throw new UsageError(`--env ${unknownEnvs.map((e) => `"${e}"`).join(', ')}: no stacks of this environment in ${outdir} — choose from ${[...environments].sort().join(', ')}`);
  }
  const picked = names.length > 0 ? [...new Set(names)].map((n) => known.get(n)!) : [...all];
  return envs.length > 0 ? picked.filter((s) => envs.includes(environmentOf(s.id))) : picked;
}
