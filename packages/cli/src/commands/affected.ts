import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { BASE_FILE, ConfigError, loadEnvironments, type EnvironmentConfig } from '@platform/config';
import { parse as parseYaml } from 'yaml';
import { formatObjectChanges, objectCounts, type ObjectChange } from '@platform/plan-report';
import { type Command } from 'commander';
import { UsageError } from '../errors';
import { diffStackObjects } from '../lib/object-diff';
import { byEnvironment, environmentOf, readSynthesized } from '../lib/stacks';
import { describeRefactor, diffSynthesized, MOVED_FIX, type SemanticDiff, type StackDiff, type SuspectedRefactor, type SynthesizedJson } from '../lib/semantic-diff';
import { git, linkNodeModules, ownNodeModules, repositoryRoot, resolveCommit, synthCheckout, withWorktree } from '../lib/worktree';
import { runSynth, synthPlatform } from './synth';

const execFileP = promisify(execFile);

export interface AffectedOptions {
  /** Git ref of the base revision, e.g. `origin/main`. */
  readonly base: string;
  /** Folder inside the repository to work from (the repository root in practice). @default - process.cwd() */
  readonly cwd?: string;
  /** Where the base checkout takes third-party packages from. @default - the CLI's own node_modules */
  readonly nodeModules?: string;
  /**
   * Folder of environment files, inside the repository; the base revision's copy of the same folder is
   * compared with it. @default - `<cwd>/envs`
   */
  readonly envDir?: string;
  /** Always synthesize every environment of both sides with each side's own code. @default false */
  readonly full?: boolean;
}

/** Blocks of one kind added, removed and changed in a stack. */
export interface BlockCounts {
  readonly added: number;
  readonly removed: number;
  readonly changed: number;
}

/** A stack's changes counted by kind of block: resources, data sources and outputs apart (the rest: providers, terraform settings, variables). */
export interface StackCounts {
  readonly resources: BlockCounts;
  readonly dataSources: BlockCounts;
  readonly outputs: BlockCounts;
  readonly other: BlockCounts;
}

/** What was synthesized to compute the report, and why. */
export interface AffectedScope {
  /**
   * `environments`: only environment files changed, so both sides were synthesized in process with the
   * same code, for `environments` only (plus those sharing an account or state bucket with them);
   * `full`: every environment of both sides, the base with its own code.
   */
  readonly mode: 'environments' | 'full';
  /** Why this mode. */
  readonly reason: string;
  /** Environments synthesized (`mode: environments`), sorted; all of them for `full`. */
  readonly environments: readonly string[];
  /** Environments not synthesized: their files, the code and the shared inputs did not change, so their stacks are unchanged. */
  readonly unchangedEnvironments: readonly string[];
}

/** What `platform affected --json` prints. */
export interface AffectedReport {
  readonly base: string;
  readonly baseCommit: string;
  /** Stacks to plan: added or semantically changed, sorted. */
  readonly affected: readonly string[];
  /** Affected stacks by environment: `{ "<env>": ["<env>-services"] }`. */
  readonly environments: Readonly<Record<string, readonly string[]>>;
  /** Stacks the head no longer synthesizes: their resources stay in state until destroyed. */
  readonly removed: readonly string[];
  /**
   * Every synthesized stack with its status, the block addresses added, removed or changed, those
   * counted by kind, and the Kubernetes objects its Helm releases deliver that are added, removed or
   * changed (the offline object diff; empty when none).
   */
  readonly stacks: ReadonlyArray<StackDiff & { readonly environment: string; readonly counts: StackCounts; readonly objects: readonly ObjectChange[] }>;
  /** Same-type resources that disappear while others appear: a destroy and recreate unless moved. `message` says so and names the fix. */
  readonly refactors: ReadonlyArray<SuspectedRefactor & { readonly message: string }>;
  readonly scope: AffectedScope;
}

