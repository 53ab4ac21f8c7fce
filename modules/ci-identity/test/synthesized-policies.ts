/**
 * Reads the IAM policies out of synthesized stacks (cdk.tf.json): every `aws_iam_policy_document`
 * data source, rendered to the IAM JSON AWS evaluates, and every role with its trust and inline
 * permission documents. Shared by the property tests and `scripts/iam-lint.ts` (parliament, cloudsplaining).
 */

/** A synthesized stack, as far as IAM is concerned. */
export interface SynthesizedStack {
  readonly resource?: Record<string, Record<string, Record<string, unknown>>>;
  readonly data?: Record<string, Record<string, Record<string, unknown>>>;
}

/** One IAM statement in AWS's JSON form. */
export interface IamStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string[];
  NotAction?: string[];
  Resource?: string[];
  NotResource?: string[];
  Principal?: Record<string, string[]> | '*';
  Condition?: Record<string, Record<string, string[]>>;
}
export interface IamPolicy {
  Version: '2012-10-17';
  Statement: IamStatement[];
}

/** A role of a stack: its name, trust policy and inline permission policies (rendered). */
export interface SynthesizedRole {
  readonly stack: string;
  readonly address: string;
  readonly name: string;
  readonly trust: IamPolicy;
  readonly permissions: IamPolicy[];
  /** ARN of the permissions boundary, as synthesized (a literal or a reference). */
  readonly permissionsBoundary?: string;
}

type Block = Record<string, unknown>;
const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

/** Placeholder ARNs for references that are only known at apply time, so linters see well-formed ARNs. */
const PLACEHOLDERS: ReadonlyArray<[RegExp, string]> = [
  [/\$\{aws_kms_key\.[\w-]+\.arn\}/g, 'arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-4000-8000-000000000000'],
  [/\$\{(data\.)?aws_iam_openid_connect_provider\.[\w-]+\.arn\}/g, 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com'],
  [/\$\{aws_s3_bucket\.[\w-]+\.arn\}/g, 'arn:aws:s3:::placeholder-bucket'],
  [/\$\{aws_iam_role\.[\w-]+\.arn\}/g, 'arn:aws:iam::123456789012:role/placeholder'],
  [/\$\{data\.aws_partition\.[\w-]+\.partition\}/g, 'aws'],
  [/\$\{data\.aws_caller_identity\.[\w-]+\.account_id\}/g, '123456789012'],
];

/** Replaces apply-time references with placeholders; throws on one it does not know (add it above). */
export function withPlaceholders(value: string): string {
  let out = value;
  for (const [pattern, replacement] of PLACEHOLDERS) out = out.replace(pattern, replacement);
  const unknown = out.match(/\$\{[^}]+\}/);
  if (unknown) throw new Error(`no placeholder for the reference ${unknown[0]} in an IAM policy — add one to PLACEHOLDERS`);
  return out;
}

/** An `aws_iam_policy_document` data source body → the IAM JSON it produces. */
export function renderPolicyDocument(body: Block, placeholders = true): IamPolicy {
  const fix = (v: string) => (placeholders ? withPlaceholders(v) : v);
  const statements = (body.statement ?? []) as Block[];
  return {
    Version: '2012-10-17',
    Statement: statements.map((s) => {
      const out: IamStatement = { Effect: s.effect === 'Deny' ? 'Deny' : 'Allow' };
      if (s.sid !== undefined) out.Sid = String(s.sid);
      if (s.actions !== undefined) out.Action = list(s.actions);
      if (s.not_actions !== undefined) out.NotAction = list(s.not_actions);
      if (s.resources !== undefined) out.Resource = list(s.resources).map(fix);
      if (s.not_resources !== undefined) out.NotResource = list(s.not_resources).map(fix);
      const principals = (s.principals ?? []) as Block[];
      if (principals.some((p) => p.type === '*')) out.Principal = '*';
      else if (principals.length > 0) {
        const byType: Record<string, string[]> = {};
        for (const p of principals) (byType[String(p.type)] ??= []).push(...list(p.identifiers).map(fix));
        out.Principal = byType;
      }
      const conditions = (s.condition ?? []) as Block[];
      if (conditions.length > 0) {
        out.Condition = {};
        for (const c of conditions) {
          const test = (out.Condition[String(c.test)] ??= {});
          test[String(c.variable)] = [...(test[String(c.variable)] ?? []), ...list(c.values).map(fix)];
        }
      }
      return out;
    }),
  };
}

