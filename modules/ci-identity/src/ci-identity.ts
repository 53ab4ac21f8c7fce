import { DataAwsIamOpenidConnectProvider } from '@cdktf/provider-aws/lib/data-aws-iam-openid-connect-provider';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { IamOpenidConnectProvider } from '@cdktf/provider-aws/lib/iam-openid-connect-provider';
import { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { type Problem, validateProps } from '@platform/config';
import { CI_ROLE_PURPOSES, ciRoleName, workloadBoundaryPolicyName, type CiRolePurpose } from '@platform/naming';
import { Token } from 'cdktf';
import { Construct } from 'constructs';
import {
  boundaryStatements,
  GITHUB_OIDC_AUDIENCE,
  GITHUB_OIDC_HOST,
  githubSubject,
  permissionStatements,
} from './permissions';
import { DEFAULTS, propsSchema, type CiIdentityProps } from './props';

/** One CI role: its name, ARN and the one GitHub subject it trusts. */
export interface CiRole {
  readonly purpose: CiRolePurpose;
  readonly roleName: string;
  readonly roleArn: string;
  /** The exact `token.actions.githubusercontent.com:sub` the trust policy requires. */
  readonly subject: string;
}

/** Longest a CI session lasts: one plan or apply job (GitHub's default job timeout is 6 h; ours are ≤ 1 h). */
export const CI_SESSION_SECONDS = 3600;

/**
 * How CI reaches one account: the GitHub Actions OIDC provider and, for every environment in the
 * account, five roles (`CI_ROLE_PURPOSES`), each trusted by exactly one GitHub subject with
 * `StringEquals` on `sub` and `aud` — never a wildcard — and holding one inline policy of narrow
 * statements (see `permissionStatements`). Plus, per environment, the managed policy that bounds
 * every role the apply role may create.
 *
 * Applied by an administrator with the state bootstrap (stacks/bootstrap-stack.ts), never by CI: no
 * CI role can create or widen its own trust. No role here trusts another role; none may assume one.
 *
 * Construct ids: GitHubOidc/Resource (or GitHubOidc/Lookup), then per environment `<env>/<purpose>/`
 * {Resource, TrustPolicy, PermissionsDocument, Permissions} and `<env>/WorkloadBoundary/{Document, Resource}`.
 */
export class CiIdentity extends Construct {
  /** ARN of the account's GitHub OIDC provider (created or looked up). */
  public readonly oidcProviderArn: string;
  /** The CI roles, by environment then purpose. */
  public readonly roles: ReadonlyMap<string, Readonly<Record<CiRolePurpose, CiRole>>>;

  constructor(scope: Construct, id: string, props: CiIdentityProps) {
    super(scope, id);
    validate(props);
    const mode = props.oidcProvider ?? DEFAULTS.oidcProvider;
    const oidcScope = new Construct(this, 'GitHubOidc');
    const url = `https://${GITHUB_OIDC_HOST}`;
    this.oidcProviderArn =
      mode === 'create'
        ? new IamOpenidConnectProvider(oidcScope, 'Resource', { url, clientIdList: [GITHUB_OIDC_AUDIENCE] }).arn
        : new DataAwsIamOpenidConnectProvider(oidcScope, 'Lookup', { url }).arn;

    const roles = new Map<string, Record<CiRolePurpose, CiRole>>();
    for (const env of props.environments) {
      const envScope = new Construct(this, env.name);
      const boundaryScope = new Construct(envScope, 'WorkloadBoundary');
      const boundaryDoc = new DataAwsIamPolicyDocument(boundaryScope, 'Document', { statement: boundaryStatements(env) });
      new IamPolicy(boundaryScope, 'Resource', {
        name: workloadBoundaryPolicyName(env.name),
        description: `Permissions boundary of every role the ${env.name} CI apply role creates (workload and controller roles)`,
        policy: boundaryDoc.json,
      });

      const byPurpose = {} as Record<CiRolePurpose, CiRole>;
      for (const purpose of CI_ROLE_PURPOSES) {
        const roleScope = new Construct(envScope, purpose);
        const subject = githubSubject(props.repository, env.name, purpose);
        const trust = new DataAwsIamPolicyDocument(roleScope, 'TrustPolicy', {
          statement: [
            {
              sid: 'GitHubActionsExactSubject',
              effect: 'Allow',
              actions: ['sts:AssumeRoleWithWebIdentity'],
              principals: [{ type: 'Federated', identifiers: [this.oidcProviderArn] }],
              condition: [
                { test: 'StringEquals', variable: `${GITHUB_OIDC_HOST}:aud`, values: [GITHUB_OIDC_AUDIENCE] },
                { test: 'StringEquals', variable: `${GITHUB_OIDC_HOST}:sub`, values: [subject] },
              ],
            },
          ],
        });
        const name = ciRoleName(env.name, purpose);
        const role = new IamRole(roleScope, 'Resource', {
          name,
          description: `CI ${purpose} of ${env.name}: assumed only by GitHub Actions subject ${subject}`,
          assumeRolePolicy: trust.json,
          maxSessionDuration: CI_SESSION_SECONDS,
        });
        const permissions = new DataAwsIamPolicyDocument(roleScope, 'PermissionsDocument', {
          statement: permissionStatements(env, props.state, purpose),
        });
        new IamRolePolicy(roleScope, 'Permissions', { name: `ci-${purpose}`, role: role.name, policy: permissions.json });
        byPurpose[purpose] = { purpose, roleName: name, roleArn: role.arn, subject };
      }
      roles.set(env.name, byPurpose);
    }
    this.roles = roles;
  }
}

/** Checks every prop and throws one error listing every problem (unresolved tokens are not checked). */
function validate(props: CiIdentityProps): void {
  const label = `CiIdentity "${typeof props?.repository === 'string' ? props.repository : '?'}"`;
  const problems: Problem[] = [];
  const envs = Array.isArray(props?.environments) ? props.environments : [];
  const seen = new Set<string>();
  envs.forEach((env, i) => {
    if (seen.has(env?.name)) {
      problems.push({ source: label, field: `environments[${i}].name`, value: env.name, message: 'is listed twice — each environment has one set of CI roles' });
    }
    seen.add(env?.name);
  });
  const accounts = new Set(envs.map((e) => e?.accountId));
  if (accounts.size > 1) {
    problems.push({
      source: label,
      field: 'environments',
      value: [...accounts].join(', '),
      message: 'span several accounts — the roles of one CiIdentity live in one account (the state bucket\'s)',
    });
  }
  validateProps(label, propsSchema, props, problems, (v) => Token.isUnresolved(v));
}
