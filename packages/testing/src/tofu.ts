import { spawn } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { devNull } from 'node:os';
import * as path from 'node:path';
import { isSelfHeld, lockOperationOf, parseLockInfo, releasedDespiteExit } from '@platform/cli/src/lib/lock-diagnosis';
import { runningMotoErrors } from './moto';
import { GO_TOOL_ENV, toolPath } from './tools';

/** What a finished `tofu` run printed and how it ended. */
export interface TofuResult {
  /** Exit code (`-1` when killed by a signal). */
  readonly code: number;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The command line, for failure messages. */
  readonly command: string;
}

export interface TofuOptions {
  /** Folder to run in (the stack's folder holding `cdk.tf.json`). */
  readonly cwd: string;
  /** `AWS_REGION` for the S3 backend. @default 'eu-west-1' */
  readonly region?: string;
  /** Extra environment variables, merged over the clean environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Kill the run after this long. @default 120 s */
  readonly timeoutMs?: number;
}

/** `tofuOk`'s options: `TofuOptions`, and what to do about a lock the run holds itself. */
export interface TofuOkOptions extends TofuOptions {
  /**
   * A run that fails on a lock it provably took itself (its lock write's reply was lost and the SDK's
   * retry found it — see docs/runbooks/state-surgery.md#stuck-lock-after-a-network-error):
   *   - `'recover'`: follow the runbook — release that lock by its ID with `force-unlock` and run the
   *     command once more, reporting it (a line in `$PLATFORM_SELF_LOCK_LOG` when set, else on stderr);
   *   - `'fail'`: throw, like any other failure (suites whose subject is locking).
   * "Provably" means: `Who` is this runner, `Operation` is this command's, `Created` is after the run
   * started, and no other tofu run of this test process ran on the same state (its backend's bucket and
   * key) meanwhile — each suite has its own moto, so nothing outside the process can hold a lock there.
   * Any other held lock is a failure either way.
   * @default 'recover'
   */
  readonly selfLock?: 'recover' | 'fail';
  /** Exit codes that count as success (`[0, 2]` for `plan -detailed-exitcode`). @default [0] */
  readonly okCodes?: readonly number[];
}

