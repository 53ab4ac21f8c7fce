import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { type Command } from 'commander';
import { reportError, UsageError } from '../errors';
import { diagnoseLockOutput } from '../lib/lock-diagnosis';

/** Engine operations a workflow step can name: what OpenTofu writes into the lock's `Operation:`. */
export const LOCK_OPERATIONS = { plan: 'OperationTypePlan', apply: 'OperationTypeApply' } as const;

/** The tail of an engine log a workflow captured: the lock error is at its end; a huge log is not read whole. */
const MAX_LOG_BYTES = 1024 * 1024;

export interface ExplainLockOptions {
  readonly stack: string;
  readonly log: string;
  /** When the step started its engine runs (ISO 8601). */
  readonly started: string;
  readonly operation: keyof typeof LOCK_OPERATIONS;
}

function readTail(file: string): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new UsageError(`--log ${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new UsageError(`--log ${file}: is not a regular file`);
    const length = Math.min(stat.size, MAX_LOG_BYTES);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, stat.size - length);
    return buffer.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * What a workflow step prints after an engine command it ran itself (`tofu apply tfplan`) failed: when
 * the output holds a state-lock error, whose lock it is — this run's own (a retried lock write after a
 * lost reply) or another run's — and the runbook entry. Prints nothing for any other failure.
 */
export function explainLock(options: ExplainLockOptions): string[] {
  const startedAt = new Date(options.started);
  if (Number.isNaN(startedAt.getTime())) throw new UsageError(`--started "${options.started}": is not a time — use ISO 8601, e.g. "$(date -u +%Y-%m-%dT%H:%M:%SZ)"`);
  const operation = LOCK_OPERATIONS[options.operation];
  if (!operation) throw new UsageError(`--operation "${options.operation}": choose ${Object.keys(LOCK_OPERATIONS).join(' or ')}`);
  return diagnoseLockOutput(options.stack, readTail(options.log), { startedAt, operation });
}

export function registerExplainLock(program: Command): void {
  program
    .command('explain-lock')
    .description('After a failed engine command a workflow ran itself: explain a state-lock error in its log (this run\'s own lock after a network error, or another run\'s) and name the runbook.')
    .requiredOption('--stack <id>', 'the stack the command ran on')
    .requiredOption('--log <file>', 'the captured output of the failed command')
    .requiredOption('--started <time>', 'when the step started its engine runs (ISO 8601)')
    .option('--operation <op>', `the engine operation: ${Object.keys(LOCK_OPERATIONS).join(' | ')}`, 'apply')
    .addHelpText('after', '\nExit codes: 0 (explained, or nothing to explain), 1 invalid input.')
    .action((opts: { stack: string; log: string; started: string; operation: keyof typeof LOCK_OPERATIONS }) => {
      try {
        for (const line of explainLock(opts)) process.stderr.write(`${line}\n`);
        process.exitCode = 0;
      } catch (err) {
        process.exitCode = reportError(err);
      }
    });
}
