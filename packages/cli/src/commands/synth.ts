import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { type EnvironmentConfig, loadEnvironments } from '@platform/config';
import { enforcePolicy, listSuppressions, RULES, type Suppression } from '@platform/policy';
import { checkReplaceable, replaceOutput, STAGING_PREFIX, synthesizeAtomically, type SynthesizedStack } from '@platform/stack-factory';
import { definePlatform } from '@platform/stacks';
import { Manifest } from 'cdktf';
import { type Command, Option } from 'commander';
import { reportError, UsageError } from '../errors';
import { skipTokenStackTraces } from '../lib/token-traces';
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
  /**
   * Processes to synthesize in (`runSynthCli` only): with at least PARALLEL_MIN_ENVS environments, half of
   * them go to a second `platform synth` process and the outputs are merged before the swap.
   * @default 1
   */
  readonly processes?: number;
  /** Fewest environments for which `processes` applies. @default PARALLEL_MIN_ENVS */
  readonly parallelMinEnvs?: number;
  /** Also write the stacks and policy suppressions as JSON to this file (used between those processes). */
  readonly reportJson?: string;
}

/** Below this many environments a second process costs more (its start-up) than it saves. */
export const PARALLEL_MIN_ENVS = 8;

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
 * `fn` without cdktf's token stack traces (lib/token-traces.ts: about a fifth of synth time on 150 stacks),
 * unless PLATFORM_DEBUG is set. The output does not change.
 */
export function withoutTokenStackTraces<T>(fn: () => T): T {
  if (process.env.PLATFORM_DEBUG) return fn();
  const restore = skipTokenStackTraces();
  try {
    return fn();
  } finally {
    restore();
  }
}

/** The environments `options` asks for (all of `envDir`, or `--env` ones). Throws UsageError / ConfigError. */
function selectEnvironments(options: SynthOptions): { envDir: string; envs: EnvironmentConfig[] } {
  const envDir = options.envDir ?? 'envs';
  if (!existsSync(envDir) && !findRepositoryRoot()) {
    throw new UsageError(`${path.resolve(envDir)}: no such folder, and no cdktf.json in ${process.cwd()} or above — run platform inside the repository`);
  }
  let envs = loadEnvironments(envDir);
  if (options.only && options.only.length > 0) {
    const known = new Set(envs.map((e) => e.name));
    const unknown = options.only.filter((n) => !known.has(n));
    if (unknown.length > 0) {
      throw new UsageError(`--env ${unknown.map((u) => JSON.stringify(u)).join(', ')}: no such environment — choose from ${[...known].join(', ')}`);
    }
    envs = envs.filter((e) => options.only!.includes(e.name));
  }
  return { envDir, envs };
}

type SynthResult = { stacks: SynthesizedStack[]; suppressions: Suppression[] };

function finish(options: SynthOptions, outdir: string, envs: readonly EnvironmentConfig[], result: SynthResult, started: bigint): number {
  const { stacks, suppressions } = result;
  if (options.reportJson) writeFileSync(options.reportJson, JSON.stringify(result));
  if (!options.quiet) {
    const write = options.write ?? ((l: string) => process.stdout.write(`${l}\n`));
    const ms = Number((process.hrtime.bigint() - started) / 1_000_000n);
    for (const s of stacks) write(`  ${s.id.padEnd(24)} ${String(s.resources).padStart(4)} resources  ${path.join(outdir, s.dir, 'cdk.tf.json')}`);
    write(`policy: ${RULES.length} rules passed on every stack; ${suppressions.length} suppression${suppressions.length === 1 ? '' : 's'}${suppressions.length ? ':' : ''}`);
    for (const sup of suppressions) write(`  [${sup.rule}] ${sup.path}: ${sup.justification}`);
    for (const env of envs.filter((e) => e.preventDestroyOptOut)) write(`  [STATE-002] ${env.file}: preventDestroy opted out: ${env.preventDestroyOptOut}`);
    write(`synthesized ${stacks.length} stacks for ${envs.map((e) => e.name).join(', ')} into ${outdir} in ${ms} ms`);
  }
  return 0;
}

function fail(options: SynthOptions, err: unknown): number {
  const writeErr = options.write ?? ((l: string) => process.stderr.write(`${l}\n`));
  // An output folder that could not be replaced, or a file-system refusal before synthesis, is one line that
  // says itself what happened; every other failure happened before the output was touched.
  const oneLine = err instanceof Error && (err.name === 'OutputReplaceError' || typeof (err as NodeJS.ErrnoException).syscall === 'string');
  if (!oneLine) writeErr('synth failed; the previous output was left untouched.');
  return reportError(err, writeErr);
}

/** Synthesizes every environment atomically; returns the exit code (0 or 1). */
export function runSynth(options: SynthOptions = {}): number {
  const outdir = options.outdir ?? 'cdktf.out';
  try {
    const started = process.hrtime.bigint();
    const { envs } = selectEnvironments(options);
    return finish(options, outdir, envs, synthPlatform(outdir, envs), started);
  } catch (err) {
    return fail(options, err);
  }
}

