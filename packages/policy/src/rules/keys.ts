import { block, referencedData, refersTo, resources } from '../json';
import { type Finding, type PolicyContext, type ResourceRef, type Rule } from '../types';

/** A key-policy statement in one shape, whether it came from an aws_iam_policy_document or literal IAM JSON. */
interface Statement {
  readonly sid?: string;
  readonly effect?: string;
  readonly principals: ReadonlyArray<{ readonly type: string; readonly identifiers: readonly string[] }>;
  readonly actions: readonly string[];
  readonly condition: ReadonlyArray<{ readonly test: string; readonly variable: string; readonly values: readonly unknown[] }>;
}

const list = (v: unknown): string[] => (Array.isArray(v) ? (v as string[]) : typeof v === 'string' ? [v] : []);

/** The statements of a key's policy: from an aws_iam_policy_document, or literal JSON (`policy = "{…}"`). */
function keyStatements(ctx: PolicyContext, key: ResourceRef): Statement[] | undefined {
  const doc = referencedData(ctx, key.body.policy);
  if (doc) {
    return ((doc.body.statement ?? []) as Array<Record<string, unknown>>).map((s) => ({
      sid: s.sid as string | undefined,
      effect: (s.effect as string | undefined) ?? 'Allow',
      principals: ((s.principals ?? []) as Array<{ type: string; identifiers: string[] }>).map((p) => ({ type: p.type, identifiers: p.identifiers ?? [] })),
      actions: list(s.actions),
      condition: ((s.condition ?? []) as Array<{ test: string; variable: string; values: unknown[] }>).map((c) => ({ test: c.test, variable: c.variable, values: c.values ?? [] })),
    }));
  }
  if (typeof key.body.policy !== 'string' || !key.body.policy.trim().startsWith('{')) return undefined;
  let parsed: { Statement?: unknown };
  try {
    parsed = JSON.parse(key.body.policy) as { Statement?: unknown };
  } catch {
    return undefined;
  }
  const raw = Array.isArray(parsed.Statement) ? parsed.Statement : parsed.Statement ? [parsed.Statement] : [];
  return (raw as Array<Record<string, unknown>>).map((s) => ({
    sid: s.Sid as string | undefined,
    effect: s.Effect as string | undefined,
    principals: Object.entries((s.Principal ?? {}) as Record<string, unknown>).map(([type, ids]) => ({ type, identifiers: list(ids) })),
    actions: list(s.Action),
    condition: Object.entries((s.Condition ?? {}) as Record<string, Record<string, unknown>>).flatMap(([test, byVariable]) =>
      Object.entries(byVariable).map(([variable, values]) => ({ test, variable, values: Array.isArray(values) ? values : [values] })),
    ),
  }));
}

function principals(s: Statement, type: string): string[] {
  return s.principals.filter((p) => p.type === type).flatMap((p) => [...p.identifiers]);
}

function hasCondition(s: Statement, test: string, variable: string, value?: (v: string) => boolean): boolean {
  return s.condition.some((c) => c.test === test && c.variable === variable && (!value || c.values.some((v) => typeof v === 'string' && value(v))));
}

/** Keys of this stack a resource's attribute refers to. */
function keysUsedBy(ctx: PolicyContext, attribute: (r: ResourceRef) => unknown, type: string): Map<ResourceRef, ResourceRef[]> {
  const keys = resources(ctx, 'aws_kms_key');
  const users = new Map<ResourceRef, ResourceRef[]>();
  for (const r of resources(ctx, type)) {
    const key = keys.find((k) => refersTo(attribute(r), k.type, k.id));
    if (key) users.set(key, [...(users.get(key) ?? []), r]);
  }
  return users;
}

function isAccountRoot(arn: string): boolean {
  return /^arn:aws[a-z-]*:iam::\d{12}:root$/.test(arn);
}

