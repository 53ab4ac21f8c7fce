import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadEnvironments, type EnvironmentConfig } from '@platform/config';
import { CI_ROLE_PURPOSES, ciRoleName } from '@platform/naming';
import { generatedEnvironmentName, repoRoot, synthJson, writeGeneratedEnvironment } from '@platform/testing';
import { githubSubject } from '@platform/ci-identity-module';
import { rolesOf, trustSubjects, type IamStatement, type SynthesizedRole } from '@platform/ci-identity-module/test/synthesized-policies';
import { App, TerraformStack } from 'cdktf';
import { definePlatform } from './app';
import { BootstrapStack, bootstrapTargets } from './bootstrap-stack';
import { ServicesStack } from './services-stack';

/**
 * Properties of every IAM role the whole app synthesizes (all environments of envs/, plus a generated
 * environment with a made-up name in its own account), read from the synthesized JSON:
 * - no trust policy admits a wildcard or several subjects;
 * - a role a pull request can assume writes nothing but its own lock entries, cannot assume another
 *   role, reads no secret, and is trusted by nothing but the pull_request subject.
 */

const GITHUB_SUB = 'token.actions.githubusercontent.com:sub';
const READ_ONLY = /^[a-z0-9-]+:(Get|List|Describe|BatchGet|Query|Scan)[A-Za-z]*$/;

