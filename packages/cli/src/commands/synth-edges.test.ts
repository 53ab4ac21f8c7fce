// `platform synth` interrupted, or facing an output folder it may not replace: the real CLI in a child
// process, real signals, real permissions (chmod as a user without root's override; chattr +i as root).
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadEnvironments } from '@platform/config';
import { repoRoot } from '@platform/testing';
import { parseDocument } from 'yaml';
import { snapshotTree } from '../../test/helpers';

const BIN = path.join(repoRoot, 'packages/cli/bin/platform.cjs');
const envDir = path.join(repoRoot, 'envs');
const one = loadEnvironments(envDir)[0]!.name;

function synthSync(outdir: string, extra: string[] = [], options: { env?: NodeJS.ProcessEnv } = {}) {
  return spawnSync(process.execPath, [BIN, 'synth', '-q', '--env-dir', envDir, '--outdir', outdir, ...extra], { encoding: 'utf8', ...options });
}

/** A previous output of one environment at `outdir`: a copy of the reference synth (same bytes, no second synth). */
function previousOutput(outdir: string): void {
  cpSync(path.join(work, 'ref-one'), outdir, { recursive: true });
}

let work: string;
let oneEnv: Record<string, string>;
let full: Record<string, string>;

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'synth-edges-'));
  // Reference outputs: one environment (the "previous" output below) and all of them.
  expect(synthSync(path.join(work, 'ref-one'), ['--env', one]).status).toBe(0);
  expect(synthSync(path.join(work, 'ref-full')).status).toBe(0);
  oneEnv = snapshotTree(path.join(work, 'ref-one'));
  full = snapshotTree(path.join(work, 'ref-full'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('interrupted synth', () => {
  // From "before the CLI has loaded" to "while it swaps folders" on a 2-core machine.
  test.each([
    ['SIGINT', 0],
    ['SIGINT', 250],
    ['SIGTERM', 500],
    ['SIGINT', 900],
  ] as const)('GIVEN a previous output WHEN %s arrives %i ms into a synth THEN the output is the old or the new one, whole, and no temporary folder is left', async (signal, delay) => {
    const parent = mkdtempSync(path.join(work, 'signal-'));
    const outdir = path.join(parent, 'cdktf.out');
    previousOutput(outdir);
    const child = spawn(process.execPath, [BIN, 'synth', '-q', '--env-dir', envDir, '--outdir', outdir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, sig) => resolve({ code, signal: sig })));
    await new Promise((r) => setTimeout(r, delay));
    child.kill(signal);
    const result = await exited;

    // Either the synth finished before the signal (exit 0) or the signal ended it (no stack trace, no error).
    expect(result.code === 0 || result.signal === signal).toBe(true);
    expect(stderr).toBe('');
    expect(readdirSync(parent)).toEqual(['cdktf.out']);
    const after = snapshotTree(outdir);
    expect(after === oneEnv || JSON.stringify(after) === JSON.stringify(oneEnv) || JSON.stringify(after) === JSON.stringify(full)).toBe(true);
  });
});

/** chattr +i works as root with CAP_LINUX_IMMUTABLE (not in every container). */
function canMakeImmutable(): boolean {
  const probe = mkdtempSync(path.join(tmpdir(), 'immutable-probe-'));
  const ok = spawnSync('chattr', ['+i', probe]).status === 0;
  spawnSync('chattr', ['-i', probe]);
  rmSync(probe, { recursive: true, force: true });
  return ok;
}

describe('an output folder synth may not replace', () => {
  test('GIVEN a read-only cdktf.out (chmod a-w) WHEN synthesized THEN one line names the folder and the permission, exit 1, and the output is untouched', () => {
    const parent = mkdtempSync(path.join(work, 'readonly-'));
    const outdir = path.join(parent, 'cdktf.out');
    previousOutput(outdir);
    chmodSync(outdir, 0o555);
    // root ignores permission bits (CAP_DAC_OVERRIDE): as root, run the CLI with every capability dropped
    // (setpriv), still uid 0 — so it reads the checkout wherever it lies (a 0700 temporary folder, too),
    // owns the parent, and may not write into cdktf.out.
    const asRoot = process.getuid?.() === 0;
    try {
      const result = asRoot
        ? spawnSync('setpriv', ['--bounding-set=-all', '--inh-caps=-all', '--', process.execPath, BIN, 'synth', '-q', '--env-dir', envDir, '--outdir', outdir], { encoding: 'utf8' })
        : synthSync(outdir);
      expect(result.status).toBe(1);
      expect(result.stderr.trim().split('\n')).toEqual([
        `error: cannot replace ${outdir}: ${outdir} is not writable (permission denied, EACCES) — nothing was changed; make it writable (e.g. chmod -R u+w ${outdir}) or choose another --outdir`,
      ]);
      expect(snapshotTree(outdir)).toEqual(oneEnv);
      expect(readdirSync(parent)).toEqual(['cdktf.out']);
    } finally {
      chmodSync(outdir, 0o755);
    }
  });

  (canMakeImmutable() ? test : test.skip)('GIVEN an immutable folder in cdktf.out (chattr +i, as root) WHEN synthesized THEN one line names it and EPERM, exit 1, and the output is untouched', () => {
    const parent = mkdtempSync(path.join(work, 'immutable-'));
    const outdir = path.join(parent, 'cdktf.out');
    previousOutput(outdir);
    const stack = path.join(outdir, 'stacks', readdirSync(path.join(outdir, 'stacks'))[0]!);
    expect(spawnSync('chattr', ['+i', stack]).status).toBe(0);
    try {
      const result = synthSync(outdir);
      expect(result.status).toBe(1);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`error: cannot replace ${outdir}: ${stack} is not writable (operation not permitted (immutable, or owned by another user), EPERM) — nothing was changed`);
      expect(snapshotTree(outdir)).toEqual(oneEnv);
      expect(readdirSync(parent)).toEqual(['cdktf.out']);
    } finally {
      spawnSync('chattr', ['-i', stack]);
    }
  });
});

