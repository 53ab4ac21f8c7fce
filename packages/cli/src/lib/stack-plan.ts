import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { loadPlanFile, PlanFileError, summarize, type Plan, type StackPlan } from '@platform/plan-report';
import { EXIT, UsageError } from '../errors';
import { isSelfHeld, parseLockInfo, releasedDespiteExit } from './lock-diagnosis';
import { type Progress } from './progress';
import { runPool, spawnRunner, tail, type Runner } from './runner';
import { type StackDir } from './stacks';

/** `plan`: a normal plan; `refresh-only`: compare state with the real objects (drift detection). */
export type PlanMode = 'plan' | 'refresh-only';

/** What happened to one stack. */
export type OutcomeStatus = 'no-changes' | 'changes' | 'error';

/** The engine command that runs in each stack, in order (`force-unlock` only to release the run's own plan lock). */
export type Step = 'init' | 'plan' | 'show' | 'force-unlock';

export interface StackOutcome {
  readonly stack: string;
  readonly status: OutcomeStatus;
  readonly durationMs: number;
  /** The validated plan (`show -json`), when the stack got that far. */
  readonly plan?: Plan;
  /** Where the plan JSON was written. */
  readonly planFile?: string;
  /** One line: the counts, or what failed. */
  readonly summary: string;
  /** On error: the step that failed, its exit code and the end of its output. */
  readonly failure?: { readonly step: Step | 'read'; readonly code?: number; readonly output: string };
  /** Every step's captured output, for `--verbose`. */
  readonly logs: ReadonlyArray<{ readonly step: Step; readonly code: number; readonly output: string }>;
  /** The run's own plan lock (a lost reply to its lock write) that was released before planning again. */
  readonly releasedOwnLock?: string;
}

export interface PlanStacksOptions {
  readonly stacks: readonly StackDir[];
  readonly mode: PlanMode;
  /** At most this many stacks run at once. */
  readonly parallel: number;
  /** Absolute path of terraform or tofu (see `resolveTerraformBinary`). */
  readonly binary: string;
  /** @default - spawns real processes */
  readonly runner?: Runner;
  /** The plan's `-lock-timeout`. @default LOCK_TIMEOUT */
  readonly lockTimeout?: string;
  /** Environment of the engine. @default - process.env plus TF_IN_AUTOMATION=1 and TF_INPUT=0 */
  readonly env?: NodeJS.ProcessEnv;
  readonly progress?: Progress;
  /**
   * Where the saved plan and its JSON go. `tfplan` may be relative to the stack directory.
   * @default - `tfplan` and `plan.json` in the stack directory
   */
  readonly planPaths?: (stack: StackDir) => { readonly tfplan: string; readonly json: string };
}

/** `-lock-timeout`: wait this long for another run's state lock (an apply, a drift check) before failing. */
export const LOCK_TIMEOUT = '5m';

/** The engine arguments of each step (`lockId`: the lock `force-unlock` releases). */
export function stepArgs(step: Step, mode: PlanMode, tfplan: string, lockId = '', lockTimeout = LOCK_TIMEOUT): string[] {
  switch (step) {
    case 'force-unlock':
      return ['force-unlock', '-force', '-no-color', lockId];
    case 'init':
      return ['init', '-input=false', '-no-color'];
    case 'plan':
      return [
        'plan',
        '-input=false',
        `-lock-timeout=${lockTimeout}`,
        '-detailed-exitcode',
        '-no-color',
        ...(mode === 'refresh-only' ? ['-refresh-only'] : []),
        `-out=${tfplan}`,
      ];
    case 'show':
      return ['show', '-json', '-no-color', tfplan];
  }
}

/** Plans every stack (`init`, `plan -detailed-exitcode -out`, `show -json`), at most `parallel` at once. */
export async function planStacks(options: PlanStacksOptions): Promise<StackOutcome[]> {
  const runner = options.runner ?? spawnRunner;
  const env = options.env ?? { ...process.env, TF_IN_AUTOMATION: '1', TF_INPUT: '0' };
  const paths = options.planPaths ?? (() => ({ tfplan: 'tfplan', json: 'plan.json' }));
  return runPool(options.stacks, options.parallel, async (stack) => {
    const display = options.progress?.start(stack.id);
    const outcome = await planOne(stack, { ...options, runner, env, paths, onStep: (s) => display?.step(s) });
    display?.finish(outcome.status !== 'error', outcome.summary);
    return outcome;
  });
}

