import { UsageError } from '../errors';
import { type ProgressMode } from './progress';
import { type Runner } from './runner';

/** What every command that runs the engine over several stacks accepts (plan, drift). */
export interface EngineCommandOptions {
  /** Stack ids to work on. @default - every stack in the output */
  readonly stacks?: readonly string[];
  /** Only stacks of these environments. */
  readonly envs?: readonly string[];
  /** Synthesized output. @default cdktf.out */
  readonly outdir?: string;
  /** How many stacks run at once. @default 4 */
  readonly parallel?: string | number;
  /** Print every step's output when a stack finishes. */
  readonly verbose?: boolean;
  /** Environment of the engine. @default - process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** How the engine is run (tests inject a scripted engine). */
  readonly runner?: Runner;
  /** The engine's `-lock-timeout` (tests shorten it). @default LOCK_TIMEOUT (5m) */
  readonly lockTimeout?: string;
  /** @default - `tty` at an interactive terminal, else `plain` */
  readonly progress?: ProgressMode;
  readonly write?: (line: string) => void;
  readonly writeErr?: (line: string) => void;
}

/** Highest `--parallel`: each engine process holds a provider plugin of a few hundred MiB. */
export const MAX_PARALLEL = 32;
/** Default `--parallel`: enough to overlap network waits without starving a 2-core CI runner. */
export const DEFAULT_PARALLEL = 4;

/** Validates `--parallel`: a whole number from 1 to MAX_PARALLEL. */
export function parseParallel(value: string | number | undefined): number {
  if (value === undefined) return DEFAULT_PARALLEL;
  const text = String(value).trim();
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PARALLEL) {
    throw new UsageError(`--parallel ${JSON.stringify(String(value))}: must be a whole number from 1 to ${MAX_PARALLEL} (how many stacks run at once)`);
  }
  return n;
}

/** Validates a whole-number flag within a range. */
export function parseIntFlag(flag: string, value: string, min: number, max: number): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${flag} ${JSON.stringify(value)}: must be a whole number from ${min} to ${max}`);
  return n;
}
