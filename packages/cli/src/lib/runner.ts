import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import * as path from 'node:path';
import { UsageError } from '../errors';

/** What a finished command left behind. */
export interface RunResult {
  /** Exit code; 127 when the command could not be started, 128+n when killed by signal n. */
  readonly code: number;
  /** stdout and stderr interleaved as they arrived (stdout only when it went to a file), last `MAX_CAPTURE` characters. */
  readonly output: string;
}

export interface RunOptions {
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Send stdout to this file instead of capturing it (for `show -json`, whose output can be megabytes). */
  readonly stdoutFile?: string;
}

/** Runs one command to completion. Injectable so orchestration can be tested with a scripted engine. */
export type Runner = (command: string, args: readonly string[], options: RunOptions) => Promise<RunResult>;

/** Captured output kept per command: enough for any error message, bounded for huge plans. */
export const MAX_CAPTURE = 256 * 1024;

/** Runs a real process with `child_process.spawn` (no shell). */
export const spawnRunner: Runner = (command, args, options) =>
  new Promise((resolve) => {
    let captured = '';
    const keep = (chunk: Buffer): void => {
      captured += chunk.toString('utf8');
      if (captured.length > MAX_CAPTURE * 2) captured = captured.slice(-MAX_CAPTURE);
    };
    let fd: number | undefined;
    try {
      if (options.stdoutFile) fd = openSync(options.stdoutFile, 'w');
    } catch (err) {
      resolve({ code: 127, output: `cannot write ${options.stdoutFile}: ${(err as Error).message}` });
      return;
    }
    const child = spawn(command, [...args], { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', fd ?? 'pipe', 'pipe'] });
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    let failed: Error | undefined;
    child.on('error', (err) => {
      failed = err;
    });
    child.on('close', (code, signal) => {
      if (fd !== undefined) closeSync(fd);
      const tail = captured.length > MAX_CAPTURE ? captured.slice(-MAX_CAPTURE) : captured;
      if (failed) resolve({ code: 127, output: `cannot run ${command}: ${failed.message}` });
      else resolve({ code: code ?? 128 + signalNumber(signal), output: tail });
    });
  });

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal ? (osConstants.signals[signal] ?? 0) : 0;
}

/**
 * The Terraform engine to run, as cdktf chooses it: `TERRAFORM_BINARY_NAME` (a name looked up on PATH,
 * or a path), `terraform` by default. Returns an absolute path, or throws a UsageError saying what to set.
 */
export function resolveTerraformBinary(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  const name = env.TERRAFORM_BINARY_NAME?.trim() || 'terraform';
  const isExecutable = (file: string): boolean => {
    try {
      accessSync(file, constants.X_OK);
      return statSync(file).isFile();
    } catch {
      return false;
    }
  };
  if (name.includes('/') || name.includes(path.sep)) {
    const file = path.resolve(cwd, name);
    if (isExecutable(file)) return file;
    throw new UsageError(`TERRAFORM_BINARY_NAME="${name}": ${file} is not an executable file — set it to terraform, tofu, or the path of one`);
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const file = path.join(dir, name);
    if (isExecutable(file)) return file;
  }
  const hint = env.TERRAFORM_BINARY_NAME ? `TERRAFORM_BINARY_NAME="${name}"` : 'TERRAFORM_BINARY_NAME is unset, so "terraform" is used';
  throw new UsageError(`${hint}, but no "${name}" executable is on PATH — install Terraform or OpenTofu, or set TERRAFORM_BINARY_NAME to tofu or a path`);
}

/**
 * Runs `worker` over `items` with at most `limit` running at once; results keep the input order.
 * A worker's rejection rejects the whole pool (workers are expected to catch their own failures).
 */
export async function runPool<T, R>(items: readonly T[], limit: number, worker: (item: T, index: number) => Promise<R>): Promise<R[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await worker(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/** The last `lines` lines of a command's output, for error messages. */
export function tail(output: string, lines = 30): string {
  const all = output.replace(/\s+$/, '').split('\n');
  return (all.length > lines ? ['…', ...all.slice(-lines)] : all).join('\n');
}
