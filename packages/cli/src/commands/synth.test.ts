import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadEnvironments } from '@platform/config';
import { repoRoot } from '@platform/testing';
import { parseDocument } from 'yaml';
import { snapshotTree } from '../../test/helpers';
import { runSynth } from './synth';

const BIN = path.join(repoRoot, 'packages/cli/bin/platform.cjs');
const envDir = path.join(repoRoot, 'envs');
/** The repository's environments, sorted by name; the first one stands for "one environment". */
const names = loadEnvironments(envDir).map((e) => e.name);
const one = names[0]!;

describe('platform synth', () => {
  let work: string;
  const lines: string[] = [];
  const write = (l: string) => lines.push(l);
  beforeEach(() => {
    work = mkdtempSync(path.join(tmpdir(), 'synth-'));
    lines.length = 0;
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  test('GIVEN the real environments WHEN synthesized THEN every environment gets its stacks and a summary is printed', () => {
    const outdir = path.join(work, 'cdktf.out');
    expect(runSynth({ outdir, envDir, write })).toBe(0);
    const stacks = readdirSync(path.join(outdir, 'stacks'));
    for (const env of names) expect(stacks).toContain(`${env}-services`);
    const json = JSON.parse(readFileSync(path.join(outdir, 'stacks', `${one}-services`, 'cdk.tf.json'), 'utf8'));
    expect(json.terraform.backend.s3).toMatchObject({ key: `${one}/services.tfstate`, encrypt: true });
    expect(lines.at(-1)).toMatch(new RegExp(`^synthesized \\d+ stacks for ${names.join(', ')} into .+ in \\d+ ms$`));
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
    expect(runSynth({ outdir, envDir, only: [one], quiet: true })).toBe(0);
    const before = snapshotTree(outdir);

    const badEnvs = path.join(work, 'envs');
    cpSync(envDir, badEnvs, { recursive: true });
    const file = path.join(badEnvs, `${one}.yaml`);
    const doc = parseDocument(readFileSync(file, 'utf8'));
    doc.setIn(['logs', 'retentionDays'], 45);
    writeFileSync(file, doc.toString());

    expect(runSynth({ outdir, envDir: badEnvs, write })).toBe(1);
    expect(snapshotTree(outdir)).toEqual(before);
    expect(readdirSync(work).sort()).toEqual(['cdktf.out', 'envs']);
    expect(lines.join('\n')).toMatch(
      new RegExp(`synth failed; the previous output was left untouched\\.\\nerror: 1 problem in the environment configuration:\\n {2}- .*envs/${one}\\.yaml:\\d+: logs\\.retentionDays 45 is not a CloudWatch Logs retention period`),
    );
  });

  test('GIVEN an unknown --env WHEN synthesized THEN the flag, value and choices are named', () => {
    expect(runSynth({ outdir: path.join(work, 'out'), envDir, only: ['no-such-env'], write })).toBe(1);
    expect(lines.join('\n')).toContain(`error: --env "no-such-env": no such environment — choose from ${names.join(', ')}`);
  });

  test('GIVEN --env <one> WHEN synthesized THEN only its stacks are written', () => {
    const outdir = path.join(work, 'out');
    expect(runSynth({ outdir, envDir, only: [one], quiet: true })).toBe(0);
    expect(readdirSync(path.join(outdir, 'stacks')).every((s) => s.startsWith(`${one}-`))).toBe(true);
  });

  test('GIVEN temporary folders left by a killed synth and one of a running synth WHEN synthesized THEN only the dead ones are removed', () => {
    const dead = path.join(work, '.cdktf-synth-999999999-abc123');
    const deadPrevious = path.join(work, '.cdktf-synth-999999999-abc123-previous');
    const oldNaming = path.join(work, '.cdktf-synth-Xy12ab');
    const live = path.join(work, `.cdktf-synth-${process.pid}-def456`);
    for (const d of [dead, deadPrevious, oldNaming, live]) mkdirSync(path.join(d, 'stacks'), { recursive: true });
    expect(runSynth({ outdir: path.join(work, 'cdktf.out'), envDir, only: [one], quiet: true })).toBe(0);
    expect(readdirSync(work).sort()).toEqual([path.basename(live), 'cdktf.out'].sort());
  });

  test('GIVEN the real CLI binary and a broken file WHEN run THEN it exits 1 with the message and no stack trace', () => {
    const badEnvs = path.join(work, 'envs');
    cpSync(envDir, badEnvs, { recursive: true });
    writeFileSync(path.join(badEnvs, `${one}.yaml`), 'aws: [\n');
    const result = spawnSync(process.execPath, [BIN, 'synth', '--env-dir', badEnvs, '--outdir', path.join(work, 'out')], { cwd: work, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`envs/${one}\\.yaml:\\d+: \\(file\\) is not valid YAML`));
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  test('GIVEN an unknown flag WHEN the CLI runs THEN it exits 1 naming the flag', () => {
    const result = spawnSync(process.execPath, [BIN, 'synth', '--colour'], { cwd: work, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("unknown option '--colour'");
  });

  test('GIVEN a subfolder of the repository WHEN `platform synth` runs there THEN it uses the root envs/ and writes the root cdktf.out', () => {
    copyFileSync(path.join(repoRoot, 'cdktf.json'), path.join(work, 'cdktf.json'));
    cpSync(envDir, path.join(work, 'envs'), { recursive: true });
    const sub = path.join(work, 'docs', 'runbooks');
    mkdirSync(sub, { recursive: true });
    const result = spawnSync(process.execPath, [BIN, 'synth', '--env', one], { cwd: sub, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(readdirSync(path.join(work, 'cdktf.out', 'stacks')).every((s) => s.startsWith(`${one}-`))).toBe(true);
    expect(existsSync(path.join(sub, 'cdktf.out'))).toBe(false);
    expect(result.stdout).toContain(`into ${path.join(work, 'cdktf.out')}`);
  });

  test('GIVEN a folder outside any repository WHEN `platform synth` runs there THEN one line says to run it inside the repository', () => {
    const result = spawnSync(process.execPath, [BIN, 'synth'], { cwd: work, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`error: ${path.join(work, 'envs')}: no such folder, and no cdktf.json in ${work} or above — run platform inside the repository`);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });
});
