import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { type EnvironmentConfig, loadEnvironments } from '@platform/config';
import { enforcePolicy, listSuppressions, RULES, type Suppression } from '@platform/policy';
import { synthesizeAtomically, type SynthesizedStack } from '@platform/stack-factory';
import { definePlatform } from '@platform/stacks';
import { type Command } from 'commander';
import { reportError, UsageError } from '../errors';
import { findRepositoryRoot } from '../program';

export interface SynthOptions {
  /** Output directory. @default cdktf.out */
  readonly outdir?: string;
  /** Folder of environment files. @default envs */
  readonly envDir?: string;
  /** Only these environments. @default - all */
  readonly only?: readonly string[];
  readonly quiet?: boolean;
  readonly write?: (line: string) => void;
}

/**
 * The platform's synth: every stack of `envs` into `outdir`, checked by the policy gate before it
 * replaces the previous output. Throws ConfigError / PolicyViolationError / cdktf validation errors.
 */
export function synthPlatform(outdir: string, envs: readonly EnvironmentConfig[]): { stacks: SynthesizedStack[]; suppressions: Suppression[] } {
  // Source-mapped stack traces (enabled by tsx) make every cdktf token creation ~4x slower: cdktf
  // captures a stack trace for each one. Users' mistakes never show a stack; set PLATFORM_DEBUG=1 to
  // get mapped traces for an internal error.
  const mapped = process.sourceMapsEnabled;
  if (!process.env.PLATFORM_DEBUG) process.setSourceMapsEnabled(false);
  try {
    let suppressions: Suppression[] = [];
    const stacks = withoutTokenStackTraces(() =>
      synthesizeAtomically(
        outdir,
        (app) => definePlatform(app, envs),
        (app, staging) => {
          enforcePolicy(app, staging);
          suppressions = listSuppressions(app);
        },
      ),
    );
    return { stacks, suppressions };
  } finally {
    process.setSourceMapsEnabled(mapped);
  }
}

/**
 * cdktf records where every token was created — a full, formatted stack trace (`Error.stackTraceLimit` raised
 * to MAX_SAFE_INTEGER around `Error.captureStackTrace`), about a fifth of synth time on 150 stacks — and shows
 * it only when a token fails to resolve. Unless PLATFORM_DEBUG is set, those captures record nothing while
 * `fn` runs; every other stack trace (ours, Node's) is captured as usual. The output does not change.
 */
export function withoutTokenStackTraces<T>(fn: () => T): T {
  if (process.env.PLATFORM_DEBUG) return fn();
  const original = Error.captureStackTrace;
  Error.captureStackTrace = (target: object, ...rest: unknown[]) => {
    if (Error.stackTraceLimit === Number.MAX_SAFE_INTEGER) {
      (target as { stack?: string }).stack = '';
      return;
    }
    (original as (...args: unknown[]) => void).call(Error, target, ...rest);
  };
  try {
    return fn();
  } finally {
    Error.captureStackTrace = original;
  }
}

/** Synthesizes every environment atomically; returns the exit code (0 or 1). */
export function runSynth(options: SynthOptions = {}): number {
  const write = options.write ?? ((l: string) => process.stdout.write(`${l}\n`));
  const writeErr = options.write ?? ((l: string) => process.stderr.write(`${l}\n`));
  const outdir = options.outdir ?? 'cdktf.out';
  try {
    const started = process.hrtime.bigint();
    const envDir = options.envDir ?? 'envs';
    if (!existsSync(envDir) && !findRepositoryRoot()) {
      throw new UsageError(`${path.resolve(envDir)}: no such folder, and no cdktf.json in ${process.cwd()} or above — run platform inside the repository`);
    }
    let envs = loadEnvironments(envDir);
    if (options.only && options.only.length > 0) {
      const known = new Set(envs.map((e) => e.name));
      const unknown = options.only.filter((n) => !known.has(n));
      if (unknown.length > 0) {
        throw new UsageError(
          `--env ${unknown.map((u) => JSON.stringify(u)).join(', ')}: no such environment — choose from ${[...known].join(', ')}`,
        );
      }
      envs = envs.filter((e) => options.only!.includes(e.name));
    }
    const { stacks, suppressions } = synthPlatform(outdir, envs);
    if (!options.quiet) {
      const ms = Number((process.hrtime.bigint() - started) / 1_000_000n);
      for (const s of stacks) write(`  ${s.id.padEnd(24)} ${String(s.resources).padStart(4)} resources  ${path.join(outdir, s.dir, 'cdk.tf.json')}`);
      write(`policy: ${RULES.length} rules passed on every stack; ${suppressions.length} suppression${suppressions.length === 1 ? '' : 's'}${suppressions.length ? ':' : ''}`);
      for (const sup of suppressions) write(`  [${sup.rule}] ${sup.path}: ${sup.justification}`);
      for (const env of envs.filter((e) => e.preventDestroyOptOut)) write(`  [STATE-002] ${env.file}: preventDestroy opted out: ${env.preventDestroyOptOut}`);
      write(`synthesized ${stacks.length} stacks for ${envs.map((e) => e.name).join(', ')} into ${outdir} in ${ms} ms`);
    }
    return 0;
  } catch (err) {
    // An output folder that could not be replaced, or a file-system refusal before synthesis, is one line that
    // says itself what happened; every other failure happened before the output was touched.
    const oneLine = err instanceof Error && (err.name === 'OutputReplaceError' || typeof (err as NodeJS.ErrnoException).syscall === 'string');
    if (!oneLine) writeErr('synth failed; the previous output was left untouched.');
    return reportError(err, writeErr);
  }
}

export function registerSynth(program: Command): void {
  program
    .command('synth')
    .description('Synthesize every environment into cdktf.out (atomically: a failed synth leaves the previous output untouched).')
    .option('-o, --outdir <dir>', 'output directory', 'cdktf.out')
    .option('--env-dir <dir>', 'folder of environment files', 'envs')
    .option('-e, --env <name...>', 'only these environments (default: all)')
    .option('-q, --quiet', 'print nothing on success')
    .addHelpText('after', '\nExit codes: 0 synthesized, 1 invalid input or failed validation (nothing written).')
    .action((opts: { outdir: string; envDir: string; env?: string[]; quiet?: boolean }) => {
      process.exitCode = runSynth({ outdir: opts.outdir, envDir: opts.envDir, only: opts.env, quiet: opts.quiet });
    });
}
