// Registered in jest.config.ts (setupFilesAfterEnv) for every suite:
//   - the stack matchers;
//   - a private temporary folder per suite, removed after it: `os.tmpdir()` (cdktf's `Testing` outdirs, the
//     suites' own mkdtemps) and TMPDIR for child processes point there, so a run leaves nothing in TMPDIR;
//   - child processes started without an `env` get the suite's (so their TMPDIR is the suite's folder too);
//   - in the unit tier, a guard that fails a suite starting anything but node (see jest.config.ts).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { promisify, types } from 'node:util';
import { skipTokenStackTraces } from '@platform/cli/src/lib/token-traces';
import { stackMatchers } from './matchers';
import { processGlobal } from './process-global';
import { GO_TOOL_ENV, toolsBin } from './tools';
// Default imports are the modules themselves (`import * as` makes a copy): patches reach every importer.
import childProcess from 'node:child_process';
import os from 'node:os';

expect.extend(stackMatchers);

/**
 * cdktf records where every token was created: each Reference, list and map token captures the whole
 * call stack (`Error.captureStackTrace` on a plain object, with no frame limit) and formats it at once.
 * Those traces only appear in cdktf's messages about unresolved tokens. As `platform synth` does, the
 * suites record none unless PLATFORM_DEBUG is set (packages/cli/src/lib/token-traces.ts: every construct a
 * suite builds and synthesizes, in this suite's realm, where cdktf's `Error` is).
 * With PLATFORM_DEBUG they are kept, formatted without source maps and cut to 20 frames: under jest,
 * formatting goes through the source-map formatter jest installs in the worker's main realm, which maps
 * every frame of a deep stack through the source maps of the files on it (12% of the unit tier's CPU).
 * Errors (failed assertions, thrown errors) still go to jest's formatter: Node uses the main realm's
 * `Error.prepareStackTrace` only when the suite's realm has none, so the suite's formatter hands errors to
 * it (the process's own `Error`: `processGlobal`).
 */
const restoreTokenStackTraces = process.env.PLATFORM_DEBUG ? undefined : skipTokenStackTraces(Error);
const mainRealmError = processGlobal().Error;
Error.prepareStackTrace = function prepareStackTrace(target: unknown, frames: NodeJS.CallSite[]): unknown {
  const error = types.isNativeError(target) ? target : undefined;
  const mapped = mainRealmError.prepareStackTrace;
  if (error && mapped) return mapped(error, frames);
  const header = error ? `${error.name}: ${error.message}` : 'Error';
  return [header, ...(error ? frames : frames.slice(0, 20)).map((frame) => `    at ${String(frame)}`)].join('\n');
};

const realTmpdir = os.tmpdir;
const suiteTmp = mkdtempSync(path.join(realTmpdir(), 'platform-jest-'));
const previousTmpEnv = process.env.TMPDIR;
(os as { tmpdir: () => string }).tmpdir = () => suiteTmp;
process.env.TMPDIR = suiteTmp;

type Launcher = 'spawn' | 'spawnSync' | 'execFile' | 'execFileSync' | 'exec' | 'execSync';
const LAUNCHERS: readonly Launcher[] = ['spawn', 'spawnSync', 'execFile', 'execFileSync', 'exec', 'execSync'];
const originals = new Map<Launcher, unknown>();
const started: string[] = [];
const repoBin = path.resolve(__dirname, '..', '..', '..', 'node_modules', '.bin') + path.sep;

/** node itself and the repository's own node scripts are not external binaries; anything else is. */
function isExternal(launcher: Launcher, command: unknown): boolean {
  if (launcher === 'exec' || launcher === 'execSync') return true; // a shell
  const file = String(command);
  return !(file === process.execPath || file === 'node' || path.resolve(file).startsWith(repoBin));
}

/**
 * The launcher's arguments with the suite's environment (its TMPDIR) for a child started without an `env`:
 * Node would give it the worker's own, so the child's temporary files would land outside the suite's folder.
 */