async function planOne(
  stack: StackDir,
  o: PlanStacksOptions & {
    readonly runner: Runner;
    readonly env: NodeJS.ProcessEnv;
    readonly paths: NonNullable<PlanStacksOptions['planPaths']>;
    readonly onStep: (step: string) => void;
  },
): Promise<StackOutcome> {
  const started = Date.now();
  const { tfplan, json } = o.paths(stack);
  const jsonFile = path.resolve(stack.dir, json);
  // A plan left by an earlier run must never be mistaken for this run's.
  rmSync(path.resolve(stack.dir, tfplan), { force: true });
  rmSync(jsonFile, { force: true });
  const logs: Array<{ step: Step; code: number; output: string }> = [];
  const done = (rest: Omit<StackOutcome, 'stack' | 'durationMs' | 'logs'>): StackOutcome => ({ stack: stack.id, durationMs: Date.now() - started, logs, ...rest });
  const run = async (step: Step, lockId?: string): Promise<{ code: number; output: string }> => {
    o.onStep(step);
    const result = await o.runner(o.binary, stepArgs(step, o.mode, tfplan, lockId, o.lockTimeout), { cwd: stack.dir, env: o.env, ...(step === 'show' ? { stdoutFile: jsonFile } : {}) });
    logs.push({ step, code: result.code, output: result.output });
    return result;
  };
  const failed = (step: Step, code: number, output: string): StackOutcome =>
    done({ status: 'error', summary: `${step} failed (exit ${code})${firstError(output)}`, failure: { step, code, output: tail(output, 40) } });

  const init = await run('init');
  if (init.code !== 0) return failed('init', init.code, init.output);
  const planStarted = new Date();
  let plan = await run('plan');
  // A plan that failed on its own lock — its lock write was applied but the reply lost, and the SDK's
  // retry found it (docs/runbooks/state-surgery.md#stuck-lock-after-a-network-error) — releases that lock
  // by its ID and plans once more. Only a *plan* lock created after this plan started by this runner
  // qualifies; should it be another plan of the same user on the same host after all, that plan loses a
  // lock over a run that writes no state, and the engine refuses to apply a plan whose state moved on.
  const own = plan.code !== 0 && plan.code !== 2 ? parseLockInfo(plan.output) : undefined;
  let releasedOwnLock: string | undefined;
  if (own && isSelfHeld(own, { startedAt: planStarted, operation: 'OperationTypePlan' })) {
    const unlock = await run('force-unlock', own.id);
    if (unlock.code === 0 || releasedDespiteExit(unlock.output)) {
      releasedOwnLock = own.id;
      plan = await run('plan');
    }
  }
  if (plan.code !== 0 && plan.code !== 2) return failed('plan', plan.code, plan.output);
  const show = await run('show');
  if (show.code !== 0) {
    rmSync(jsonFile, { force: true });
    return failed('show', show.code, show.output);
  }
  let parsed: Plan;
  try {
    parsed = loadPlanFile(jsonFile);
  } catch (err) {
    if (!(err instanceof PlanFileError)) throw err;
    if (o.mode === 'plan') rmSync(jsonFile, { force: true }); // a failed stack leaves no plan behind
    return done({ status: 'error', summary: `the plan JSON is unusable: ${err.message}`, failure: { step: 'read', output: err.message } });
  }
  // Refresh-only plans also exit 2 when only root outputs are out of date (the config changed and was
  // not applied yet). Drift is a resource changed outside Terraform; outputs alone are not.
  const status: OutcomeStatus = o.mode === 'refresh-only' ? (parsed.resourceDrift.length > 0 ? 'changes' : 'no-changes') : plan.code === 2 ? 'changes' : 'no-changes';
  const summary = describePlan(parsed, o.mode, status);
  return done({
    status,
    plan: parsed,
    planFile: jsonFile,
    ...(releasedOwnLock ? { releasedOwnLock } : {}),
    summary: releasedOwnLock ? `${summary} (after releasing this run's own stuck lock ${releasedOwnLock})` : summary,
  });
}

/** The first `Error: …` line of an engine's output, as ": <message>", for one-line summaries. */
function firstError(output: string): string {
  const line = output.split('\n').find((l) => /^\s*[│|]?\s*Error: /.test(l));
  return line ? `: ${line.replace(/^\s*[│|]?\s*/, '')}` : '';
}