const DOC_REF = /^\$\{data\.aws_iam_policy_document\.([\w-]+)\.json\}$/;
const ROLE_REF = /^\$\{aws_iam_role\.([\w-]+)\.(name|id)\}$/;

/**
 * The policy as the data source's `json` attribute writes it: single-element lists collapse to a
 * string (Action, Resource, condition values), `Principal: "*"` stays a string. What linters expect.
 */
export function asProviderJson(policy: IamPolicy): unknown {
  const one = (v: string[]) => (v.length === 1 ? v[0] : v);
  return {
    Version: policy.Version,
    Statement: policy.Statement.map((s) => {
      const out: Record<string, unknown> = {};
      if (s.Sid !== undefined) out.Sid = s.Sid;
      out.Effect = s.Effect;
      for (const key of ['Action', 'NotAction', 'Resource', 'NotResource'] as const) if (s[key]) out[key] = one(s[key]!);
      if (s.Principal !== undefined) out.Principal = s.Principal === '*' ? '*' : Object.fromEntries(Object.entries(s.Principal).map(([k, v]) => [k, one(v)]));
      if (s.Condition) {
        out.Condition = Object.fromEntries(
          Object.entries(s.Condition).map(([op, vars]) => [op, Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, one(v)]))]),
        );
      }
      return out;
    }),
  };
}

/** Every `aws_iam_policy_document` of a stack, rendered, by logical id. */
export function policyDocumentsOf(json: SynthesizedStack, placeholders = true): Map<string, IamPolicy> {
  const docs = new Map<string, IamPolicy>();
  for (const [id, body] of Object.entries(json.data?.aws_iam_policy_document ?? {})) docs.set(id, renderPolicyDocument(body, placeholders));
  return docs;
}

/** Every role of a stack with its trust and inline permission documents (literal JSON policies are parsed too). */
export function rolesOf(stack: string, json: SynthesizedStack, placeholders = true): SynthesizedRole[] {
  const docs = policyDocumentsOf(json, placeholders);
  const resolve = (policy: unknown, where: string): IamPolicy => {
    const text = String(policy);
    const ref = DOC_REF.exec(text);
    if (ref) {
      const doc = docs.get(ref[1]!);
      if (!doc) throw new Error(`${where}: refers to a missing policy document ${ref[1]}`);
      return doc;
    }
    if (text.includes('${')) throw new Error(`${where}: a policy that is neither a policy document nor literal JSON: ${text}`);
    const parsed = JSON.parse(text) as { Statement: IamStatement | IamStatement[] };
    const statements = Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement];
    const norm = (v: unknown) => (v === undefined ? undefined : list(v));
    return {
      Version: '2012-10-17',
      Statement: statements.map((s) => ({ ...s, Action: norm(s.Action), Resource: norm(s.Resource) }) as IamStatement),
    };
  };
  const inline = new Map<string, IamPolicy[]>();
  for (const [id, body] of Object.entries(json.resource?.aws_iam_role_policy ?? {})) {
    const role = ROLE_REF.exec(String(body.role));
    if (!role) throw new Error(`${stack}: aws_iam_role_policy.${id} names its role ${String(body.role)}, not by reference`);
    inline.set(role[1]!, [...(inline.get(role[1]!) ?? []), resolve(body.policy, `${stack}: aws_iam_role_policy.${id}`)]);
  }
  return Object.entries(json.resource?.aws_iam_role ?? {}).map(([id, body]) => ({
    stack,
    address: `aws_iam_role.${id}`,
    name: String(body.name),
    trust: resolve(body.assume_role_policy, `${stack}: aws_iam_role.${id}`),
    permissions: inline.get(id) ?? [],
    ...(body.permissions_boundary !== undefined ? { permissionsBoundary: String(body.permissions_boundary) } : {}),
  }));
}

/** The subjects (`…:sub` values) a trust statement requires, with the condition operator. */
export function trustSubjects(statement: IamStatement): Array<{ operator: string; values: string[] }> {
  return Object.entries(statement.Condition ?? {}).flatMap(([operator, vars]) =>
    Object.entries(vars)
      .filter(([variable]) => variable.endsWith(':sub'))
      .map(([, values]) => ({ operator, values })),
  );
}