function withSuiteEnv(launcher: Launcher, args: unknown[]): unknown[] {
  const a = [...args];
  const shell = launcher === 'exec' || launcher === 'execSync';
  const at = shell ? 1 : Array.isArray(a[1]) || (a[1] === undefined && a.length > 2) ? 2 : 1;
  const options = a[at];
  if (options && typeof options === 'object') {
    if (!('env' in options) || (options as { env?: unknown }).env === undefined) a[at] = { ...options, env: process.env };
  } else if (options === undefined || typeof options === 'function') {
    if (options === undefined && a.length <= at) a[at] = { env: process.env };
    else a.splice(at, options === undefined ? 1 : 0, { env: process.env });
  }
  return a;
}

const unitTier = (globalThis as { PLATFORM_TEST_TIER?: string }).PLATFORM_TEST_TIER === 'unit';

/**
 * cdktf checks the engine's version while it synthesizes a stack with terraform_data, import or moved
 * blocks: `$TERRAFORM_BINARY_NAME version` (`terraform` when unset) through a shell, once per block. The
 * integration suites synthesize such stacks for OpenTofu, so that engine is the pinned one of `.tools/bin`
 * (the check would otherwise need a `terraform` installed on the machine, outside the setup script), and
 * its answer is kept for the suite: the binary does not change while a suite runs, and the state suites
 * asked it about a hundred times per run (each a shell and an engine start, ~4 s of CPU).
 */
if (!unitTier && process.env.TERRAFORM_BINARY_NAME === undefined && existsSync(path.join(toolsBin(), 'tofu'))) {
  process.env.TERRAFORM_BINARY_NAME = path.join(toolsBin(), 'tofu');
}
// The Go tools started with the suite's environment (helm, actionlint, …) collect garbage the same way.
if (!unitTier) for (const [name, value] of Object.entries(GO_TOOL_ENV)) process.env[name] ??= value;
const engineVersion = new Map<string, unknown>();
function isEngineVersionCommand(command: unknown): command is string {
  return typeof command === 'string' && command === `${process.env.TERRAFORM_BINARY_NAME ?? 'terraform'} version`;
}

const cp = childProcess as unknown as Record<Launcher, (...args: unknown[]) => unknown>;
for (const launcher of LAUNCHERS) {
  const original = cp[launcher] as ((...args: unknown[]) => unknown) & { [promisify.custom]?: (...args: unknown[]) => unknown };
  originals.set(launcher, original);
  /** The guard (unit tier) and the suite's environment, for the launcher and for its promisified form. */
  const prepare = (args: unknown[]): unknown[] => {
    if (originals.size === 0) return args;
    if (unitTier && isExternal(launcher, args[0])) {
      const name = path.basename(String(args[0]).split(' ')[0] ?? '');
      started.push(name);
      throw new Error(
        `unit tier: this suite started \`${name}\` (${launcher}); unit suites start no external binary. ` +
          'jest.config.ts did not see it: add a `@tier integration` comment at the top of the suite.',
      );
    }
    return withSuiteEnv(launcher, args);
  };
  const guarded = function guarded(this: unknown, ...args: unknown[]) {
    if (launcher === 'execSync' && isEngineVersionCommand(args[0]) && originals.size > 0) {
      if (!engineVersion.has(args[0])) engineVersion.set(args[0], original.apply(this, prepare(args)));
      const answer = engineVersion.get(args[0]);
      return Buffer.isBuffer(answer) ? Buffer.from(answer) : answer;
    }
    return original.apply(this, prepare(args));
  } as typeof original;
  const custom = original[promisify.custom];
  // execFile and exec resolve to { stdout, stderr } when promisified: keep that.
  if (custom) guarded[promisify.custom] = (...args: unknown[]) => custom(...prepare(args));
  cp[launcher] = guarded;
}

afterAll(() => {
  restoreTokenStackTraces?.();
  for (const [launcher, original] of originals) cp[launcher] = original as (...args: unknown[]) => unknown;
  originals.clear();
  (os as { tmpdir: () => string }).tmpdir = realTmpdir;
  if (previousTmpEnv === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = previousTmpEnv;
  rmSync(suiteTmp, { recursive: true, force: true, maxRetries: 3 });
  if (started.length > 0) throw new Error(`unit tier: this suite started ${[...new Set(started)].join(', ')} — tag it \`@tier integration\``);
});
