import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { isMap, parseDocument } from 'yaml';
import { capture, cleanTemps, REPO_ROOT, runBin, tempDir } from '../../test/helpers';
import { UsageError } from '../errors';
import { type Runner } from '../lib/runner';
import { computeAffected, countBlocks, formatAffected, formatCounts, withSharedInputs, type AffectedReport } from './affected';
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

const VERSION_LINE = /REQUIRED_TERRAFORM_VERSION = '[^']*'/;

/** The repository's environments, from envs/ (never named in this test): the first three, sorted. */
const ENV_NAMES = readdirSync(path.join(REPO_ROOT, 'envs'))
  .filter((f) => /^[a-z][a-z0-9]*\.yaml$/.test(f))
  .map((f) => f.replace(/\.yaml$/, ''))
  .sort();
const [changedEnv, reformattedEnv, renamedEnv] = [ENV_NAMES[0]!, ENV_NAMES[ENV_NAMES.length - 1]!, ENV_NAMES[1] ?? ENV_NAMES[0]!];

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
    // Commit 3: one environment's log retention changes; another's file is only reformatted (same data).
    editYaml(path.join(repo, `envs/${changedEnv}.yaml`), (doc) => doc.setIn(['logs', 'retentionDays'], doc.getIn(['logs', 'retentionDays']) === 7 ? 14 : 7));
    editYaml(path.join(repo, `envs/${reformattedEnv}.yaml`), (doc) => {
      if (isMap(doc.contents)) doc.contents.items.reverse();
      doc.commentBefore = `${doc.commentBefore ?? ''}\n reformatted: keys in another order`;
    });
    envChange = commitAll(repo, 'log retention of one environment');
  });

  afterAll(cleanTemps);

  test('GIVEN a commit that changes one environment file WHEN compared with its parent THEN only that environment is affected', async () => {
    const report = await computeAffected({ base: snapshot, cwd: repo });

    expect(report.baseCommit).toBe(snapshot);
    expect(report.affected).toContain(`${changedEnv}-services`);
    expect(report.affected.filter((s) => !s.startsWith(`${changedEnv}-`))).toEqual([]);
    const services = report.stacks.find((s) => s.stack === `${changedEnv}-services`)!;
    expect(services).toMatchObject({ status: 'changed', environment: changedEnv, added: [], removed: [], objects: [] });
    expect(services.changed.some((a) => a.startsWith('aws_cloudwatch_log_group.'))).toBe(true);
    expect(services.counts.resources.changed).toBe(services.changed.length);
    // The other file was reordered and re-commented: synthesized (it changed), and the Terraform means the same.
    const reformatted = report.stacks.filter((s) => s.stack.startsWith(`${reformattedEnv}-`));
    expect(reformatted.length).toBeGreaterThan(0);
    expect(reformatted.every((s) => s.status === 'unchanged')).toBe(true);
    expect(report.environments).toEqual({ [changedEnv]: report.affected });
    expect(report.refactors).toEqual([]);
    // Only the two environment files changed: only they were synthesized, with the same code on both sides.
    expect(report.scope).toMatchObject({ mode: 'environments', environments: [changedEnv, reformattedEnv].sort() });
    expect(report.scope.unchangedEnvironments).toEqual(ENV_NAMES.filter((e) => e !== changedEnv && e !== reformattedEnv));
  });

  test('GIVEN an uncommitted rename of a service WHEN compared with HEAD THEN the working tree is the head, and the destroy-and-recreate is flagged with the moved-block fix', async () => {
    const file = path.join(repo, `envs/${renamedEnv}.yaml`);
    const before = readFileSync(file, 'utf8');
    try {
      editYaml(file, (doc) => doc.setIn(['services', 0, 'name'], 'renamed'));
      const report = await computeAffected({ base: 'HEAD', cwd: repo });

      expect(report.baseCommit).toBe(envChange);
      expect(report.affected).toContain(`${renamedEnv}-services`);
      expect(report.affected.filter((s) => !s.startsWith(`${renamedEnv}-`))).toEqual([]);
      const refactors = report.refactors.filter((r) => r.stack === `${renamedEnv}-services`);
      expect(refactors.map((r) => r.type)).toEqual(expect.arrayContaining(['aws_ecr_repository', 'aws_iam_role', 'aws_cloudwatch_log_group']));
      for (const r of refactors) {
        expect(r.removed.length).toBeGreaterThan(0);
        expect(r.added.length).toBeGreaterThan(0);
        expect(r.message).toMatch(/Terraform will destroy and recreate\. If this renames or moves a construct, add a moved block.*moveFromId/);
      }
      const text = formatAffected(report).join('\n');
      expect(text).toMatch(new RegExp(`^warning: ${renamedEnv}-services: aws_ecr_repository`, 'm'));
      expect(text).toMatch(/^warning: \S+-services: aws_ecr_repository\.\S+ disappears while aws_ecr_repository\.renamed_\S+ appears — Terraform will destroy and recreate$/m);
      expect(text.match(/add a moved block/g)).toHaveLength(1);
    } finally {
      writeFileSync(file, before);
    }
  });

  test('GIVEN an uncommitted image tag change and a new secret WHEN compared THEN the report lists the Kubernetes objects and fields, and the environment-only synth agrees with --full', async () => {
    const file = path.join(repo, `envs/${changedEnv}.yaml`);
    const before = readFileSync(file, 'utf8');
    try {
      const doc = parseDocument(before);
      const services = doc.toJS().services as Array<{ name: string; namespace?: string; imageTag?: string }>;
      const index = services.findIndex((svc) => svc.imageTag !== undefined);
      const svc = services[index]!;
      editYaml(file, (d) => {
        d.setIn(['services', index, 'imageTag'], `${svc.imageTag}-next`);
        d.setIn(['services', index, 'secrets'], [{ name: `${svc.name}-affected-api`, data: [{ secretKey: 'API_TOKEN', key: 'api', property: 'token' }] }]);
      });

      const fast = await computeAffected({ base: 'HEAD', cwd: repo });
      const full = await computeAffected({ base: 'HEAD', cwd: repo, full: true });

      expect(fast.scope.mode).toBe('environments');
      expect(full.scope.mode).toBe('full');
      expect(fast.affected).toEqual(full.affected);
      const changedOnly = (r: AffectedReport) => r.stacks.filter((x) => x.status !== 'unchanged');
      expect(changedOnly(fast)).toEqual(changedOnly(full));

      const platform = fast.stacks.find((x) => x.stack === `${changedEnv}-platform`)!;
      const app = `argocd/${svc.name}-${changedEnv}`;
      expect(platform.objects.map((o) => `${o.action} ${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`)).toEqual(
        expect.arrayContaining([`added ExternalSecret ${svc.namespace ?? svc.name}/${svc.name}-affected-api`, `changed Application ${app}`]),
      );
      const application = platform.objects.find((o) => o.kind === 'Application')!;
      expect(application.fields).toEqual(expect.arrayContaining([{ path: 'spec.source.helm.values.image.tag', old: svc.imageTag, new: `${svc.imageTag}-next` }]));

      const text = formatAffected(fast).join('\n');
      expect(text).toContain(`    Kubernetes objects (through Helm): `);
      expect(text).toContain(`      ~ Application ${app} (from ApplicationSet argocd/services)\n          spec.source.helm.values.image.tag: ${svc.imageTag} → ${svc.imageTag}-next`);
      expect(text).toMatch(new RegExp(`^  ${changedEnv}-platform\\s+resources: 1 changed\\n      ~ helm_release\\.`, 'm'));
    } finally {
      writeFileSync(file, before);
    }
  });

  test('GIVEN an uncommitted change to _base.yaml WHEN compared THEN every environment is synthesized (shared input), and each one that inherits the value is affected', async () => {
    const file = path.join(repo, 'envs/_base.yaml');
    const before = readFileSync(file, 'utf8');
    try {
      editYaml(file, (doc) => doc.setIn(['ecr', 'untaggedExpiryDays'], Number(doc.getIn(['ecr', 'untaggedExpiryDays'])) + 1));
      const report = await computeAffected({ base: 'HEAD', cwd: repo });
      expect(report.scope).toMatchObject({ mode: 'environments', environments: ENV_NAMES, unchangedEnvironments: [] });
      expect(report.scope.reason).toMatch(/including shared input \(envs\/_base\.yaml\)/);
      const inheriting = ENV_NAMES.filter((e) => parseDocument(readFileSync(path.join(repo, `envs/${e}.yaml`), 'utf8')).getIn(['ecr', 'untaggedExpiryDays']) === undefined);
      expect(inheriting.length).toBeGreaterThan(0);
      for (const e of inheriting) expect(report.affected).toContain(`${e}-services`);
    } finally {
      writeFileSync(file, before);
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
    expect(report.affected).toContain(`${changedEnv}-services`);
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
    expect(planned.has(`${changedEnv}-services`)).toBe(true);
    expect([...planned].filter((s) => !s.startsWith(`${changedEnv}-`))).toEqual([]);
    expect(out.text()).toMatch(new RegExp(`^${changedEnv}-services\\s+changes`, 'm'));

    const none = capture();
    expect(await runPlan({ affected: true, base: 'HEAD', cwd: repo, outdir, runner, env, write: none.write })).toBe(0);
    expect(none.text()).toBe('no stack differs from HEAD: nothing to plan');
  });

  test('GIVEN --env-dir naming another environment folder of the repository WHEN one of its files changes THEN that folder is compared with its base copy', async () => {
    const generated = path.join(repo, 'generated', 'envs');
    try {
      cpSync(path.join(repo, 'envs'), generated, { recursive: true });
      const base = commitAll(repo, 'a generated environment folder');
      editYaml(path.join(generated, `${renamedEnv}.yaml`), (doc) => doc.setIn(['logs', 'retentionDays'], 3));

      const report = await computeAffected({ base, cwd: repo, envDir: 'generated/envs' });

      expect(report.scope).toMatchObject({ mode: 'environments', environments: [renamedEnv] });
      expect(report.affected).toEqual([`${renamedEnv}-services`]);
      await expect(computeAffected({ base, cwd: repo, envDir: tempDir() })).rejects.toThrow(/--env-dir .*: is outside the repository/);
    } finally {
      sh(repo, 'reset', '-q', '--hard', envChange);
      sh(repo, 'clean', '-qfd');
    }
  });

  test('GIVEN block addresses WHEN counted THEN resources, data sources and outputs are counted apart', () => {
    const counts = countBlocks({
      added: ['aws_iam_role.a', 'aws_ecr_repository.b', 'data.aws_iam_policy_document.c', 'output.d', 'output.e'],
      removed: ['data.aws_caller_identity.f'],
      changed: ['aws_s3_bucket.g', 'terraform.required_version', 'provider.aws'],
    });
    expect(counts).toEqual({
      resources: { added: 2, removed: 0, changed: 1 },
      dataSources: { added: 1, removed: 1, changed: 0 },
      outputs: { added: 2, removed: 0, changed: 0 },
      other: { added: 0, removed: 0, changed: 2 },
    });
    expect(formatCounts(counts)).toBe('resources: 2 added, 1 changed; data sources: 1 added, 1 removed; outputs: 2 added; other blocks: 2 changed');
  });

  test('GIVEN environments sharing a state bucket or an account WHEN one changes THEN all that share with it (transitively) are synthesized; a value in _base.yaml selects all', () => {
    const dir = tempDir('platform-sharing-');
    const env = (account: string, bucket: string) => `aws:\n  accountId: "${account}"\nstate:\n  bucket: ${bucket}\n`;
    writeFileSync(path.join(dir, '_base.yaml'), 'tags:\n  team: platform\n');
    writeFileSync(path.join(dir, 'aone.yaml'), env('100000000001', 'bucket-shared-one'));
    writeFileSync(path.join(dir, 'atwo.yaml'), env('100000000002', 'bucket-shared-one'));
    writeFileSync(path.join(dir, 'athree.yaml'), env('100000000002', 'bucket-three'));
    writeFileSync(path.join(dir, 'afour.yaml'), env('100000000004', 'bucket-four'));
    const names = ['afour', 'aone', 'athree', 'atwo'];
    const folders = [{ dir, names }];

    expect(withSharedInputs(['aone'], folders, names)).toEqual(['aone', 'athree', 'atwo']);
    expect(withSharedInputs(['afour'], folders, names)).toEqual(['afour']);
    writeFileSync(path.join(dir, '_base.yaml'), 'state:\n  bucket: bucket-four\n');
    expect(withSharedInputs(['afour'], folders, names)).toEqual(names);
    writeFileSync(path.join(dir, 'afour.yaml'), 'aws: [unclosed');
    expect(withSharedInputs(['afour'], folders, names)).toEqual(names);
  });

  test('GIVEN a ref that is not a commit THEN a UsageError names --base and the value', async () => {
    await expect(computeAffected({ base: 'no-such-branch', cwd: repo })).rejects.toThrow(UsageError);
    await expect(computeAffected({ base: 'no-such-branch', cwd: repo })).rejects.toThrow(/--base "no-such-branch": not a commit/);
  });

  test('GIVEN a folder outside any git repository THEN a UsageError says affected needs one', async () => {
    await expect(computeAffected({ base: 'main', cwd: tempDir() })).rejects.toThrow(/not inside a git repository/);
  });
});
