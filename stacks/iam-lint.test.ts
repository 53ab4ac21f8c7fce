// @tier integration — runs parliament and cloudsplaining from .tools/venv (Python).
import { prPlanRisks, lintPolicies, runIamLint, type IamLintReport } from '../scripts/iam-lint';

/**
 * IAM checked by the field's tools (scripts/iam-lint.ts): parliament over every synthesized policy
 * document of the whole app, cloudsplaining over every CI role. Real linters from .tools/venv.
 */
describe('IAM linters over the whole synthesized app', () => {
  let report: IamLintReport;
  beforeAll(() => {
    report = runIamLint();
  }, 120_000);

  test('GIVEN every policy document WHEN parliament reads it THEN there is no finding outside the written ignores, and no ignore is stale or unexplained', () => {
    expect(report.policies).toBeGreaterThan(0);
    expect(report.findings).toEqual([]);
    expect(report.badIgnores).toEqual([]);
    for (const ignored of report.ignored) expect(ignored.reason.length).toBeGreaterThanOrEqual(20);
  });

  test('GIVEN the pr-plan roles WHEN cloudsplaining flags every risky action (even ARN-scoped) THEN none can escalate privileges, expose resources or expose credentials', () => {
    const prPlan = report.roles.filter((r) => r.role.endsWith('-pr-plan'));
    expect(prPlan.length).toBeGreaterThan(0);
    expect(prPlanRisks(report)).toEqual([]);
    // What it may read of data: only its own state objects (s3:GetObject), nothing else.
    for (const r of prPlan) expect(r.dataExfiltration).toEqual(['s3:GetObject']);
  });

  test('GIVEN every CI role THEN cloudsplaining finds no privilege escalation path, and no credentials exposure; only the apply roles expose resources (IAM role management within the boundary)', () => {
    expect(report.roles.length).toBeGreaterThan(0);
    for (const r of report.roles) {
      expect({ role: r.role, escalation: r.privilegeEscalation, credentials: r.credentialsExposure }).toEqual({ role: r.role, escalation: [], credentials: [] });
      if (!r.role.endsWith('-apply')) expect({ role: r.role, exposure: r.resourceExposure }).toEqual({ role: r.role, exposure: [] });
      else for (const a of r.resourceExposure) expect(a).toMatch(/^(iam:(CreateRole|PutRolePermissionsBoundary|PutRolePolicy|DeleteRole|DeleteRolePolicy|UpdateAssumeRolePolicy|UpdateRole|UpdateRoleDescription)|kms:(CreateGrant|RetireGrant))$/);
    }
  });

  test('GIVEN a deliberately bad policy and role THEN both linters report them (so the checks above are real)', () => {
    const out = lintPolicies({
      policies: [{ name: 'probe', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ecr:NoSuchAction', Resource: 'arn:aws:s3:::bucket/*' }] } }],
      roles: [{ name: 'probe-pr-plan', policies: [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['iam:PassRole', 'ec2:RunInstances', 'sts:AssumeRole'], Resource: 'arn:aws:iam::123456789012:role/x' }] }] }],
    });
    expect(out.parliament.map((f) => f.issue)).toContain('UNKNOWN_ACTION');
    expect(out.cloudsplaining[0]!.privilegeEscalation.length).toBeGreaterThan(0);
    expect(out.cloudsplaining[0]!.resourceExposure).toContain('iam:PassRole');
  });
});
