import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { UsageError } from '../errors';
import { tail } from './runner';

const execFileP = promisify(execFile);

/** Runs git and returns its trimmed stdout; throws with git's own message on failure. */
export async function git(cwd: string, args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await execFileP('git', [...args], { cwd, maxBuffer: 64 * 1024 * 1024 });
    return stdout.trim();
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`git ${args.join(' ')}: ${(e.stderr ?? e.message).trim()}`);
  }
}

/** The repository root holding `cwd`, or a UsageError when `cwd` is not in a git repository. */
export async function repositoryRoot(cwd: string): Promise<string> {
  try {
    return await git(cwd, ['rev-parse', '--show-toplevel']);
  } catch {
    throw new UsageError(`${cwd}: not inside a git repository — \`platform affected\` compares git revisions; run it from a clone`);
  }
}

/** The commit a ref names, or a UsageError naming the flag and value. */
export async function resolveCommit(root: string, ref: string): Promise<string> {
  try {
    return await git(root, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  } catch {
    throw new UsageError(
      `--base "${ref}": not a commit in this repository — pass a branch, tag or commit (in CI fetch the base first, e.g. actions/checkout with fetch-depth: 0, then --base origin/main)`,
    );
  }
}

/**
 * Checks `commit` out into a temporary, detached git worktree, runs `fn` on its path, and removes
 * the worktree afterwards whatever happens. The working tree of `root` is not touched.
 */
export async function withWorktree<T>(root: string, commit: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const parent = mkdtempSync(path.join(os.tmpdir(), 'platform-base-'));
  const dir = path.join(parent, 'tree');
  try {
    await git(root, ['worktree', 'add', '--detach', '--quiet', dir, commit]);
    return await fn(dir);
  } finally {
    await git(root, ['worktree', 'remove', '--force', dir]).catch(() => undefined);
    rmSync(parent, { recursive: true, force: true });
    await git(root, ['worktree', 'prune']).catch(() => undefined);
  }
}

/** The `node_modules` folder this CLI's own dependencies come from. */
export function ownNodeModules(): string {
  return path.dirname(path.dirname(require.resolve('cdktf/package.json')));
}

/** Workspace packages of a checkout: package name → absolute folder, from the root package.json `workspaces`. */
export function workspacePackages(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  let patterns: unknown;
  try {
    patterns = (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { workspaces?: unknown }).workspaces;
  } catch {
    return out;
  }
  const list = Array.isArray(patterns) ? patterns : Array.isArray((patterns as { packages?: unknown })?.packages) ? (patterns as { packages: unknown[] }).packages : [];
  for (const pattern of list.filter((p): p is string => typeof p === 'string')) {
    const folders = pattern.endsWith('/*')
      ? safeReaddir(path.join(dir, pattern.slice(0, -2))).map((name) => path.join(dir, pattern.slice(0, -2), name))
      : [path.join(dir, pattern)];
    for (const folder of folders) {
      try {
        const name = (JSON.parse(readFileSync(path.join(folder, 'package.json'), 'utf8')) as { name?: unknown }).name;
        if (typeof name === 'string') out.set(name, folder);
      } catch {
        // not a package
      }
    }
  }
  return out;
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * Gives a checkout without `node_modules` one: the checkout's own workspace packages are linked to its
 * own folders (so it builds with its own code), every other package to the one in `from` (the
 * dependencies installed for the working tree; a base whose lockfile differs still builds with these).
 */
export function linkNodeModules(dir: string, from: string): void {
  const target = path.join(dir, 'node_modules');
  const own = workspacePackages(dir);
  const ownScopes = new Set([...own.keys()].filter((n) => n.startsWith('@')).map((n) => n.split('/')[0]!));
  mkdirSync(target, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const name = entry.name;
    // A scope holding none of the checkout's packages is linked whole (one link instead of one per package).
    if (name.startsWith('@') && entry.isDirectory() && ownScopes.has(name)) {
      mkdirSync(path.join(target, name), { recursive: true });
      for (const child of readdirSync(path.join(from, name))) {
        if (!own.has(`${name}/${child}`)) linkIfAbsent(path.join(from, name, child), path.join(target, name, child));
      }
    } else if (!own.has(name)) {
      linkIfAbsent(path.join(from, name), path.join(target, name));
    }
  }
  for (const [name, folder] of own) {
    mkdirSync(path.dirname(path.join(target, name)), { recursive: true });
    linkIfAbsent(folder, path.join(target, name));
  }
}

/**
 * `npx <bin> …` as `<bin> …` when the checkout has that binary in `node_modules/.bin` (first on PATH): what
 * npx would run, without starting npm first (a third of a small app's synth). Anything else is unchanged.
 */
export function withoutNpx(app: string, dir: string): string {
  const m = /^\s*npx\s+([A-Za-z0-9@._/-]+)(\s.*)?$/s.exec(app);
  if (!m || m[1]!.startsWith('-') || m[1]!.includes('/')) return app;
  return existsSync(path.join(dir, 'node_modules', '.bin', m[1]!)) ? `${m[1]}${m[2] ?? ''}` : app;
}

function linkIfAbsent(source: string, link: string): void {
  if (!existsSync(link)) symlinkSync(source, link);
}

/**
 * Synthesizes a checkout with its own code, the way cdktf does: runs the `app` command of its
 * `cdktf.json` in the checkout with `CDKTF_OUTDIR` set. Throws a UsageError with the end of the
 * output when it fails.
 */
export async function synthCheckout(dir: string, outdir: string, label: string): Promise<void> {
  let app: unknown;
  try {
    app = (JSON.parse(readFileSync(path.join(dir, 'cdktf.json'), 'utf8')) as { app?: unknown }).app;
  } catch {
    throw new UsageError(`${label}: has no readable cdktf.json — cannot synthesize it`);
  }
  if (typeof app !== 'string' || app.trim() === '') throw new UsageError(`${label}: cdktf.json has no "app" command — cannot synthesize it`);
  const env = {
    ...process.env,
    CDKTF_OUTDIR: outdir,
    PATH: `${path.join(dir, 'node_modules', '.bin')}${path.delimiter}${process.env.PATH ?? ''}`,
    // No telemetry or update checks from a temporary checkout.
    CHECKPOINT_DISABLE: '1',
  };
  const command = withoutNpx(app, dir);
  const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
    let out = '';
    const child = spawn(command, { cwd: dir, env, shell: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', (err) => resolve({ code: 127, output: err.message }));
    child.on('close', (c) => resolve({ code: c ?? 1, output: out }));
  });
  if (code !== 0 || !existsSync(path.join(outdir, 'stacks'))) {
    throw new UsageError(`${label}: synth failed (\`${app}\` exited ${code}):\n${tail(output, 30)}`);
  }
}
