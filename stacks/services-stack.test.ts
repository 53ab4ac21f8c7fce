import * as path from 'node:path';
import { loadEnvironments } from '@platform/config';
import { environmentFixture, environmentOfTier, expectFileSnapshot, expectNoStaleSnapshots, firstEnvironment, repoRoot, stackSnapshot, stackSnapshotFile, synthJson } from '@platform/testing';
import { App } from 'cdktf';
import { ServicesStack } from './services-stack';

const envs = loadEnvironments(path.join(repoRoot, 'envs'), { root: repoRoot });

describe('ServicesStack', () => {
  // One reviewed snapshot file per environment (stacks/__snapshots__/<env>-services.yaml, metadata
  // stripped): a PR that changes what a stack synthesizes shows the change there.
  test.each(envs.map((e) => [e.name, e] as const))('GIVEN envs/%s.yaml WHEN synthesized THEN it matches its reviewed snapshot file', (_name, env) => {
    const stack = new ServicesStack(new App(), env);
    expectFileSnapshot(stackSnapshot(synthJson(stack), stack.node.id), stackSnapshotFile(stack.node.id));
  });

  test('GIVEN envs/ WHEN the snapshot files are listed THEN each belongs to an environment (none left of a removed one)', () => {
    const files = envs.map((env) => stackSnapshotFile(new ServicesStack(new App(), env).node.id));
    expectNoStaleSnapshots(path.dirname(files[0]!), '-services.yaml', files);
  });

  test.each(envs.map((e) => [e.name, e] as const))('GIVEN envs/%s.yaml WHEN synthesized THEN there is one ECR/IAM/log group/DNS set per service', (_name, env) => {
    const json = synthJson(new ServicesStack(new App(), env));
    for (const type of ['aws_ecr_repository', 'aws_ecr_lifecycle_policy', 'aws_iam_role', 'aws_cloudwatch_log_group', 'aws_route53_record']) {
      expect(json).toHaveResourceCount(type, env.services.length);
    }
    for (const svc of env.services) {
      expect(json).toHaveResourceDeep('aws_route53_record', { name: svc.hostname, zone_id: env.dns.zoneId });
      expect(json).toHaveResourceDeep('aws_ecr_repository', { name: `${svc.name}-${env.name}` });
    }
  });

  test.each(envs.map((e) => [e.name, e] as const))(
    "GIVEN envs/%s.yaml WHEN synthesized THEN each service with secrets may read only <env>/<service>/* and the others have no policy",
    (_name, env) => {
      const json = synthJson(new ServicesStack(new App(), env));
      const withSecrets = env.services.filter((s) => (s.secrets ?? []).length > 0);
      expect(json).toHaveResourceCount('aws_iam_role_policy', withSecrets.length);
      const docs = Object.entries(json.data?.aws_iam_policy_document ?? {}) as Array<[string, { statement: Array<{ sid: string; resources?: string[] }> }]>;
      for (const svc of env.services) {
        const doc = docs.find(([id]) => id.startsWith(`${svc.name.replace(/-/g, '_')}_WorkloadRole_PolicyDocument`));
        if ((svc.secrets ?? []).length === 0) {
          expect(doc).toBeUndefined();
          continue;
        }
        expect(doc![1].statement.find((st) => st.sid === 'ReadOwnSecrets')!.resources).toEqual([
          `arn:aws:secretsmanager:${env.aws.region}:${env.aws.accountId}:secret:${env.name}/${svc.name}/*`,
        ]);
      }
    },
  );

  test("GIVEN secretsManager.kmsKeyArn WHEN synthesized THEN each service with secrets may decrypt with that key, only via Secrets Manager in the region", () => {
    const base = envs.find((e) => e.services.some((s) => (s.secrets ?? []).length > 0))!;
    const kms = `arn:aws:kms:${base.aws.region}:${base.aws.accountId}:key/1111-2222`;
    const json = synthJson(new ServicesStack(new App(), { ...base, secretsManager: { kmsKeyArn: kms } }));
    const statements = Object.values(json.data?.aws_iam_policy_document ?? {}).flatMap((d) => (d as { statement: Array<Record<string, unknown>> }).statement);
    expect(statements.filter((st) => st.sid === 'DecryptOwnSecrets')).toEqual(
      base.services
        .filter((s) => (s.secrets ?? []).length > 0)
        .map(() => ({
          sid: 'DecryptOwnSecrets',
          effect: 'Allow',
          actions: ['kms:Decrypt'],
          resources: [kms],
          condition: [{ test: 'StringEquals', variable: 'kms:ViaService', values: [`secretsmanager.${base.aws.region}.amazonaws.com`] }],
        })),
    );
  });

  test('GIVEN two services sharing a namespace and service account WHEN synthesized THEN synth fails naming both', () => {
    const env = envs.find((e) => e.services.length > 0)!;
    const [first] = env.services;
    const twin = { ...first!, name: 'twin', hostname: `twin.${env.dns.zoneName}`, namespace: first!.namespace ?? first!.name, serviceAccount: first!.serviceAccount ?? first!.name };
    expect(() => new ServicesStack(new App(), { ...env, services: [...env.services, twin] })).toThrow(/workload ".+" is also the namespace and service account of/);
  });

  test.each(envs.map((e) => [e.name, e] as const))("GIVEN envs/%s.yaml WHEN synthesized THEN logs and images use the environment's own key (read by alias, never created here) exactly when it asks for KMS without naming a key", (_name, env) => {
    const json = synthJson(new ServicesStack(new App(), env));
    const ownLogs = env.logs.encryption === 'kms' && !env.logs.kmsKeyArn;
    const ownImages = env.ecr.encryption === 'kms' && !env.ecr.kmsKeyArn;
    expect(json).toHaveResourceCount('aws_kms_key', 0);
    expect(json).toHaveResourceCount('aws_kms_alias', 0);
    const aliases = json.data?.aws_kms_alias ?? {};
    expect(Object.values(aliases)).toEqual(ownLogs || ownImages ? [{ name: `alias/platform/${env.name}` }] : []);
    const ref = ownLogs || ownImages ? '${data.aws_kms_alias.EnvironmentKey.target_key_arn}' : undefined;
    for (const group of Object.values(json.resource?.aws_cloudwatch_log_group ?? {})) {
      expect(group.kms_key_id).toBe(ownLogs ? ref : env.logs.kmsKeyArn);
    }
    for (const repo of Object.values(json.resource?.aws_ecr_repository ?? {})) {
      const enc = (repo.encryption_configuration as Array<Record<string, unknown>>)[0]!;
      expect(enc.kms_key).toBe(ownImages ? ref : env.ecr.kmsKeyArn);
    }
  });

  test("GIVEN an environment asking for KMS on logs and images WHEN synthesized THEN the stack reads the key's ARN through its alias (the bootstrap creates it) and uses the key ARN, not the alias ARN", () => {
    const base = envs[0]!;
    const env = { ...base, preventDestroy: true, logs: { ...base.logs, encryption: 'kms' as const, kmsKeyArn: undefined }, ecr: { ...base.ecr, encryption: 'kms' as const, kmsKeyArn: undefined } };
    const stack = new ServicesStack(new App(), env);
    const json = synthJson(stack);
    expect(json).toHaveResourceCount('aws_kms_key', 0);
    expect(json).toHaveDataSourceDeep('aws_kms_alias', { name: `alias/platform/${env.name}` });
    expect(stack.environmentKeyArn).toMatch(/\$\{TfToken/);
    for (const group of Object.values(json.resource?.aws_cloudwatch_log_group ?? {})) expect(group.kms_key_id).toBe('${data.aws_kms_alias.EnvironmentKey.target_key_arn}');
  });

  test('GIVEN an environment naming external keys WHEN synthesized THEN no alias is read', () => {
    const base = envs[0]!;
    const key = `arn:aws:kms:${base.aws.region}:${base.aws.accountId}:key/11111111-2222-4333-8444-555555555555`;
    const env = { ...base, logs: { ...base.logs, encryption: 'kms' as const, kmsKeyArn: key }, ecr: { ...base.ecr, encryption: 'kms' as const, kmsKeyArn: key } };
    const stack = new ServicesStack(new App(), env);
    expect(synthJson(stack).data?.aws_kms_alias).toBeUndefined();
    expect(stack.environmentKeyArn).toBeUndefined();
  });

  test('GIVEN a per-service retention WHEN synthesized THEN it overrides the environment default', () => {
    const env = environmentFixture(environmentOfTier('production'), {
      logs: { retentionDays: 365 },
      services: [
        { name: 'payments', hostname: `payments.${environmentFixture(environmentOfTier('production')).dns.zoneName}`, logRetentionDays: 731 },
        { name: 'checkout', hostname: `checkout.${environmentFixture(environmentOfTier('production')).dns.zoneName}` },
      ],
    });
    const json = synthJson(new ServicesStack(new App(), env));
    expect(json).toHaveResourceDeep('aws_cloudwatch_log_group', { name: `/platform/${env.name}/payments`, retention_in_days: 731 });
    expect(json).toHaveResourceDeep('aws_cloudwatch_log_group', { name: `/platform/${env.name}/checkout`, retention_in_days: 365 });
  });

  test('GIVEN preventDestroy WHEN synthesized THEN repositories and log groups are protected; without it they are not', () => {
    const prod = synthJson(new ServicesStack(new App(), environmentFixture(environmentOfTier('production'), { preventDestroy: true })));
    const dev = synthJson(new ServicesStack(new App(), environmentFixture(firstEnvironment(), { preventDestroy: false })));
    for (const type of ['aws_ecr_repository', 'aws_cloudwatch_log_group']) {
      expect(Object.values(prod.resource?.[type] ?? {}).every((r) => (r.lifecycle as { prevent_destroy?: boolean })?.prevent_destroy === true)).toBe(true);
      expect(Object.values(dev.resource?.[type] ?? {}).some((r) => 'lifecycle' in r)).toBe(false);
    }
  });

  test('GIVEN an environment without services WHEN synthesized THEN the stack has no resources but keeps its backend', () => {
    const json = synthJson(new ServicesStack(new App(), environmentFixture(firstEnvironment(), { services: [] })));
    expect(json.resource).toBeUndefined();
    expect(json.terraform?.backend).toMatchObject({ s3: { key: `${firstEnvironment()}/services.tfstate` } });
  });
});
