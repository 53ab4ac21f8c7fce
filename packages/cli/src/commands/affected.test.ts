import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { environmentNames, environmentOfTier } from '@platform/testing';
import { isMap, parseDocument } from 'yaml';
import { capture, cleanTemps, REPO_ROOT, runBin, tempDir } from '../../test/helpers';
import { UsageError } from '../errors';
import { type Runner } from '../lib/runner';
import { computeAffected, formatAffected, type AffectedReport } from './affected';
import { runPlan } from './plan';
import { runSynth } from './synth';

/**
 * The worktree flow end to end, with the real synth of this project: a temporary git repository
 * holding a snapshot of this working tree, commits that change environment files (data) or the
 * stack factory (code), and `affected` run from it.
 */
function sh(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' } }).trim();
}

function commitAll(repo: string, message: string): string {
  sh(repo, 'add', '-A');
  sh(repo, 'commit', '-q', '--no-verify', '-m', message);
  return sh(repo, 'rev-parse', 'HEAD');
}

function editYaml(file: string, edit: (doc: ReturnType<typeof parseDocument>) => void): void {
  const doc = parseDocument(readFileSync(file, 'utf8'));
  edit(doc);
  writeFileSync(file, doc.toString());
}

/** Environments from envs/: the first one (its file changes), another (renamed service), a production one (reformatted). */
const [A, B] = environmentNames();
const P = environmentOfTier('production');

const VERSION_LINE = /REQUIRED_TERRAFORM_VERSION = '[^']*'/;