export const keyAdminRule: Rule = {
  id: 'KMS-002',
  rationale: 'A key policy that does not let the account root administer the key can lock everyone out of it (AWS calls such a key unmanageable).',
  fix: 'Start every key policy with an "AccountAdministersKey" statement: principal arn:aws:iam::<account>:root, kms:*, resource "*" (EnvironmentKey does).',
  check(ctx) {
    const findings: Finding[] = [];
    for (const key of resources(ctx, 'aws_kms_key')) {
      const statements = keyStatements(ctx, key);
      if (!statements) continue;
      const admin = statements.some((s) => s.effect === 'Allow' && principals(s, 'AWS').some(isAccountRoot) && s.actions.includes('kms:*'));
      if (!admin) findings.push({ path: key.path, message: 'KMS key policy has no statement letting the account root administer the key (kms:*)' });
    }
    return findings;
  },
};

export const keyLogsRule: Rule = {
  id: 'KMS-003',
  rationale:
    'CloudWatch Logs refuses a key whose policy does not allow logs.<region>.amazonaws.com; allowing it without the encryption-context condition lets any log group in the region (any account) use the key.',
  fix: 'Allow Service logs.<region>.amazonaws.com with ArnLike kms:EncryptionContext:aws:logs:arn = arn:aws:logs:<region>:<account>:log-group:/platform/<env>/* (EnvironmentKey with logs: true).',
  check(ctx) {
    const findings: Finding[] = [];
    for (const [key, groups] of keysUsedBy(ctx, (r) => r.body.kms_key_id, 'aws_cloudwatch_log_group')) {
      const statements = keyStatements(ctx, key) ?? [];
      const logs = statements.filter((s) => s.effect === 'Allow' && principals(s, 'Service').some((p) => /^logs\.[a-z0-9-]+\.amazonaws\.com$/.test(p)));
      if (logs.length === 0) {
        findings.push({ path: key.path, message: `KMS key encrypts ${groups.length} log group(s) but its policy does not allow logs.<region>.amazonaws.com` });
        continue;
      }
      for (const s of logs) {
        if (!hasCondition(s, 'ArnLike', 'kms:EncryptionContext:aws:logs:arn', (v) => /^arn:aws[a-z-]*:logs:[a-z0-9-]+:\d{12}:log-group:.+/.test(v)) && !hasCondition(s, 'ArnEquals', 'kms:EncryptionContext:aws:logs:arn')) {
          findings.push({ path: key.path, message: `KMS key policy statement ${s.sid ?? '(no sid)'} allows CloudWatch Logs without a kms:EncryptionContext:aws:logs:arn condition naming this account's log groups` });
        }
      }
    }
    return findings;
  },
};

export const keyEcrRule: Rule = {
  id: 'KMS-004',
  rationale: 'ECR uses a customer-managed key through grants; a grant permission without kms:GrantIsForAWSResource and kms:ViaService lets any principal hand the key to anyone.',
  fix: 'Allow kms:CreateGrant with Bool kms:GrantIsForAWSResource = true and StringEquals kms:ViaService = ecr.<region>.amazonaws.com (EnvironmentKey with images: true).',
  check(ctx) {
    const findings: Finding[] = [];
    for (const [key] of keysUsedBy(ctx, (r) => block(r.body.encryption_configuration)?.kms_key, 'aws_ecr_repository')) {
      const statements = keyStatements(ctx, key) ?? [];
      const grants = statements.filter((s) => s.effect === 'Allow' && s.actions.includes('kms:CreateGrant'));
      const scoped = grants.some(
        (s) => hasCondition(s, 'Bool', 'kms:GrantIsForAWSResource', (v) => v === 'true') && hasCondition(s, 'StringEquals', 'kms:ViaService', (v) => /^ecr\.[a-z0-9-]+\.amazonaws\.com$/.test(v)),
      );
      if (!scoped) findings.push({ path: key.path, message: 'KMS key encrypts ECR repositories but its policy has no kms:CreateGrant statement limited to AWS resources through ECR (kms:GrantIsForAWSResource, kms:ViaService)' });
    }
    return findings;
  },
};