/** One line for a stack's plan: Terraform's own counts, or what drifted. */
export function describePlan(plan: Plan, mode: PlanMode, status: OutcomeStatus): string {
  const outputs = Object.values(plan.outputChanges).filter((c) => !(c.actions.length === 1 && c.actions[0] === 'no-op')).length;
  const outputNote = outputs > 0 ? `${outputs} output${outputs === 1 ? '' : 's'} out of date` : '';
  if (mode === 'refresh-only') {
    const drifted = plan.resourceDrift.length;
    if (drifted === 0) return outputNote ? `no drift (${outputNote}: the config changed and was not applied yet)` : 'no drift';
    return `${drifted} resource${drifted === 1 ? '' : 's'} changed outside Terraform${outputNote ? `; ${outputNote}` : ''}`;
  }
  if (status === 'no-changes') return 'no changes';
  const s = summarize(plan);
  const counts = `${s.create + s.replace} to add, ${s.update} to change, ${s.delete + s.replace} to destroy`;
  if (s.create + s.replace + s.update + s.delete + s.forget > 0) return counts;
  return outputs > 0 ? `${counts}; ${outputs} output${outputs === 1 ? '' : 's'} change` : `${counts}; moves or imports only`;
}

/** 1 if any stack failed, else 2 if any has changes (or drift), else 0. */
export function exitCodeOf(outcomes: readonly StackOutcome[]): number {
  if (outcomes.some((o) => o.status === 'error')) return EXIT.error;
  if (outcomes.some((o) => o.status === 'changes')) return EXIT.changes;
  return EXIT.ok;
}

const STATUS_WORD: Readonly<Record<PlanMode, Record<OutcomeStatus, string>>> = {
  plan: { 'no-changes': 'no changes', changes: 'changes', error: 'FAILED' },
  'refresh-only': { 'no-changes': 'no drift', changes: 'DRIFT', error: 'FAILED' },
};

/**
 * Every stack's outcome as an aligned table, then each failure's output tail, then a closing line
 * with the exit code. Relative paths are shown relative to `cwd`.
 */
export function formatOutcomes(outcomes: readonly StackOutcome[], mode: PlanMode, cwd = process.cwd()): string[] {
  const width = Math.max(5, ...outcomes.map((o) => o.stack.length));
  const lines = [`${'stack'.padEnd(width)}  ${'result'.padEnd(10)}  details`];
  for (const o of outcomes) {
    const relative = o.planFile ? path.relative(cwd, o.planFile) : '';
    const where = o.planFile && mode === 'plan' ? `  → ${relative.startsWith('..') || relative === '' ? o.planFile : relative}` : '';
    lines.push(`${o.stack.padEnd(width)}  ${STATUS_WORD[mode][o.status].padEnd(10)}  ${o.summary}${where} (${(o.durationMs / 1000).toFixed(1)} s)`);
  }
  for (const o of outcomes.filter((x) => x.failure)) {
    lines.push('', `--- ${o.stack}: ${o.failure!.step} failed${o.failure!.code === undefined ? '' : ` (exit ${o.failure!.code})`}; end of its output:`, o.failure!.output || '(no output)');
  }
  const count = (s: OutcomeStatus): number => outcomes.filter((o) => o.status === s).length;
  const code = exitCodeOf(outcomes);
  const changeWord = mode === 'plan' ? 'with changes' : 'drifted';
  const noneWord = mode === 'plan' ? 'without changes' : 'without drift';
  lines.push('', `${outcomes.length} stack${outcomes.length === 1 ? '' : 's'}: ${count('changes')} ${changeWord}, ${count('no-changes')} ${noneWord}, ${count('error')} failed — exit ${code}`);
  return lines;
}

/** The stack a plan file belongs to: its folder's name (`…/<stack>/plan.json`, as `platform plan` writes it). */
export function stackNameOf(file: string): string {
  return path.basename(path.dirname(path.resolve(file)));
}

/**
 * Loads plan files as stacks (`stackNameOf`): every unreadable file or second plan of one stack is
 * collected, and all of them are reported in one UsageError. What `platform comment` and `platform guard` read.
 */
export function loadStackPlans(files: readonly string[]): StackPlan[] {
  const seen = new Map<string, string>();
  const stacks: StackPlan[] = [];
  const problems: string[] = [];
  for (const file of files) {
    const stack = stackNameOf(file);
    const other = seen.get(stack);
    if (other !== undefined) {
      problems.push(`${file}: stack "${stack}" is already given by ${other} — the stack name is the plan file's folder name, so pass one plan per stack folder`);
      continue;
    }
    seen.set(stack, file);
    try {
      stacks.push({ stack, plan: loadPlanFile(file) });
    } catch (err) {
      if (!(err instanceof PlanFileError)) throw err;
      problems.push(err.message);
    }
  }
  if (problems.length > 0) throw new UsageError(problems.length === 1 ? problems[0]! : `${problems.length} unusable plan files:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return stacks;
}
