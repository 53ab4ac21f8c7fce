import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type Command } from 'commander';
import { UsageError } from '../errors';
import { byEnvironment, environmentOf, readSynthesized } from '../lib/stacks';
import { describeRefactor, diffSynthesized, MOVED_FIX, type SemanticDiff, type StackDiff, type SuspectedRefactor, type SynthesizedJson } from '../lib/semantic-diff';
import { linkNodeModules, ownNodeModules, repositoryRoot, resolveCommit, synthCheckout, withWorktree } from '../lib/worktree';
import { runSynth } from './synth';

export interface AffectedOptions {
  /** Git ref of the base revision, e.g. `origin/main`. */
  readonly base: string;
  /** Folder inside the repository to work from (the repository root in practice). @default - process.cwd() */
  readonly cwd?: string;
  /** Where the base checkout takes third-party packages from. @default - the CLI's own node_modules */
  readonly nodeModules?: string;
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
  /** Every stack with its status and the block addresses added, removed or changed. */
  readonly stacks: ReadonlyArray<StackDiff & { readonly environment: string }>;
  /** Same-type resources that disappear while others appear: a destroy and recreate unless moved. `message` says so and names the fix. */
  readonly refactors: ReadonlyArray<SuspectedRefactor & { readonly message: string }>;
}

/**
 * Synthesizes the base revision (its own code, in a temporary git worktree) and the working tree
 * (in process), both into temporary folders, and compares them stack by stack. Neither the working
 * tree nor its cdktf.out is touched.
 */
export async function computeAffected(options: AffectedOptions): Promise<AffectedReport> {
  if (!options.base || options.base.trim() === '') throw new UsageError('--base: missing — pass the git ref to compare with, e.g. --base origin/main');
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const root = await repositoryRoot(cwd);
  const commit = await resolveCommit(root, options.base);
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'platform-affected-'));
  try {
    const headOut = path.join(scratch, 'head');
    const lines: string[] = [];
    const code = runSynth({ outdir: headOut, envDir: path.join(cwd, 'envs'), quiet: true, write: (l) => lines.push(l) });
    if (code !== 0) throw new UsageError(`synth of the working tree failed:\n${lines.join('\n')}`);
    const baseOut = path.join(scratch, 'base');
    await withWorktree(root, commit, async (dir) => {
      linkNodeModules(dir, options.nodeModules ?? ownNodeModules());
      const sub = path.relative(root, cwd);
      await synthCheckout(path.join(dir, sub), baseOut, `base revision ${options.base} (${commit.slice(0, 12)})`);
    });
    const diff = diffSynthesized(readOrEmpty(baseOut), readSynthesized(headOut));
    return toReport(options.base, commit, diff);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function readOrEmpty(outdir: string): Map<string, SynthesizedJson> {
  // A base from before the first stack synthesizes no stacks/ folder: every head stack is new.
  return existsSync(path.join(outdir, 'stacks')) ? readSynthesized(outdir) : new Map();
}

export function toReport(base: string, baseCommit: string, diff: SemanticDiff): AffectedReport {
  return {
    base,
    baseCommit,
    affected: diff.affected,
    environments: byEnvironment(diff.affected),
    removed: diff.stacks.filter((s) => s.status === 'removed').map((s) => s.stack),
    stacks: diff.stacks.map((s) => ({ ...s, environment: environmentOf(s.stack) })),
    refactors: diff.refactors.map((r) => ({ ...r, message: `${describeRefactor(r)}. ${MOVED_FIX}` })),
  };
}

/** The report for a person. */
export function formatAffected(report: AffectedReport): string[] {
  const lines = [`compared with ${report.base} (${report.baseCommit.slice(0, 12)})`];
  if (report.affected.length === 0) lines.push('no stack is affected: the synthesized Terraform is the same');
  else lines.push(`${report.affected.length} affected stack${report.affected.length === 1 ? '' : 's'}:`);
  const width = Math.max(0, ...report.stacks.map((s) => s.stack.length));
  for (const s of report.stacks.filter((x) => x.status === 'added' || x.status === 'changed')) {
    const counts = s.status === 'added' ? 'new stack' : `${s.added.length} added, ${s.removed.length} removed, ${s.changed.length} changed`;
    lines.push(`  ${s.stack.padEnd(width)}  ${counts}`);
    for (const [mark, list] of [['+', s.added], ['-', s.removed], ['~', s.changed]] as const) {
      if (s.status === 'added') break;
      for (const address of list) lines.push(`      ${mark} ${address}`);
    }
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
      'Synthesize the base revision (in a temporary git worktree) and the working tree, and list the stacks whose Terraform differs semantically ' +
        '(key order and cdktf\'s "//" metadata do not count). Warns when a resource disappears while one of the same type appears (a destroy and recreate: add a moved block).',
    )
    .requiredOption('-b, --base <ref>', 'git ref to compare with, e.g. origin/main')
    .option('--json', 'print a JSON report for machines (affected, environments, stacks, refactors)')
    .addHelpText(
      'after',
      '\nNeither the working tree nor cdktf.out is modified: both sides are synthesized into temporary folders.\n' +
        'Exit codes: 0 compared (whether or not stacks are affected), 1 invalid input (bad --base) or a failed synth.',
    )
    .action(async (opts: { base: string; json?: boolean }) => {
      const report = await computeAffected({ base: opts.base });
      if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else process.stdout.write(`${formatAffected(report).join('\n')}\n`);
      process.exitCode = 0;
    });
}