describe('platform affected (temporary git repository, real synth)', () => {
  let repo: string;
  let oldCode: string;
  let snapshot: string;
  let envChange: string;

  beforeAll(() => {
    repo = path.join(tempDir('platform-affected-repo-'), 'repo');
    // The working tree as it is now (tracked and untracked, not ignored): base and head then run the same code.
    const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: REPO_ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
    for (const file of files) {
      if (!existsSync(path.join(REPO_ROOT, file))) continue; // deleted but still tracked
      mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
      cpSync(path.join(REPO_ROOT, file), path.join(repo, file));
    }
    sh(repo, 'init', '-q', '-b', 'main');

    // Commit 1, "old code": the stack factory required another Terraform version.
    const factory = path.join(repo, 'packages/stack-factory/src/environment-stack.ts');
    const original = readFileSync(factory, 'utf8');
    expect(original).toMatch(VERSION_LINE);
    writeFileSync(factory, original.replace(VERSION_LINE, "REQUIRED_TERRAFORM_VERSION = '>= 1.9.0'"));
    oldCode = commitAll(repo, 'old code');
    // Commit 2: today's code.
    writeFileSync(factory, original);
    snapshot = commitAll(repo, 'snapshot');
    // Commit 3: A's log retention changes; P's file is only reformatted (same data).
    editYaml(path.join(repo, `envs/${A}.yaml`), (doc) => doc.setIn(['logs', 'retentionDays'], doc.getIn(['logs', 'retentionDays']) === 7 ? 14 : 7));
    editYaml(path.join(repo, `envs/${P}.yaml`), (doc) => {
      if (isMap(doc.contents)) doc.contents.items.reverse();
      doc.commentBefore = `${doc.commentBefore ?? ''}\n reformatted: keys in another order`;
    });
    envChange = commitAll(repo, 'dev log retention');
  });

  afterAll(cleanTemps);

  test('GIVEN a commit that changes one environment file WHEN compared with its parent THEN only that environment is affected', async () => {
    const report = await computeAffected({ base: snapshot, cwd: repo });

    expect(report.baseCommit).toBe(snapshot);
    expect(report.affected).toContain(`${A}-services`);
    expect(report.affected.filter((s) => !s.startsWith(`${A}-`))).toEqual([]);
    const dev = report.stacks.find((s) => s.stack === `${A}-services`)!;
    expect(dev).toMatchObject({ status: 'changed', environment: A, added: [], removed: [] });
    expect(dev.changed.some((a) => a.startsWith('aws_cloudwatch_log_group.'))).toBe(true);
    // P's file was reordered and re-commented: the synthesized Terraform means the same.
    expect(report.stacks.filter((s) => s.stack.startsWith(`${P}-`)).every((s) => s.status === 'unchanged')).toBe(true);
    expect(report.environments).toEqual({ [A]: report.affected });
    expect(report.refactors).toEqual([]);
  });

  test('GIVEN an uncommitted rename of a service WHEN compared with HEAD THEN the working tree is the head, and the destroy-and-recreate is flagged with the moved-block fix', async () => {
    const staging = path.join(repo, `envs/${B}.yaml`);
    const before = readFileSync(staging, 'utf8');
    try {
      editYaml(staging, (doc) => doc.setIn(['services', 0, 'name'], 'renamed'));
      const report = await computeAffected({ base: 'HEAD', cwd: repo });

      expect(report.baseCommit).toBe(envChange);
      expect(report.affected).toContain(`${B}-services`);
      expect(report.affected.filter((s) => !s.startsWith(`${B}-`))).toEqual([]);
      const refactors = report.refactors.filter((r) => r.stack === `${B}-services`);
      expect(refactors.map((r) => r.type)).toEqual(expect.arrayContaining(['aws_ecr_repository', 'aws_iam_role', 'aws_cloudwatch_log_group']));
      for (const r of refactors) {
        expect(r.removed.length).toBeGreaterThan(0);
        expect(r.added.length).toBeGreaterThan(0);
        expect(r.message).toMatch(/Terraform will destroy and recreate\. If this renames or moves a construct, add a moved block.*moveFromId/);
      }
      const text = formatAffected(report).join('\n');
      expect(text).toMatch(new RegExp(`^warning: ${B}-services: aws_ecr_repository\\.\\S+ disappears while aws_ecr_repository\\.renamed_\\S+ appears — Terraform will destroy and recreate$`, 'm'));
      expect(text.match(/add a moved block/g)).toHaveLength(1);
    } finally {
      writeFileSync(staging, before);
    }
  });

  test('GIVEN a base commit with other code WHEN compared THEN the base is synthesized with its own code (every stack differs in required_version)', async () => {
    const report = await computeAffected({ base: oldCode, cwd: repo });
    expect(report.stacks.length).toBeGreaterThan(0);
    for (const s of report.stacks) {
      expect(s).toMatchObject({ status: 'changed' });
      expect(s.changed).toContain('terraform.required_version');
    }
  });

  test('GIVEN `platform affected --json` in the repository THEN it prints the report as JSON, exit 0, leaving no cdktf.out, worktree or change behind', async () => {
    const result = await runBin(['affected', '--base', snapshot, '--json'], { cwd: repo });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as AffectedReport;
    expect(report.affected).toContain(`${A}-services`);
    expect(existsSync(path.join(repo, 'cdktf.out'))).toBe(false);
    expect(sh(repo, 'worktree', 'list', '--porcelain').match(/^worktree /gm)).toHaveLength(1);
    expect(sh(repo, 'status', '--porcelain')).toBe('');
  });

  test('GIVEN `plan --affected --base` THEN only the affected stacks of cdktf.out are planned (scripted engine: these stacks need AWS)', async () => {
    const outdir = path.join(tempDir(), 'cdktf.out');
    expect(runSynth({ outdir, envDir: path.join(repo, 'envs'), quiet: true })).toBe(0);
    const planned = new Set<string>();
    const runner: Runner = async (_command, args, options) => {
      planned.add(path.basename(options.cwd));
      if (args[0] === 'show') writeFileSync(options.stdoutFile!, JSON.stringify({ format_version: '1.2', resource_changes: [] }));
      return { code: args[0] === 'plan' ? 2 : 0, output: '' };
    };
    const out = capture();
    const env = { ...process.env, TERRAFORM_BINARY_NAME: process.execPath }; // any executable: the runner is scripted

    const code = await runPlan({ affected: true, base: snapshot, cwd: repo, outdir, runner, env, progress: 'plain', write: out.write, writeErr: () => undefined });

    expect(code).toBe(2);
    expect(planned.has(`${A}-services`)).toBe(true);
    expect([...planned].filter((s) => !s.startsWith(`${A}-`))).toEqual([]);
    expect(out.text()).toMatch(new RegExp(`^${A}-services\\s+changes`, 'm'));

    const none = capture();
    expect(await runPlan({ affected: true, base: 'HEAD', cwd: repo, outdir, runner, env, write: none.write })).toBe(0);
    expect(none.text()).toBe('no stack differs from HEAD: nothing to plan');
  });

  test('GIVEN a ref that is not a commit THEN a UsageError names --base and the value', async () => {
    await expect(computeAffected({ base: 'no-such-branch', cwd: repo })).rejects.toThrow(UsageError);
    await expect(computeAffected({ base: 'no-such-branch', cwd: repo })).rejects.toThrow(/--base "no-such-branch": not a commit/);
  });

  test('GIVEN a folder outside any git repository THEN a UsageError says affected needs one', async () => {
    await expect(computeAffected({ base: 'main', cwd: tempDir() })).rejects.toThrow(/not inside a git repository/);
  });
});
