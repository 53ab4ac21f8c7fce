import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { environmentNames, environmentNamesSorted, firstEnvironment, generatedEnvironmentName, repoRoot } from '@platform/testing';
import { parseDocument } from 'yaml';
import { runSynth } from './synth';

const FIRST = firstEnvironment();

/** Every file under a folder with its bytes, for byte-for-byte comparison. */
function snapshotTree(dir: string): Record<string, string> {
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

describe('platform synth', () => {
  let work: string;
  const lines: string[] = [];
  const write = (l: string) => lines.push(l);
  beforeEach(() => {
    work = mkdtempSync(path.join(tmpdir(), 'synth-'));
    lines.length = 0;
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));
  const envDir = path.join(repoRoot, 'envs');

  test('GIVEN the real environments WHEN synthesized THEN every environment gets its stacks and a summary is printed', () => {
    const outdir = path.join(work, 'cdktf.out');
    expect(runSynth({ outdir, envDir, write })).toBe(0);
    const stacks = readdirSync(path.join(outdir, 'stacks'));
    for (const env of environmentNames()) expect(stacks).toContain(`${env}-services`);
    const dev = JSON.parse(readFileSync(path.join(outdir, 'stacks', `${FIRST}-services`, 'cdk.tf.json'), 'utf8'));
    expect(dev.terraform.backend.s3).toMatchObject({ key: `${FIRST}/services.tfstate`, encrypt: true });
    expect(lines.at(-1)).toMatch(new RegExp(`^synthesized \\d+ stacks for ${environmentNamesSorted().join(', ')} into .+ in \\d+ ms$`));
  });

  test('GIVEN the same input twice WHEN synthesized THEN the output is byte-identical', () => {
    const a = path.join(work, 'a');
    const b = path.join(work, 'b');
    expect(runSynth({ outdir: a, envDir, quiet: true })).toBe(0);
    expect(runSynth({ outdir: b, envDir, quiet: true })).toBe(0);
    expect(snapshotTree(b)).toEqual(snapshotTree(a));
  });

  test('GIVEN a previous output and a broken environment file WHEN synth fails THEN the previous output is untouched and nothing is left behind', () => {
    const outdir = path.join(work, 'cdktf.out');
    expect(runSynth({ outdir, envDir, quiet: true })).toBe(0);
    const before = snapshotTree(outdir);

    const badEnvs = path.join(work, 'envs');
    cpSync(envDir, badEnvs, { recursive: true });
    const doc = parseDocument(readFileSync(path.join(envDir, `${FIRST}.yaml`), 'utf8'));
    doc.setIn(['logs', 'retentionDays'], 45);
    writeFileSync(path.join(badEnvs, `${FIRST}.yaml`), doc.toString());

    expect(runSynth({ outdir, envDir: badEnvs, write })).toBe(1);
    expect(snapshotTree(outdir)).toEqual(before);
    expect(readdirSync(work).sort()).toEqual(['cdktf.out', 'envs']);
    expect(lines.join('\n')).toMatch(/synth failed; the previous output was left untouched\.\nerror: 1 problem in the environment configuration:\n {2}- .*envs\/[a-z0-9]+\.yaml:\d+: logs\.retentionDays 45 is not a CloudWatch Logs retention period/);
  });

  test('GIVEN an unknown --env WHEN synthesized THEN the flag, value and choices are named', () => {
    const missing = generatedEnvironmentName('synth');
    expect(runSynth({ outdir: path.join(work, 'out'), envDir, only: [missing], write })).toBe(1);
    expect(lines.join('\n')).toContain(`error: --env "${missing}": no such environment — choose from ${environmentNamesSorted().join(', ')}`);
  });

  test('GIVEN --env <one environment> WHEN synthesized THEN only its stacks are written', () => {
    const outdir = path.join(work, 'out');
    expect(runSynth({ outdir, envDir, only: [FIRST], quiet: true })).toBe(0);
    expect(readdirSync(path.join(outdir, 'stacks')).every((s) => s.startsWith(`${FIRST}-`))).toBe(true);
  });

  test('GIVEN the real CLI binary and a broken file WHEN run THEN it exits 1 with the message and no stack trace', () => {
    const badEnvs = path.join(work, 'envs');
    cpSync(envDir, badEnvs, { recursive: true });
    writeFileSync(path.join(badEnvs, `${FIRST}.yaml`), 'aws: [\n');
    const result = spawnSync(process.execPath, [path.join(repoRoot, 'packages/cli/bin/platform.cjs'), 'synth', '--env-dir', badEnvs, '--outdir', path.join(work, 'out')], {
      cwd: work,
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`envs/${FIRST}.yaml:`);
    expect(result.stderr).toMatch(/\.yaml:\d+: \(file\) is not valid YAML/);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  test('GIVEN an unknown flag WHEN the CLI runs THEN it exits 1 naming the flag', () => {
    const result = spawnSync(process.execPath, [path.join(repoRoot, 'packages/cli/bin/platform.cjs'), 'synth', '--colour'], { cwd: work, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("unknown option '--colour'");
  });
});
