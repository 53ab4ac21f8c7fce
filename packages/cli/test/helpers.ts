import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Repository root. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
/** This package's fixtures. */
export const FIXTURES = path.join(__dirname, 'fixtures');
/** The `platform` bin, as `npx platform` runs it. */
export const BIN = path.join(REPO_ROOT, 'packages', 'cli', 'bin', 'platform.cjs');

const temps: string[] = [];

/** A temporary folder removed by `cleanTemps()` (call it in afterAll). */
export function tempDir(prefix = 'platform-cli-test-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

export function cleanTemps(): void {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Terraform JSON of a stack made only of the built-in `terraform_data` (no provider download), local state. */
export function dataStack(resources: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    terraform: { backend: { local: { path: 'terraform.tfstate' } } },
    ...(Object.keys(resources).length > 0 ? { resource: { terraform_data: resources } } : {}),
    ...extra,
  };
}

/** A folder shaped like cdktf.out: `stacks/<id>/cdk.tf.json` for each entry. Returns its path. */
export function makeOutdir(stacks: Record<string, unknown>, dir = tempDir('platform-out-')): string {
  for (const [id, json] of Object.entries(stacks)) {
    mkdirSync(path.join(dir, 'stacks', id), { recursive: true });
    writeFileSync(path.join(dir, 'stacks', id, 'cdk.tf.json'), typeof json === 'string' ? json : JSON.stringify(json, null, 2));
  }
  return dir;
}

/** Every file under a folder (relative paths, `.terraform/` collapsed to one entry), sorted. */
export function listFiles(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    const rel = path.relative(base, full);
    if (name === '.terraform') out.push(`${rel}/`);
    else if (statSync(full).isDirectory()) out.push(...listFiles(full, base));
    else out.push(rel);
  }
  return out.sort();
}

/** Collects lines written by a command. */
export function capture(): { readonly lines: string[]; readonly write: (line: string) => void; text(): string } {
  const lines: string[] = [];
  return { lines, write: (l) => lines.push(l), text: () => lines.join('\n') };
}

/** Writes an executable shell script. */
export function writeScript(file: string, body: string): string {
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

/** Runs the `platform` bin in a real process. */
export function runBin(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? REPO_ROOT, env: { ...process.env, CI: 'true', ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** An environment for the engine without the CLI-config warning a missing ~/.terraformrc prints. */
export function engineEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const rc = path.join(tempDir('platform-tfrc-'), 'tfrc');
  writeFileSync(rc, '');
  return { ...process.env, TF_CLI_CONFIG_FILE: rc, CHECKPOINT_DISABLE: '1', ...extra };
}

/** Every file under a folder with its bytes, for byte-for-byte comparison. */
export function snapshotTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[path.relative(dir, p)] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}