/** A `tofu` run in progress (see `startTofu`). */
export interface RunningTofu {
  readonly pid: number;
  /** Resolves when the process has exited. */
  readonly result: Promise<TofuResult>;
  /** Output so far (stdout and stderr interleaved). */
  output(): string;
  /** Sends `signal` to the run's whole process group (tofu and what it started, e.g. local-exec). */
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Per state (its S3 backend's `bucket/key`, else the folder): how many tofu runs of this process are
 * running on it now, and how many were ever started on it. A self-held lock is only provable for a run
 * that had its state to itself.
 */
const runsOnState = new Map<string, { running: number; started: number }>();

/** The state a stack folder's runs lock: its S3 backend's `bucket/key` (cdk.tf.json), else the folder. */
function stateOf(cwd: string): string {
  try {
    const json = JSON.parse(readFileSync(path.join(cwd, 'cdk.tf.json'), 'utf8')) as { terraform?: { backend?: { s3?: { bucket?: string; key?: string } } } };
    const s3 = json.terraform?.backend?.s3;
    if (s3?.bucket && s3.key) return `s3://${s3.bucket}/${s3.key}`;
  } catch {
    // no cdk.tf.json (or not JSON): the folder stands for its state
  }
  return path.resolve(cwd);
}

function runs(state: string): { running: number; started: number } {
  let entry = runsOnState.get(state);
  if (!entry) runsOnState.set(state, (entry = { running: 0, started: 0 }));
  return entry;
}

/** Commands whose flags follow a second word (`state mv`, `workspace new`). */
const TWO_WORD_COMMANDS = new Set(['state', 'workspace', 'providers']);

/**
 * The environment every test run of tofu gets, and nothing else from the caller's (except TF_LOG
 * and TF_LOG_PATH, for debugging): automation mode, no CLI configuration (so no plugin cache, no
 * credentials helpers), static test credentials, no instance metadata lookups.
 */
export function tofuEnv(options: Pick<TofuOptions, 'region' | 'env'> & { readonly command?: readonly string[] } = {}): Record<string, string> {
  const region = options.region ?? 'eu-west-1';
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
    TF_CLI_CONFIG_FILE: devNull,
    CHECKPOINT_DISABLE: '1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_EC2_METADATA_DISABLED: 'true',
    ...GO_TOOL_ENV,
    // Debugging a failing test: TF_LOG=DEBUG TF_LOG_PATH=/tmp/tofu.log npx jest …, or TF_LOG_DIR=<dir>
    // for one log file per tofu run (concurrent runs do not interleave; the file names the command).
    ...(process.env.TF_LOG ? { TF_LOG: process.env.TF_LOG } : {}),
    ...(process.env.TF_LOG_PATH ? { TF_LOG_PATH: process.env.TF_LOG_PATH } : {}),
    ...(process.env.TF_LOG && process.env.TF_LOG_DIR ? { TF_LOG_PATH: logFileIn(process.env.TF_LOG_DIR, options.command) } : {}),
    ...options.env,
  };
}

let logSequence = 0;
/** A fresh log file name in `dir`: time, process, sequence and the command's first words. */
function logFileIn(dir: string, command: readonly string[] = []): string {
  const words = command.filter((a) => !a.startsWith('-')).slice(0, 2).join('-') || 'tofu';
  return path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '')}-${process.pid}-${++logSequence}-${words}.log`);
}

/** `args` with `-no-color` placed after the (sub)command, where every tofu command accepts it. */
export function withNoColor(args: readonly string[]): string[] {
  const words = TWO_WORD_COMMANDS.has(args[0] ?? '') && args[1] && !args[1].startsWith('-') ? 2 : 1;
  return [...args.slice(0, words), '-no-color', ...args.slice(words)];
}

/**
 * Starts `.tools/bin/tofu` (OpenTofu, built by scripts/setup-tools.sh) in its own process group.
 * Throws `toolPath`'s install hint when tofu is missing.
 */
export function startTofu(args: readonly string[], options: TofuOptions): RunningTofu {
  const bin = toolPath('tofu');
  const fullArgs = withNoColor(args);
  const command = `tofu ${fullArgs.join(' ')}`;
  const child = spawn(bin, fullArgs, {
    cwd: options.cwd,
    env: tofuEnv({ ...options, command: args }),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  let both = '';
  child.stdout?.on('data', (c: Buffer) => {
    stdout += c.toString('utf8');
    both += c.toString('utf8');
  });
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
    both += c.toString('utf8');
  });
  const kill = (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  const timer = setTimeout(() => kill('SIGKILL'), options.timeoutMs ?? 120_000);
  const onState = runs(stateOf(options.cwd));
  onState.running++;
  onState.started++;
  const result = new Promise<TofuResult>((resolve, reject) => {
    child.once('error', (err) => {
      clearTimeout(timer);
      onState.running--;
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      onState.running--;
      resolve({ code: code ?? -1, signal, stdout, stderr, command });
    });
  });
  return { pid: child.pid ?? -1, result, output: () => both, kill };
}

/** Runs tofu to completion. */
export function tofu(args: readonly string[], options: TofuOptions): Promise<TofuResult> {
  return startTofu(args, options).result;
}

/** Whether a `force-unlock` run released the lock (see `releasedDespiteExit` for its exit 1 that did). */
function isReleased(unlock: TofuResult): boolean {
  return unlock.code === 0 || releasedDespiteExit(unlock.stderr);
}

/**
 * `tofu force-unlock -force <id>` in a stack folder; throws unless the lock was released — including
 * the one exit 1 that did (the table item released, the already deleted lockfile reported missing).
 */
export async function forceUnlock(id: string, options: TofuOptions): Promise<TofuResult> {
  const unlock = await tofu(['force-unlock', '-force', id], options);
  if (!isReleased(unlock)) throw new Error(`${unlock.command} (in ${options.cwd}) exited ${unlock.code}:\n${unlock.stdout}\n${unlock.stderr}`);
  return unlock;
}

/** One line per recovered self-held lock: into `$PLATFORM_SELF_LOCK_LOG` (scripts/stress-engine.sh counts them), else stderr. */
function reportRecovery(line: string): void {
  if (process.env.PLATFORM_SELF_LOCK_LOG) appendFileSync(process.env.PLATFORM_SELF_LOCK_LOG, `${new Date().toISOString()} ${line}\n`);
  else process.stderr.write(`[tofuOk] ${line}\n`);
}

/**
 * The exit code a run that did its work would have had, when its output says so: 0 when that is the only
 * success (`okCodes` [0]); for `plan -detailed-exitcode` (`okCodes` [0, 2]), 0 after "No changes." and 2
 * after a plan summary or output changes. Otherwise undefined.
 */
export function codeOfDoneRun(args: readonly string[], output: string, okCodes: readonly number[]): number | undefined {
  if (okCodes.join() === '0') return 0;
  if (args[0] !== 'plan' || !args.includes('-detailed-exitcode') || !okCodes.includes(0) || !okCodes.includes(2)) return undefined;
  const noChanges = /^No changes\. /m.test(output);
  const changes = /^(Plan: \d+ to (add|import)|Changes to Outputs:)/m.test(output);
  if (noChanges === changes) return undefined;
  return noChanges ? 0 : 2;
}

/**
 * Runs tofu and throws, with its output, unless it exits 0. A run that failed on a lock it holds
 * itself is recovered the runbook's way unless `selfLock: 'fail'` (see `TofuOkOptions`).
 */
export async function tofuOk(args: readonly string[], options: TofuOkOptions): Promise<TofuResult> {
  const startedAt = new Date();
  const onState = runs(stateOf(options.cwd));
  const [runningBefore, startedBefore] = [onState.running, onState.started];
  const ok = (r: TofuResult) => (options.okCodes ?? [0]).includes(r.code);
  let result = await tofu(args, options);
  // Nothing else of this process ran on its state: no run was going when it started, none started meanwhile.
  const alone = runningBefore === 0 && onState.started === startedBefore + 1 && onState.running === 0;
  if (!ok(result) && (options.selfLock ?? 'recover') === 'recover' && alone) {
    const lock = parseLockInfo(`${result.stdout}\n${result.stderr}`);
    const operation = lockOperationOf(args);
    if (lock && operation && isSelfHeld(lock, { startedAt, operation })) {
      const unlock = await tofu(['force-unlock', '-force', lock.id], options);
      const released = isReleased(unlock);
      const line = released
        ? `self-held lock ${lock.id} (${lock.operation}, ${lock.path ?? '?'}) of \`${result.command}\` released with force-unlock; running it again`
        : `self-held lock ${lock.id} (${lock.operation}, ${lock.path ?? '?'}) of \`${result.command}\`: force-unlock failed: ${unlock.stderr.trim().split('\n').slice(0, 3).join(' ')}`;
      reportRecovery(line);
      if (released) result = await tofu(args, options);
    }
  }
  // The same lost reply on the way out: the run did its work and released its lock, but the reply to the
  // conditional DeleteItem was lost and the SDK's retry found the item gone (`ConditionalCheckFailed`), so
  // the engine reports "Error releasing the state lock" and exits 1. Accepted only when that is the run's
  // only error, the lock is provably its own, nothing else ran on the state, and the exit code the run
  // would have had is known: 0 when success means exit 0; for `plan -detailed-exitcode`, 0 or 2 as its
  // output says (the exit 1 replaced that answer).
  const doneCode = result.code === 1 ? codeOfDoneRun(args, `${result.stdout}\n${result.stderr}`, options.okCodes ?? [0]) : undefined;
  if (!ok(result) && (options.selfLock ?? 'recover') === 'recover' && alone && doneCode !== undefined) {
    const output = `${result.stdout}\n${result.stderr}`;
    const errors = output.split('\n').filter((l) => /^\s*[│|]?\s*Error: /.test(l));
    const lock = parseLockInfo(output, 'release');
    const operation = lockOperationOf(args);
    if (
      errors.length === 1 &&
      /Error releasing the state lock/.test(errors[0]!) &&
      /DeleteItem[\s\S]*ConditionalCheckFailedException/.test(output) &&
      lock && operation && isSelfHeld(lock, { startedAt, operation })
    ) {
      const line = `self-held lock ${lock.id} (${lock.operation}, ${lock.path ?? '?'}) of \`${result.command}\`: released by its first DeleteItem, whose reply was lost (the retry found it gone); the command's work is done`;
      reportRecovery(line);
      result = { ...result, code: doneCode };
    }
  }
  if (!ok(result)) {
    const moto = runningMotoErrors();
    throw new Error(
      `${result.command} (in ${options.cwd}) exited ${result.code}:\n${result.stdout}\n${result.stderr}` +
        (moto ? `\nmoto reported errors meanwhile:\n${moto}` : ''),
    );
  }
  return result;
}