/** `platform synth`: `runSynth`, in two processes when there are many environments (see `processes`). */
export async function runSynthCli(options: SynthOptions = {}): Promise<number> {
  const outdir = options.outdir ?? 'cdktf.out';
  try {
    const started = process.hrtime.bigint();
    const { envDir, envs } = selectEnvironments(options);
    const minEnvs = options.parallelMinEnvs ?? PARALLEL_MIN_ENVS;
    if (!((options.processes ?? 1) >= 2) || envs.length < Math.max(2, minEnvs)) return finish(options, outdir, envs, synthPlatform(outdir, envs), started);
    return finish(options, outdir, envs, await synthInTwoProcesses(outdir, envDir, envs), started);
  } catch (err) {
    return fail(options, err);
  }
}

const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * The second half of `envs` is synthesized by a child `platform synth` into a folder beside `outdir` while
 * this process synthesizes the first half; the child's stacks join ours, the two manifests become one
 * (cdktf's `Manifest`, so the file is what one app would write) and the result is swapped in. Each half
 * passes the policy gate in its own process. Signals are held (and passed to the child) until the work
 * folder is gone, as in `synthesizeAtomically`.
 */
async function synthInTwoProcesses(outdir: string, envDir: string, envs: readonly EnvironmentConfig[]): Promise<SynthResult> {
  checkReplaceable(outdir);
  const target = path.resolve(outdir);
  const work = mkdtempSync(path.join(path.dirname(target), `${STAGING_PREFIX}${process.pid}-`));
  const held: NodeJS.Signals[] = [];
  let child: ReturnType<typeof spawn> | undefined;
  const hold = (signal: NodeJS.Signals) => {
    held.push(signal);
    child?.kill(signal);
  };
  for (const sig of SIGNALS) process.on(sig, hold);
  try {
    // Halves by stack weight: services are most of the work.
    const weight = (e: EnvironmentConfig) => 1 + e.services.length;
    const total = envs.reduce((n, e) => n + weight(e), 0);
    let split = 0;
    for (let acc = 0; split < envs.length - 1 && acc + weight(envs[split]!) <= total / 2; split++) acc += weight(envs[split]!);
    const mine = envs.slice(0, Math.max(1, split));
    const theirs = envs.slice(Math.max(1, split));
    const theirOut = path.join(work, 'part');
    const theirReport = path.join(work, 'part.json');
    const bin = path.join(__dirname, '..', '..', 'bin', 'platform.cjs');
    child = spawn(
      process.execPath,
      [bin, 'synth', '-q', '--processes', '1', '--env-dir', envDir, '--outdir', theirOut, '--report-json', theirReport, '--env', ...theirs.map((e) => e.name)],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child!.on('error', () => resolve({ code: 127, signal: null }));
      child!.on('close', (code, signal) => resolve({ code, signal }));
    });
    const myOut = path.join(work, 'out');
    const mineResult = synthPlatform(myOut, mine);
    const { code, signal } = await exited;
    if (code !== 0) {
      const reason = stderr.replace(/^synth failed; the previous output was left untouched\.\n/, '').replace(/^error: /, '').trim();
      throw new UsageError(reason || `synth of ${theirs.map((e) => e.name).join(', ')} ended by ${signal ?? `exit ${code}`}`);
    }
    const theirResult = JSON.parse(readFileSync(theirReport, 'utf8')) as SynthResult;
    mkdirSync(path.join(myOut, Manifest.stacksFolder), { recursive: true });
    for (const dir of readdirSync(path.join(theirOut, Manifest.stacksFolder))) {
      renameSync(path.join(theirOut, Manifest.stacksFolder, dir), path.join(myOut, Manifest.stacksFolder, dir));
    }
    type ManifestJson = { version: string; stacks: Manifest['stacks'] };
    const a = JSON.parse(readFileSync(path.join(myOut, Manifest.fileName), 'utf8')) as ManifestJson;
    const b = JSON.parse(readFileSync(path.join(theirOut, Manifest.fileName), 'utf8')) as ManifestJson;
    const merged = new Manifest(a.version, myOut, false);
    Object.assign(merged.stacks, a.stacks, b.stacks);
    merged.writeToFile();
    await replaceOutput(myOut, target);
    return {
      stacks: [...mineResult.stacks, ...theirResult.stacks].sort((x, y) => x.id.localeCompare(y.id)),
      suppressions: [...mineResult.suppressions, ...theirResult.suppressions],
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
    setImmediate(() => {
      for (const sig of SIGNALS) process.off(sig, hold);
      if (held.length > 0) process.kill(process.pid, held[0]);
    });
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
    .addOption(new Option('--processes <n>', 'processes to synthesize in (many environments only)').hideHelp())
    .addOption(new Option('--report-json <file>', 'write stacks and suppressions as JSON').hideHelp())
    .addHelpText('after', '\nExit codes: 0 synthesized, 1 invalid input or failed validation (nothing written).')
    .action(async (opts: { outdir: string; envDir: string; env?: string[]; quiet?: boolean; processes?: string; reportJson?: string }) => {
      // PLATFORM_SYNTH_PROCESSES=1 turns the second process off; a number set there applies to any environment count.
      const explicit = opts.processes ?? process.env.PLATFORM_SYNTH_PROCESSES;
      const processes = explicit !== undefined ? Number(explicit) : Math.min(2, availableParallelism());
      process.exitCode = await runSynthCli({
        outdir: opts.outdir,
        envDir: opts.envDir,
        only: opts.env,
        quiet: opts.quiet,
        processes,
        parallelMinEnvs: explicit !== undefined ? 2 : PARALLEL_MIN_ENVS,
        reportJson: opts.reportJson,
      });
    });
}