/** Environment file names: `<env>.yaml` (or `.yml`); `_base.yaml` and anything else in the folder is shared input. */
const ENV_FILE = /^([a-z][a-z0-9]*)\.ya?ml$/;

/**
 * Compares the base revision with the working tree, stack by stack, both synthesized into temporary
 * folders; neither the working tree nor its cdktf.out is touched.
 *
 * When every changed file (committed since the base, staged, unstaged or untracked) is an environment
 * file, the code is the base's code: both sides are synthesized in process, and only for the changed
 * environments and those sharing an account or a state bucket with them (bootstrap stacks are per
 * bucket). Any other change — code, charts, `_base.yaml` or anything else in the envs folder counts as
 * every environment — synthesizes all environments, the base with its own code in a git worktree.
 */
export async function computeAffected(options: AffectedOptions): Promise<AffectedReport> {
  if (!options.base || options.base.trim() === '') throw new UsageError('--base: missing — pass the git ref to compare with, e.g. --base origin/main');
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const root = await repositoryRoot(cwd);
  const commit = await resolveCommit(root, options.base);
  const envDir = path.resolve(cwd, options.envDir ?? 'envs');
  const envRel = path.relative(realPath(root), realPath(envDir));
  if (envRel.startsWith('..') || path.isAbsolute(envRel)) {
    throw new UsageError(`--env-dir ${envDir}: is outside the repository ${root} — affected compares it with the base revision's copy, so it must be inside the repository`);
  }
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'platform-affected-'));
  try {
    const changed = options.full ? undefined : await changedFiles(root, commit);
    const envOnly = changed !== undefined && changed.every((f) => isInside(f, envRel));
    const baseEnvDir = path.join(scratch, 'base-envs');
    let scope: AffectedScope;
    let base: Map<string, SynthesizedJson>;
    let head: Map<string, SynthesizedJson>;
    if (envOnly) {
      await extractFolder(root, commit, envRel, baseEnvDir);
      // Only the environments that are synthesized are loaded, on each side (the others' files are the same
      // on both sides); which environments share an account or a state bucket is read from every file.
      const touched = changed.map((f) => path.relative(envRel, f));
      const shared = touched.filter((f) => !ENV_FILE.test(f) || path.dirname(f) !== '.');
      const headNames = existsSync(envDir) ? envFileNames(envDir) : [];
      const baseNames = existsSync(baseEnvDir) ? envFileNames(baseEnvDir) : [];
      const all = [...new Set([...headNames, ...baseNames])].sort();
      const named = touched.map((f) => ENV_FILE.exec(f)?.[1]).filter((n): n is string => n !== undefined);
      const baseLabel = `base revision ${options.base} (${commit.slice(0, 12)})`;
      const selected = shared.length > 0 ? all : withSharedInputs(named, [{ dir: envDir, names: headNames }, { dir: baseEnvDir, names: baseNames }], all);
      const headEnvs = loadSide(envDir, headNames.filter((n) => selected.includes(n)), scratch, 'the working tree');
      const baseEnvs = loadSide(baseEnvDir, baseNames.filter((n) => selected.includes(n)), scratch, baseLabel);
      head = synthConfigs(path.join(scratch, 'head'), headEnvs.filter((e) => selected.includes(e.name)), 'the working tree');
      base = synthConfigs(path.join(scratch, 'base'), baseEnvs.filter((e) => selected.includes(e.name)), baseLabel);
      scope = {
        mode: 'environments',
        reason:
          changed.length === 0
            ? 'nothing changed since the base'
            : shared.length > 0
              ? `only ${envRel}/ changed, including shared input (${shared.map((f) => path.join(envRel, f)).join(', ')}): every environment`
              : `only environment files changed (${touched.map((f) => path.join(envRel, f)).join(', ')})`,
        environments: selected,
        unchangedEnvironments: all.filter((e) => !selected.includes(e)),
      };
    } else {
      const headOut = path.join(scratch, 'head');
      const lines: string[] = [];
      const code = runSynth({ outdir: headOut, envDir, quiet: true, write: (l) => lines.push(l) });
      if (code !== 0) throw new UsageError(`synth of the working tree failed:\n${lines.join('\n')}`);
      const baseOut = path.join(scratch, 'base');
      await withWorktree(root, commit, async (dir) => {
        linkNodeModules(dir, options.nodeModules ?? ownNodeModules());
        // The base synthesizes its own envs/ folder: give it the base's copy of --env-dir there.
        if (envRel !== 'envs' && existsSync(path.join(dir, envRel))) {
          rmSync(path.join(dir, 'envs'), { recursive: true, force: true });
          symlinkSync(path.join(dir, envRel), path.join(dir, 'envs'));
        }
        const sub = path.relative(root, cwd);
        await synthCheckout(path.join(dir, sub), baseOut, `base revision ${options.base} (${commit.slice(0, 12)})`);
      });
      head = readSynthesized(headOut);
      base = readOrEmpty(baseOut);
      const names = [...new Set([...head.keys(), ...base.keys()].map(environmentOf))].sort();
      scope = {
        mode: 'full',
        reason: options.full ? '--full' : `files outside ${envRel}/ changed (${summarize(changed!.filter((f) => !isInside(f, envRel)))}): every environment, the base with its own code`,
        environments: names,
        unchangedEnvironments: [],
      };
    }
    return toReport(options.base, commit, diffSynthesized(base, head), scope, base, head);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function realPath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

function isInside(file: string, dir: string): boolean {
  return dir === '' || file === dir || file.startsWith(`${dir}/`);
}

function summarize(files: readonly string[]): string {
  return files.length <= 3 ? files.join(', ') : `${files.slice(0, 3).join(', ')} and ${files.length - 3} more`;
}

/** Files that differ between `commit` and the working tree: committed, staged, unstaged and untracked (not ignored). */
export async function changedFiles(root: string, commit: string): Promise<string[]> {
  const diff = await git(root, ['diff', '--name-only', '--no-renames', '-z', commit, '--']);
  const untracked = await git(root, ['ls-files', '--others', '--exclude-standard', '-z']);
  return [...new Set([...diff.split('\0'), ...untracked.split('\0')].filter((f) => f !== ''))].sort();
}

/** Writes the base revision's copy of a folder into `into` (nothing when the base has no such folder). */
async function extractFolder(root: string, commit: string, folder: string, into: string): Promise<void> {
  const listing = await git(root, ['ls-tree', '-r', '-z', '--name-only', commit, '--', folder]);
  const files = listing.split('\0').filter((f) => f !== '');
  if (files.length === 0) return;
  mkdirSync(into, { recursive: true });
  const tar = path.join(path.dirname(into), 'base-envs.tar');
  await git(root, ['archive', '--format=tar', '-o', tar, commit, '--', folder]);
  const unpacked = path.join(path.dirname(into), 'base-envs-unpacked');
  mkdirSync(unpacked, { recursive: true });
  await execFileP('tar', ['-xf', tar, '-C', unpacked]);
  rmSync(into, { recursive: true, force: true });
  renameSync(path.join(unpacked, folder), into);
}

/** One side's environment folder and the environments it has. */
export interface EnvFolder {
  readonly dir: string;
  readonly names: readonly string[];
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** An environment file's account and state bucket (its own value, else `_base.yaml`'s); undefined when unreadable. */
function sharingValues(dir: string, name: string): string[] | undefined {
  const read = (text: string | undefined): Record<string, Record<string, unknown> | undefined> | undefined => {
    if (text === undefined) return {};
    try {
      const value: unknown = parseYaml(text);
      return value !== null && typeof value === 'object' ? (value as Record<string, Record<string, unknown> | undefined>) : {};
    } catch {
      return undefined;
    }
  };
  const file = readdirSync(dir).find((f) => ENV_FILE.exec(f)?.[1] === name);
  const own = read(file === undefined ? undefined : readText(path.join(dir, file)));
  const base = read(readText(path.join(dir, BASE_FILE)));
  if (own === undefined || base === undefined) return undefined;
  const values = [own.aws?.accountId ?? base.aws?.accountId, own.state?.bucket ?? base.state?.bucket];
  return values.every((v) => typeof v === 'string' && v.length >= 3) ? (values as string[]) : undefined;
}

/**
 * The named environments plus every environment sharing an AWS account or a state bucket with one of
 * them (on either side, transitively): stacks that are per account or per bucket (bootstrap) are built
 * from all of those environments, so they must be synthesized from the same set as a full synth would.
 *
 * Only the selected environments' files are parsed; another file shares a value when its text contains
 * it (a superset: a mention elsewhere only adds an environment to synthesize). When `_base.yaml` holds a
 * value, or a file cannot be read, every environment is selected.
 */
export function withSharedInputs(names: readonly string[], folders: readonly EnvFolder[], all: readonly string[]): string[] {
  const selected = new Set(names);
  let frontier = [...names];
  const texts = new Map<string, string>();
  const textOf = (dir: string, name: string): string => {
    const key = `${dir}\u0000${name}`;
    if (!texts.has(key)) {
      const file = readdirSync(dir).find((f) => ENV_FILE.exec(f)?.[1] === name);
      texts.set(key, (file && readText(path.join(dir, file))) ?? '');
    }
    return texts.get(key)!;
  };
  while (frontier.length > 0) {
    const values: string[] = [];
    for (const name of frontier) {
      for (const folder of folders.filter((f) => f.names.includes(name))) {
        const found = sharingValues(folder.dir, name);
        if (found === undefined) return [...all];
        values.push(...found);
      }
    }
    for (const folder of folders) {
      if (!existsSync(folder.dir)) continue;
      const base = readText(path.join(folder.dir, BASE_FILE)) ?? '';
      if (values.some((v) => base.includes(v))) return [...all];
    }
    const next: string[] = [];
    for (const folder of folders) {
      for (const name of folder.names) {
        if (selected.has(name)) continue;
        if (values.some((v) => textOf(folder.dir, name).includes(v))) {
          selected.add(name);
          next.push(name);
        }
      }
    }
    frontier = next;
  }
  return [...selected].sort();
}

/** Environment names of the `<env>.yaml` files in a folder. */
function envFileNames(dir: string): string[] {
  return readdirSync(dir)
    .map((f) => ENV_FILE.exec(f)?.[1])
    .filter((n): n is string => n !== undefined)
    .sort();
}

/**
 * Loads some environments of a folder: from a copy holding every shared file (`_base.yaml`, …) and only
 * their files, which is fast; when the folder's rules need the other files too (a rule across
 * environments fails on the part), from the whole folder.
 */
function loadSide(dir: string, names: readonly string[], scratch: string, label: string): EnvironmentConfig[] {
  if (names.length === 0 || !existsSync(dir)) return [];
  const part = mkdtempSync(path.join(scratch, 'envs-part-'));
  for (const f of readdirSync(dir)) {
    const name = ENV_FILE.exec(f)?.[1];
    if (name !== undefined && !names.includes(name)) continue;
    cpSync(path.join(dir, f), path.join(part, f), { recursive: true });
  }
  try {
    try {
      return loadEnvironments(part, { root: scratch });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      return loadEnvironments(dir, { root: scratch }).filter((e) => names.includes(e.name));
    }
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(`the environment files of ${label} do not load:\n${err.message}`);
    throw err;
  }
}

/** Synthesizes environment configurations in process, with the policy gate (none: no stacks). */
function synthConfigs(outdir: string, envs: readonly EnvironmentConfig[], label: string): Map<string, SynthesizedJson> {
  if (envs.length === 0) return new Map();
  try {
    synthPlatform(outdir, envs);
  } catch (err) {
    if (err instanceof Error && !(err instanceof UsageError)) err.message = `synth of ${label} failed: ${err.message}`;
    throw err;
  }
  return readSynthesized(outdir);
}

function readOrEmpty(outdir: string): Map<string, SynthesizedJson> {
  // A base from before the first stack synthesizes no stacks/ folder: every head stack is new.
  return existsSync(path.join(outdir, 'stacks')) ? readSynthesized(outdir) : new Map();
}

const EMPTY: BlockCounts = { added: 0, removed: 0, changed: 0 };

/** Which count an address belongs to. */
function blockKind(address: string): keyof StackCounts {
  if (address.startsWith('data.')) return 'dataSources';
  if (address.startsWith('output.')) return 'outputs';
  if (/^(variable|module|provider|terraform|locals|moved|import)\./.test(address) || !address.includes('.')) return 'other';
  return 'resources';
}

/** Counts a stack's added, removed and changed blocks by kind. */
export function countBlocks(diff: Pick<StackDiff, 'added' | 'removed' | 'changed'>): StackCounts {
  const counts: Record<keyof StackCounts, BlockCounts> = { resources: { ...EMPTY }, dataSources: { ...EMPTY }, outputs: { ...EMPTY }, other: { ...EMPTY } };
  for (const what of ['added', 'removed', 'changed'] as const) {
    for (const address of diff[what]) {
      const kind = blockKind(address);
      counts[kind] = { ...counts[kind], [what]: counts[kind][what] + 1 };
    }
  }
  return counts;
}

const COUNT_NAMES: ReadonlyArray<[keyof StackCounts, string]> = [
  ['resources', 'resources'],
  ['dataSources', 'data sources'],
  ['outputs', 'outputs'],
  ['other', 'other blocks'],
];

/** `resources: 2 added, 1 changed; data sources: 1 added; outputs: 3 added` (kinds without changes are left out). */
export function formatCounts(counts: StackCounts): string {
  const parts: string[] = [];
  for (const [key, noun] of COUNT_NAMES) {
    const c = counts[key];
    const bits = (['added', 'removed', 'changed'] as const).filter((w) => c[w] > 0).map((w) => `${c[w]} ${w}`);
    if (bits.length > 0) parts.push(`${noun}: ${bits.join(', ')}`);
  }
  return parts.length === 0 ? 'no block changes' : parts.join('; ');
}

export function toReport(
  base: string,
  baseCommit: string,
  diff: SemanticDiff,
  scope: AffectedScope,
  baseStacks: ReadonlyMap<string, SynthesizedJson> = new Map(),
  headStacks: ReadonlyMap<string, SynthesizedJson> = new Map(),
): AffectedReport {
  const objects = new Map(diffStackObjects(baseStacks, headStacks).map((d) => [d.stack, d.changes]));
  return {
    base,
    baseCommit,
    affected: diff.affected,
    environments: byEnvironment(diff.affected),
    removed: diff.stacks.filter((s) => s.status === 'removed').map((s) => s.stack),
    stacks: diff.stacks.map((s) => ({ ...s, environment: environmentOf(s.stack), counts: countBlocks(s), objects: objects.get(s.stack) ?? [] })),
    refactors: diff.refactors.map((r) => ({ ...r, message: `${describeRefactor(r)}. ${MOVED_FIX}` })),
    scope,
  };
}

/** The report for a person. */
export function formatAffected(report: AffectedReport): string[] {
  const lines = [`compared with ${report.base} (${report.baseCommit.slice(0, 12)})`];
  if (report.scope.mode === 'environments') {
    lines.push(`synthesized ${report.scope.environments.length === 0 ? 'no environment' : report.scope.environments.join(', ')}: ${report.scope.reason}`);
    if (report.scope.unchangedEnvironments.length > 0) {
      lines.push(`not synthesized (same code, same environment file): ${report.scope.unchangedEnvironments.length} environment${report.scope.unchangedEnvironments.length === 1 ? '' : 's'}, unchanged`);
    }
  }
  if (report.affected.length === 0) lines.push('no stack is affected: the synthesized Terraform is the same');
  else lines.push(`${report.affected.length} affected stack${report.affected.length === 1 ? '' : 's'}:`);
  const width = Math.max(0, ...report.stacks.map((s) => s.stack.length));
  for (const s of report.stacks.filter((x) => x.status === 'added' || x.status === 'changed')) {
    const counts = s.status === 'added' ? `new stack: ${formatCounts(s.counts)}` : formatCounts(s.counts);
    lines.push(`  ${s.stack.padEnd(width)}  ${counts}`);
    if (s.status !== 'added') {
      for (const [mark, list] of [['+', s.added], ['-', s.removed], ['~', s.changed]] as const) {
        for (const address of list) lines.push(`      ${mark} ${address}`);
      }
    }
    if (s.objects.length > 0) {
      lines.push(`    Kubernetes objects (through Helm): ${objectCounts(s.objects)}`);
      lines.push(...formatObjectChanges(s.objects));
    }
  }
  for (const s of report.stacks.filter((x) => x.status === 'removed' && x.objects.length > 0)) {
    lines.push(`  ${s.stack.padEnd(width)}  removed stack; Kubernetes objects no longer delivered: ${objectCounts(s.objects)}`);
    lines.push(...formatObjectChanges(s.objects));
  }
  const unchanged = report.stacks.filter((s) => s.status === 'unchanged').map((s) => s.stack);
  if (unchanged.length > 0) lines.push(`unchanged: ${unchanged.join(', ')}`);
  for (const removed of report.removed) {
    lines.push(`warning: stack ${removed} is no longer synthesized — its resources stay in its state until destroyed; plan cannot show that`);
  }
  for (const r of report.refactors) lines.push(`warning: ${describeRefactor(r)}`);
  if (report.refactors.length > 0) lines.push(`  ${MOVED_FIX}`);
  return lines;
}

export function registerAffected(program: Command): void {
  program
    .command('affected')
    .description(
      'Synthesize the base revision and the working tree, and list the stacks whose Terraform differs semantically ' +
        '(key order and cdktf\'s "//" metadata do not count), with resources, data sources and outputs counted apart, and the Kubernetes objects ' +
        'their Helm releases deliver that are added, removed or changed (kind, namespace, name, changed fields; secret-looking values masked). ' +
        'When only environment files changed, only those environments are synthesized (same code on both sides); otherwise every environment, ' +
        'the base with its own code in a temporary git worktree. Warns when a resource disappears while one of the same type appears (a destroy and recreate: add a moved block).',
    )
    .requiredOption('-b, --base <ref>', 'git ref to compare with, e.g. origin/main')
    .option('--json', 'print a JSON report for machines (affected, environments, stacks with counts and Kubernetes objects, refactors, scope)')
    .option('--env-dir <dir>', 'folder of environment files, inside the repository (compared with the base revision\'s copy)', 'envs')
    .option('--full', 'synthesize every environment of both sides, the base with its own code, even when only environment files changed')
    .addHelpText(
      'after',
      '\nNeither the working tree nor cdktf.out is modified: both sides are synthesized into temporary folders.\n' +
        'Exit codes: 0 compared (whether or not stacks are affected), 1 invalid input (bad --base) or a failed synth.',
    )
    .action(async (opts: { base: string; json?: boolean; envDir: string; full?: boolean }) => {
      const report = await computeAffected({ base: opts.base, envDir: opts.envDir, full: opts.full === true });
      if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else process.stdout.write(`${formatAffected(report).join('\n')}\n`);
      process.exitCode = 0;
    });
}
