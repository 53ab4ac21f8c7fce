import { dataSources, resources } from '../json';
import { type Finding, type PolicyContext, type Rule } from '../types';

/**
 * Actions that AWS only grants on Resource "*": the documented exceptions to IAM-002.
 * Keep this list short; every entry needs a reason.
 */
export const WILDCARD_RESOURCE_ALLOW_LIST: Readonly<Record<string, string>> = {
  'ecr:GetAuthorizationToken': 'registry-wide token; the action has no resource-level permissions',
  'sts:GetCallerIdentity': 'identity check; the action has no resource-level permissions',
  'logs:DescribeLogGroups': 'AWS authorizes listing log groups only on "*"; it returns metadata (names, retention), never log events',
  'kms:ListAliases':
    'AWS authorizes listing aliases only on "*"; it returns alias names and key IDs, never key material or use of a key (the aws_kms_alias data source lists before it describes)',
};

interface Statement {
  readonly path: string;
  readonly effect: string;
  readonly actions: readonly string[];
  readonly resources?: readonly string[];
  readonly conditions: ReadonlyArray<{ test: string; variable: string; values: readonly string[] }>;
  readonly federated: readonly string[];
}

const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

/** Statements of every policy the project writes: policy-document data sources and literal JSON policies. */
export function statements(ctx: PolicyContext): Statement[] {
  const out: Statement[] = [];
  for (const doc of dataSources(ctx, 'aws_iam_policy_document')) {
    for (const s of (doc.body.statement ?? []) as Record<string, unknown>[]) {
      out.push({
        path: doc.path,
        effect: String(s.effect ?? 'Allow'),
        actions: list(s.actions),
        resources: s.resources === undefined ? undefined : list(s.resources),
        conditions: ((s.condition ?? []) as Record<string, unknown>[]).map((c) => ({ test: String(c.test), variable: String(c.variable), values: list(c.values) })),
        federated: ((s.principals ?? []) as Record<string, unknown>[]).filter((p) => p.type === 'Federated').flatMap((p) => list(p.identifiers)),
      });
    }
  }
  // Literal JSON policies (not built with the data source) are checked too.
  for (const r of resources(ctx, 'aws_iam_policy', 'aws_iam_role_policy', 'aws_iam_user_policy', 'aws_iam_group_policy', 'aws_s3_bucket_policy')) {
    const text = r.body.policy;
    if (typeof text !== 'string' || text.includes('${')) continue;
    let doc: { Statement?: unknown };
    try {
      doc = JSON.parse(text) as { Statement?: unknown };
    } catch {
      continue;
    }
    const docStatements = (Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : []) as Record<string, unknown>[];
    for (const s of docStatements) {
      out.push({ path: r.path, effect: String(s.Effect ?? 'Allow'), actions: list(s.Action), resources: s.Resource === undefined ? undefined : list(s.Resource), conditions: [], federated: [] });
    }
  }
  return out;
}

const isWildcardAction = (a: string) => a === '*' || /^[a-z0-9-]+:\*$/i.test(a);

export const iamActionRule: Rule = {
  id: 'IAM-001',
  rationale: 'Wildcard actions grant permissions nobody reviewed, including ones AWS adds later.',
  fix: 'List the specific actions the workload needs.',
  check(ctx) {
    return statements(ctx)
      .filter((s) => s.effect === 'Allow')
      .flatMap((s) => s.actions.filter(isWildcardAction).map((a) => ({ path: s.path, message: `Allow statement grants wildcard action "${a}"` })));
  },
};

export const iamResourceRule: Rule = {
  id: 'IAM-002',
  rationale: 'Resource "*" lets a role act on every resource of that kind in the account.',
  fix: `Scope resources to ARNs; only ${Object.keys(WILDCARD_RESOURCE_ALLOW_LIST).join(', ')} may use "*".`,
  check(ctx) {
    const findings: Finding[] = [];
    for (const s of statements(ctx)) {
      if (s.effect !== 'Allow' || !s.resources?.includes('*')) continue;
      const notAllowed = s.actions.filter((a) => !(a in WILDCARD_RESOURCE_ALLOW_LIST));
      if (notAllowed.length) findings.push({ path: s.path, message: `Allow statement uses Resource "*" for ${notAllowed.join(', ')}` });
    }
    return findings;
  },
};

/** GitHub Actions' OIDC issuer: its `sub` names a repository and a pull request or a deployment environment. */
const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';
/** An exact GitHub subject: no wildcard, no branch or tag (environments carry the branch protection). */
const GITHUB_SUBJECT = /^repo:[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}:(pull_request|environment:[A-Za-z0-9._-]{1,255})$/;
const SERVICE_ACCOUNT_SUBJECT = /^system:serviceaccount:[a-z0-9-]+:[a-z0-9-]+$/;

export const trustRule: Rule = {
  id: 'IAM-003',
  rationale: 'A web-identity trust without an exact subject lets any pod in the cluster (or any workflow of any branch) assume the role.',
  fix: 'Condition on StringEquals <issuer>:sub = system:serviceaccount:<namespace>:<name> (or, for GitHub Actions, repo:<org>/<repo>:pull_request | repo:<org>/<repo>:environment:<name>), one value, and <issuer>:aud = sts.amazonaws.com.',
  check(ctx) {
    const findings: Finding[] = [];
    for (const s of statements(ctx)) {
      if (s.effect !== 'Allow' || !s.actions.includes('sts:AssumeRoleWithWebIdentity')) continue;
      const sub = s.conditions.filter((c) => c.variable.endsWith(':sub'));
      const aud = s.conditions.filter((c) => c.variable.endsWith(':aud'));
      const github = sub.length === 1 && sub[0].variable.startsWith(`${GITHUB_OIDC_HOST}:`);
      const subject = github ? GITHUB_SUBJECT : SERVICE_ACCOUNT_SUBJECT;
      const exact = sub.length === 1 && sub[0].test === 'StringEquals' && sub[0].values.length === 1 && subject.test(sub[0].values[0]);
      if (!exact) {
        const what = github ? 'one GitHub subject (repo:<org>/<repo>:pull_request or repo:<org>/<repo>:environment:<name>)' : 'one service account';
        findings.push({ path: s.path, message: `web-identity trust is not scoped to exactly ${what} (sub: ${JSON.stringify(sub.flatMap((c) => c.values))})` });
      }
      if (!aud.some((c) => c.test === 'StringEquals' && c.values.length === 1 && c.values[0] === 'sts.amazonaws.com')) {
        findings.push({ path: s.path, message: 'web-identity trust does not require aud = sts.amazonaws.com' });
      }
    }
    return findings;
  },
};