test('GIVEN an output folder inside a folder that cannot be created WHEN synthesized THEN one line names it, no stack trace', () => {
  const file = path.join(work, 'a-file');
  writeFileSync(file, '');
  const result = synthSync(path.join(file, 'cdktf.out'));
  expect(result.status).toBe(1);
  expect(result.stderr.trim()).toBe(`error: mkdir ${file}: a file is in the way (EEXIST)`);
  expect(result.stderr).not.toMatch(/^\s+at /m);
});

describe('synth in two processes (many environments, or PLATFORM_SYNTH_PROCESSES=2)', () => {
  const twoProcesses = { env: { ...process.env, PLATFORM_SYNTH_PROCESSES: '2' } };

  test('GIVEN two processes WHEN synthesized THEN the output is byte-identical to one process and no work folder is left', () => {
    const parent = mkdtempSync(path.join(work, 'two-'));
    const outdir = path.join(parent, 'cdktf.out');
    const result = spawnSync(process.execPath, [BIN, 'synth', '--env-dir', envDir, '--outdir', outdir], { encoding: 'utf8', ...twoProcesses });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(snapshotTree(outdir)).toEqual(full);
    expect(readdirSync(parent)).toEqual(['cdktf.out']);
    for (const id of Object.keys(JSON.parse(full['manifest.json']!).stacks)) expect(result.stdout).toContain(`  ${id.padEnd(24)}`);
  });

  test('GIVEN an environment that fails synth in the second process’s half WHEN synthesized THEN exit 1 with its message, the previous output untouched, nothing left', () => {
    const parent = mkdtempSync(path.join(work, 'two-broken-'));
    const outdir = path.join(parent, 'cdktf.out');
    previousOutput(outdir);
    const envs = path.join(parent, 'envs');
    cpSync(envDir, envs, { recursive: true });
    // A valid file (unique account, zone, cluster, bucket) for an environment charts/service has no values
    // file for: the platform stack refuses it at synth time. Sorted last, it is in the second process's half.
    const doc = parseDocument(readFileSync(path.join(envDir, `${one}.yaml`), 'utf8'));
    doc.setIn(['aws', 'accountId'], '999999999999');
    doc.setIn(['dns', 'zoneName'], 'zzz.example.net');
    doc.setIn(['dns', 'zoneId'], 'Z0ZZZ000000000000000099');
    doc.setIn(['cluster', 'name'], 'platform-zzz');
    doc.setIn(['cluster', 'oidcIssuer'], String(doc.getIn(['cluster', 'oidcIssuer'])).replace(/id\/.*$/, 'id/0ZZZ0000000000000000000000000099'));
    doc.setIn(['state', 'bucket'], 'zzz-tfstate-999999999999-eu-west-1');
    doc.setIn(['services'], []);
    writeFileSync(path.join(envs, 'zzz.yaml'), doc.toString());
    const result = spawnSync(process.execPath, [BIN, 'synth', '-q', '--env-dir', envs, '--outdir', outdir], { encoding: 'utf8', ...twoProcesses });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('values-zzz.yaml');
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(snapshotTree(outdir)).toEqual(oneEnv);
    expect(readdirSync(parent).sort()).toEqual(['cdktf.out', 'envs']);
  });
});
