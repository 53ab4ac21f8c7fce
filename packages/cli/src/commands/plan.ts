import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { type Command } from 'commander';
import { EXIT, reportError, UsageError } from '../errors';
import { parseParallel, DEFAULT_PARALLEL, MAX_PARALLEL, type EngineCommandOptions } from '../lib/options';
import { diagnoseLocks } from '../lib/lock-diagnosis';
import { createProgress, progressMode } from '../lib/progress';
import { resolveTerraformBinary } from '../lib/runner';
import { exitCodeOf, formatOutcomes, planStacks, type StackOutcome } from '../lib/stack-plan';
import { listStacks, selectStacks, STACK_FILE, type StackDir } from '../lib/stacks';
import { computeAffected } from './affected';

export interface PlanOptions extends EngineCommandOptions {
  /** Plan only the stacks `platform affected` finds against `base`. */
  readonly affected?: boolean;
  readonly base?: string;
  /** Repository folder `--affected` compares in. @default - process.cwd() */
  readonly cwd?: string;
  /** Plan only stacks of these kinds (`--kind aws`: what pull requests may plan). @default - every kind */
  readonly kinds?: readonly string[];
}

/** What a stack talks to, as `platform environments --json` reports it. */
export const STACK_KINDS = ['aws', 'cluster', 'bootstrap'] as const;
export type StackKind = (typeof STACK_KINDS)[number];

/**
 * A synthesized stack's kind: `bootstrap` (`<env>-bootstrap`, applied once by an administrator),
 * `cluster` (configures a Helm or Kubernetes provider: needs cluster credentials) or `aws` (AWS only).
 */
export function stackKindOf(stack: StackDir): StackKind {
  if (stack.id.endsWith('-bootstrap')) return 'bootstrap';
  const json = JSON.parse(readFileSync(path.join(stack.dir, STACK_FILE), 'utf8')) as { provider?: Record<string, unknown> };
  return Object.keys(json.provider ?? {}).some((p) => p === 'helm' || p === 'kubernetes') ? 'cluster' : 'aws';
}

/**
 * Plans stacks of a synthesized output with the engine `TERRAFORM_BINARY_NAME` names, writing
 * `tfplan` and `plan.json` into each stack folder. Returns 0 (no changes), 2 (changes) or 1 (an error,
 * or any stack failed).
 */
export async function runPlan(options: PlanOptions = {}): Promise<number> {
  const write = options.write ?? ((l: string) => process.stdout.write(`${l}\n`));
  const writeErr = options.writeErr ?? ((l: string) => process.stderr.write(`${l}\n`));
  try {
    const outdir = options.outdir ?? 'cdktf.out';
    const parallel = parseParallel(options.parallel);
    if (options.affected && !options.base) throw new UsageError('--affected needs --base <ref>: the git ref to compare with, e.g. --affected --base origin/main');
    if (options.base && !options.affected) throw new UsageError('--base only applies with --affected (plan the stacks that differ from that ref)');
    if (options.affected && (options.stacks?.length ?? 0) > 0) throw new UsageError('pass stack names or --affected, not both');
    const env = options.env ?? process.env;
    const all = listStacks(outdir);
    if (!options.affected) selectStacks(all, options.stacks ?? [], options.envs ?? [], outdir); // names first: cheap to check
    const binary = resolveTerraformBinary(env);
    let names = options.stacks ?? [];
    if (options.affected) {
      const report = await computeAffected({ base: options.base!, ...(options.cwd ? { cwd: options.cwd } : {}) });
      const missing = report.affected.filter((id) => !all.some((s) => s.id === id));
      if (missing.length > 0) {
        throw new UsageError(`${outdir} is out of date: affected stack${missing.length === 1 ? '' : 's'} ${missing.join(', ')} not in it — run \`platform synth\` first`);
      }
      if (report.affected.length === 0) {
        write(`no stack differs from ${options.base}: nothing to plan`);
        return EXIT.ok;
      }
      names = report.affected;
    }
    const unknownKinds = (options.kinds ?? []).filter((k) => !(STACK_KINDS as readonly string[]).includes(k));
    if (unknownKinds.length > 0) throw new UsageError(`--kind ${unknownKinds.map((k) => `"${k}"`).join(', ')}: choose from ${STACK_KINDS.join(', ')}`);
    const stacks = selectStacks(all, names, options.envs ?? [], outdir).filter((s) => !options.kinds?.length || options.kinds.includes(stackKindOf(s)));
    if (stacks.length === 0) {
      write('no stacks selected: nothing to plan');
      return EXIT.ok;
    }
    const progress = createProgress(
      stacks.map((s) => s.id),
      { mode: options.progress ?? progressMode(), write: writeErr },
    );
    let outcomes: StackOutcome[];
    const startedAt = new Date();
    try {
      outcomes = await planStacks({ stacks, mode: 'plan', parallel, binary, runner: options.runner, ...(options.lockTimeout ? { lockTimeout: options.lockTimeout } : {}), progress, env: { ...env, TF_IN_AUTOMATION: '1', TF_INPUT: '0' } });
    } finally {
      await progress.close();
    }
    if (options.verbose) writeLogs(outcomes, write);
    for (const line of formatOutcomes(outcomes, 'plan')) write(line);
    for (const line of diagnoseLocks(outcomes, { startedAt })) writeErr(line);
    return exitCodeOf(outcomes);
  } catch (err) {
    return reportError(err, writeErr);
  }
}