/** The real environments plus one generated from a copy of the first, with a made-up name, account and bucket. */
function environments(): { envs: EnvironmentConfig[]; generated: string } {
  const work = mkdtempSync(path.join(tmpdir(), 'ci-identity-envs-'));
  try {
    const dir = path.join(work, 'envs');
    cpSync(path.join(repoRoot, 'envs'), dir, { recursive: true });
    const generated = generatedEnvironmentName('ci-identity');
    writeGeneratedEnvironment(dir, generated);
    return { envs: loadEnvironments(dir, { root: work }), generated };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const { envs, generated } = environments();
const app = new App();
// The whole platform for envs/; the generated environment gets every stack but the platform stack,
// which refuses an environment without charts/service/values-<env>.yaml in the repository.
definePlatform(app, envs.filter((e) => e.name !== generated));
const fourth = envs.find((e) => e.name === generated)!;
new ServicesStack(app, fourth);
for (const target of bootstrapTargets([fourth])) new BootstrapStack(app, target);
const roles: SynthesizedRole[] = app.node.children
  .filter((c): c is TerraformStack => c instanceof TerraformStack)
  .flatMap((stack) => rolesOf(stack.node.id, synthJson(stack), false));
const trustStatements = roles.flatMap((r) => r.trust.Statement.map((s) => ({ role: r, statement: s })));
const isPullRequestTrusted = (r: SynthesizedRole) =>
  r.trust.Statement.some((s) => trustSubjects(s).some((c) => c.values.some((v) => v.endsWith(':pull_request'))));
const allows = (r: SynthesizedRole): IamStatement[] => r.permissions.flatMap((p) => p.Statement).filter((s) => s.Effect === 'Allow');

describe('IAM properties of the whole synthesized app', () => {
  test('GIVEN envs/ and a generated environment THEN every environment has its five CI roles', () => {
    expect(envs.map((e) => e.name)).toContain(generated);
    const names = new Set(roles.map((r) => r.name));
    for (const env of envs) for (const purpose of CI_ROLE_PURPOSES) expect(names).toContain(ciRoleName(env.name, purpose));
  });

  test('GIVEN every trust policy THEN no subject is a wildcard, uses a pattern operator, or is one of several', () => {
    expect(trustStatements.length).toBeGreaterThan(0);
    for (const { role, statement } of trustStatements) {
      if (!(statement.Action ?? []).includes('sts:AssumeRoleWithWebIdentity')) continue;
      const subs = trustSubjects(statement);
      expect({ role: role.name, subs: subs.length }).toEqual({ role: role.name, subs: 1 });
      expect({ role: role.name, operator: subs[0]!.operator, count: subs[0]!.values.length }).toEqual({ role: role.name, operator: 'StringEquals', count: 1 });
      expect({ role: role.name, sub: subs[0]!.values[0] }).toEqual({ role: role.name, sub: expect.not.stringMatching(/[*?]/) });
      const aud = Object.entries(statement.Condition ?? {}).flatMap(([op, vars]) => Object.entries(vars).filter(([v]) => v.endsWith(':aud')).map(([, values]) => [op, values]));
      expect({ role: role.name, aud }).toEqual({ role: role.name, aud: [['StringEquals', ['sts.amazonaws.com']]] });
    }
  });

  test('GIVEN the GitHub-trusted roles THEN exactly the pr-plan roles are trusted by pull requests, and every other one by a deployment environment', () => {
    const github = roles.filter((r) => r.trust.Statement.some((s) => Object.values(s.Condition ?? {}).some((vars) => GITHUB_SUB in vars)));
    expect(github.filter(isPullRequestTrusted).map((r) => r.name).sort()).toEqual(envs.map((e) => ciRoleName(e.name, 'pr-plan')).sort());
    for (const r of github.filter((x) => !isPullRequestTrusted(x))) {
      expect(trustSubjects(r.trust.Statement[0]!)[0]!.values[0]).toMatch(/^repo:[^:]+:environment:[a-z0-9-]+$/);
    }
  });

  test('GIVEN every GitHub-trusted role THEN it is a CI role of one environment and purpose, trusting exactly that purpose\'s subject of that environment', () => {
    const github = roles.filter((r) => r.trust.Statement.some((s) => Object.values(s.Condition ?? {}).some((vars) => GITHUB_SUB in vars)));
    const expected = new Map(
      envs.flatMap((e) => CI_ROLE_PURPOSES.map((p) => [ciRoleName(e.name, p), githubSubject(e.github.repository, e.name, p)] as const)),
    );
    expect(github.map((r) => r.name).sort()).toEqual([...expected.keys()].sort());
    for (const r of github) {
      expect({ role: r.name, statements: r.trust.Statement.length, sub: trustSubjects(r.trust.Statement[0]!)[0]!.values }).toEqual({
        role: r.name,
        statements: 1,
        sub: [expected.get(r.name)],
      });
    }
  });

  describe.each(envs.map((e) => [ciRoleName(e.name, 'pr-plan'), e] as const))('GIVEN %s (trusted by pull requests)', (name, env) => {
    const role = roles.find((r) => r.name === name)!;

    test('THEN its trust has one statement: the GitHub OIDC provider, no AWS or service principal', () => {
      expect(role.trust.Statement).toHaveLength(1);
      expect(Object.keys(role.trust.Statement[0]!.Principal ?? {})).toEqual(['Federated']);
      expect(role.trust.Statement[0]!.Action).toEqual(['sts:AssumeRoleWithWebIdentity']);
    });

    test('THEN every allowed action outside reads is one of its own lock entries', () => {
      const bucket = env.state.bucket;
      for (const s of allows(role)) {
        expect({ sid: s.Sid, NotAction: s.NotAction, NotResource: s.NotResource }).toEqual({ sid: s.Sid, NotAction: undefined, NotResource: undefined });
        const writes = (s.Action ?? []).filter((a) => !READ_ONLY.test(a) && a !== 'kms:Decrypt');
        if (writes.length === 0) continue;
        const s3Lock = writes.every((a) => a === 's3:PutObject' || a === 's3:DeleteObject') &&
          (s.Resource ?? []).every((r) => r === `arn:aws:s3:::${bucket}/${env.name}/*.tflock`);
        const leading = s.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'] ?? [];
        const tableLock = writes.every((a) => a === 'dynamodb:PutItem' || a === 'dynamodb:DeleteItem') &&
          leading.length > 0 && leading.every((k) => k === `${bucket}/${env.name}/*.tfstate`) &&
          Object.keys(s.Condition ?? {}).length === 1;
        // The state key may encrypt lock-table items, through DynamoDB and nothing else.
        const via = s.Condition?.StringEquals?.['kms:ViaService'] ?? [];
        const lockItemKey = writes.every((a) => a === 'kms:Encrypt' || a === 'kms:GenerateDataKey') &&
          (s.Resource ?? []).every((r) => /^\$\{aws_kms_key\.StateBackend_Key_/.test(r)) &&
          via.length > 0 && via.every((v) => /^dynamodb\.[a-z0-9-]+\.amazonaws\.com$/.test(v)) && Object.keys(s.Condition ?? {}).length === 1;
        expect({ sid: s.Sid, writes, ownLockEntry: s3Lock || tableLock || lockItemKey }).toEqual({ sid: s.Sid, writes, ownLockEntry: true });
      }
    });

    test('THEN it can assume no role (nothing allowed, chaining denied) and reads no secret value', () => {
      const actions = allows(role).flatMap((s) => s.Action ?? []);
      expect(actions.filter((a) => /^sts:|^iam:PassRole$|^secretsmanager:|^ssm:GetParameter/.test(a))).toEqual([]);
      expect(actions.filter((a) => a.includes('*'))).toEqual([]);
      const denied = role.permissions.flatMap((p) => p.Statement).filter((s) => s.Effect === 'Deny').flatMap((s) => s.Action ?? []);
      expect(denied).toEqual(expect.arrayContaining(['sts:AssumeRole', 'sts:AssumeRoleWithWebIdentity', 'secretsmanager:GetSecretValue', 'ssm:GetParameter', 'kms:Decrypt']));
    });

    test('THEN no role anywhere trusts it (or anything that would admit it: an account root or "*")', () => {
      for (const { role: other, statement } of trustStatements) {
        const principal = statement.Principal;
        const aws = principal === '*' ? ['*'] : (principal?.AWS ?? []);
        expect({ role: other.name, aws: aws.filter((p) => p === '*' || p.endsWith(':root') || p.includes(name)) }).toEqual({ role: other.name, aws: [] });
      }
    });
  });
});
