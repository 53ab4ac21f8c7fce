import * as os from 'node:os';
import { type StackOutcome } from './stack-plan';

/** Where a person reads what to do about a lock that names their own run. */
export const SELF_LOCK_RUNBOOK = 'docs/runbooks/state-surgery.md#stuck-lock-after-a-network-error';
/** Where a person reads what to do about any other held lock. */
export const LOCK_RUNBOOK = 'docs/runbooks/state-surgery.md#locks';

/** The `Lock Info:` block OpenTofu/Terraform print with "Error acquiring the state lock". */
export interface EngineLockInfo {
  readonly id: string;
  readonly path?: string;
  readonly operation?: string;
  readonly who?: string;
  /** `Created:` parsed; undefined when absent or unreadable. */
  readonly created?: Date;
}

export interface LockContext {
  /** When this command started its engine runs (a lock created before it is not this run's). */
  readonly startedAt: Date;
  /** Now, for the lock's age. @default - the current time */
  readonly now?: Date;
  /** This runner as the engine writes `Who:` (user@host). @default - `${os.userInfo().username}@${os.hostname()}` */
  readonly who?: string;
  /** The lock operation this command's engine runs take. @default 'OperationTypePlan' (plan and refresh-only plans) */
  readonly operation?: string;
  /** Clock skew allowed between this process and the backend's timestamps. @default 5 s */
  readonly skewMs?: number;
}

const LOCK_ERROR = { acquire: /Error acquiring the state lock/, release: /Error releasing the state lock/ } as const;

/**
 * Reads the `Lock Info:` block of an engine's output (with or without the `│` diagnostic frame) that
 * follows "Error acquiring the state lock", or with `on: 'release'` "Error releasing the state lock".
 */
export function parseLockInfo(output: string, on: keyof typeof LOCK_ERROR = 'acquire'): EngineLockInfo | undefined {
  if (!LOCK_ERROR[on].test(output)) return undefined;
  const lines = output.split('\n').map((l) => l.replace(/^\s*[│|]\s?/, '').trimEnd());
  const start = lines.findIndex((l) => /^\s*Lock Info:\s*$/.test(l));
  if (start < 0) return undefined;
  const fields: Record<string, string> = {};
  for (const line of lines.slice(start + 1)) {
    const m = /^\s+([A-Za-z]+):\s*(.*)$/.exec(line);
    if (!m) break;
    fields[m[1]!] = m[2]!.trim();
  }
  if (!fields.ID) return undefined;
  const created = parseGoTime(fields.Created);
  return {
    id: fields.ID,
    ...(fields.Path ? { path: fields.Path } : {}),
    ...(fields.Operation ? { operation: fields.Operation } : {}),
    ...(fields.Who ? { who: fields.Who } : {}),
    ...(created ? { created } : {}),
  };
}

/** Go's `time.Time.String()`: `2026-11-30 01:02:03.123456789 +0000 UTC` (fraction and zone name optional). */
export function parseGoTime(text: string | undefined): Date | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d+)? ([+-])(\d{2})(\d{2})\b/.exec(text ?? '');
  if (!m) return undefined;
  const ms = m[3] ? m[3].slice(0, 4).padEnd(4, '0') : '';
  const date = new Date(`${m[1]}T${m[2]}${ms}${m[4]}${m[5]}:${m[6]}`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** This machine's user@host, as the engine writes it into `Who:`. */
export function runnerIdentity(): string {
  let user = process.env.USER ?? 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // no passwd entry (some containers): the engine falls back the same way
  }
  return `${user}@${os.hostname()}`;
}

/** The `Operation` an engine command writes into the lock it takes (OpenTofu 1.12), by its words. */
const LOCK_OPERATION_OF: ReadonlyArray<readonly [RegExp, string]> = [
  [/^plan$/, 'OperationTypePlan'],
  [/^(apply|destroy)$/, 'OperationTypeApply'],
  [/^refresh$/, 'OperationTypeRefresh'],
  // `import` runs a local operation without a type.
  [/^import$/, 'OperationTypeInvalid'],
  [/^state (mv|push|rm|replace-provider)$/, 'state-$1'],
  [/^(taint|untaint)$/, '$1'],
];