/** Every step's full output, stack by stack (not interleaved). */
export function writeLogs(outcomes: readonly StackOutcome[], write: (line: string) => void): void {
  for (const o of outcomes) {
    for (const log of o.logs) {
      write(`=== ${o.stack}: ${log.step} (exit ${log.code})`);
      write(log.step === 'show' ? '(JSON written to the plan file)' : log.output.replace(/\s+$/, ''));
    }
  }
}

export const PLAN_EXIT_CODES = '\nExit codes: 0 every stack planned with no changes, 2 at least one stack has changes (and none failed), 1 invalid input or at least one stack failed (every stack\'s outcome is listed).';

export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description(
      'Plan stacks of the synthesized output: in each cdktf.out/stacks/<stack>, `init -input=false`, `plan -input=false -lock-timeout=5m -detailed-exitcode -out=tfplan`, ' +
        '`show -json tfplan` into plan.json; several stacks at once. The engine is $TERRAFORM_BINARY_NAME (terraform by default; tofu works too).',
    )
    .argument('[stack...]', 'stack ids to plan, e.g. dev-services (default: all, or the affected ones)')
    .option('-o, --outdir <dir>', 'synthesized output to plan', 'cdktf.out')
    .option('-e, --env <name...>', 'only stacks of these environments')
    .option('--affected', 'plan only the stacks whose synthesized Terraform differs from --base')
    .option('-b, --base <ref>', 'git ref to compare with for --affected, e.g. origin/main')
    .option('-p, --parallel <n>', `how many stacks run at once, 1–${MAX_PARALLEL}`, String(DEFAULT_PARALLEL))
    .option('-v, --verbose', "print each step's full output when its stack finishes")
    .option('-k, --kind <kind...>', `only stacks of these kinds: ${STACK_KINDS.join(', ')} (pull requests plan only aws)`)
    .addHelpText(
      'after',
      `${PLAN_EXIT_CODES}\nOnly tfplan and plan.json are written into the stack folders (plus what init itself writes: .terraform/ and .terraform.lock.hcl); stale ones from an earlier run are removed first.`,
    )
    .action(async (stacks: string[], opts: { outdir: string; env?: string[]; affected?: boolean; base?: string; parallel: string; verbose?: boolean; kind?: string[] }) => {
      process.exitCode = await runPlan({ stacks, envs: opts.env, outdir: opts.outdir, affected: opts.affected, base: opts.base, parallel: opts.parallel, verbose: opts.verbose, kinds: opts.kind });
    });
}