/**
 * The lock operation an engine command line takes (`['state', 'push', …]` → `state-push`), or
 * undefined for commands that take no lock or one whose name is not known here.
 */
export function lockOperationOf(args: readonly string[]): string | undefined {
  const words = args.filter((a) => !a.startsWith('-'));
  const command = words[0] === 'state' ? words.slice(0, 2).join(' ') : (words[0] ?? '');
  for (const [pattern, operation] of LOCK_OPERATION_OF) {
    const m = pattern.exec(command);
    if (m) return operation.replace('$1', m[1] ?? '');
  }
  return undefined;
}

/**
 * True when a held lock can only be this command's own: the same runner (`Who`), the same kind of
 * operation, created after this command started its engine runs. That is the backend's retried lock
 * request finding its own first attempt, whose reply was lost (a network error): the conditional write
 * succeeded, the SDK retried it, and the retry failed its condition against the lock it had just taken.
 */
export function isSelfHeld(lock: EngineLockInfo, ctx: LockContext): boolean {
  const now = (ctx.now ?? new Date()).getTime();
  const skew = ctx.skewMs ?? 5_000;
  return (
    lock.who === (ctx.who ?? runnerIdentity()) &&
    lock.operation === (ctx.operation ?? 'OperationTypePlan') &&
    lock.created !== undefined &&
    lock.created.getTime() >= ctx.startedAt.getTime() - skew &&
    lock.created.getTime() <= now + skew
  );
}

/**
 * True when a `force-unlock` that exited non-zero released the lock anyway: with both lock kinds (a
 * DynamoDB table and `use_lockfile`) the engine deletes its own S3 lockfile when the table write fails,
 * so a self-held lock is only the table item; force-unlock deletes it, then reports the missing lockfile.
 */
export function releasedDespiteExit(output: string): boolean {
  return /dynamoDB lock released but s3 failed: failed to retrieve s3 lock info: [\s\S]*NoSuchKey/.test(output);
}

/** Lines explaining one stack's lock failure, or none when its output holds no lock error. */
export function diagnoseLockOutput(stack: string, output: string, ctx: LockContext): string[] {
  const lock = parseLockInfo(output);
  if (!lock) return [];
  const now = ctx.now ?? new Date();
  const age = lock.created ? `${Math.max(0, Math.round((now.getTime() - lock.created.getTime()) / 1000))} s ago` : 'at an unknown time';
  if (isSelfHeld(lock, ctx)) {
    return [
      `${stack}: the state lock ${lock.id} is held by this run itself (${lock.who}, ${lock.operation}, created ${age}, after this command started).`,
      `  Its lock request was sent twice: the first write succeeded but its reply was lost (a network error), the retry then found that lock. No other run holds it.`,
      `  Check that nothing else runs on this state, then release it with \`force-unlock ${lock.id}\` — see ${SELF_LOCK_RUNBOOK}`,
    ];
  }
  return [
    `${stack}: the state is locked by ${lock.who ?? 'an unknown runner'} (${lock.operation ?? 'unknown operation'}, lock ${lock.id}, created ${age}).`,
    `  Wait for that run; if it is gone (cancelled job, killed terminal) see ${LOCK_RUNBOOK}`,
  ];
}

/** Lock explanations for every stack whose failed engine step reported a held lock. */
export function diagnoseLocks(outcomes: readonly StackOutcome[], ctx: LockContext): string[] {
  return outcomes.flatMap((o) => {
    if (o.status !== 'error') return [];
    const failedLog = [...o.logs].reverse().find((l) => l.code !== 0 && l.code !== 2);
    return diagnoseLockOutput(o.stack, failedLog?.output ?? o.failure?.output ?? '', ctx);
  });
}
