import * as path from 'node:path';
import { ConfigError, loadEnvironments, type EnvironmentConfig } from '@platform/config';
import { EnvironmentStack } from '@platform/stack-factory';
import { environmentFixture, environmentOfTier, expectFileSnapshot, expectNoStaleSnapshots, firstEnvironment, generatedEnvironmentName, repoRoot, stackSnapshot, stackSnapshotFile, synthJson, type StackJson } from '@platform/testing';
import { App } from 'cdktf';
import { definePlatform } from './app';
import {
  BOOTSTRAP_BACKEND_VARIABLE,
  BootstrapStack,
  bootstrapBackendFromEnvironment,
  bootstrapTargets,
  environmentKeyUses,
} from './bootstrap-stack';
import { ServicesStack } from './services-stack';

const envs = loadEnvironments(path.join(repoRoot, 'envs'), { root: repoRoot });
const FIRST = firstEnvironment();
const PRODUCTION = environmentOfTier('production');
/** An environment in another account than FIRST, and a made-up name for a new one. */
const OTHER = envs.find((e) => e.aws.accountId !== environmentFixture(FIRST).aws.accountId)!.name;
const NEW = generatedEnvironmentName('bootstrap');

function bootstrap(
  env: EnvironmentConfig | EnvironmentConfig[],
  props: ConstructorParameters<typeof BootstrapStack>[2] = {},
): { stack: BootstrapStack; json: StackJson } {
  const [target] = bootstrapTargets(Array.isArray(env) ? env : [env]);
  const stack = new BootstrapStack(new App(), target!, props);
  return { stack, json: synthJson(stack) };
}

/** The bucket account's provider (the default one, without alias). */
const mainProviders = (json: StackJson) => (json.provider?.aws ?? []).filter((p) => !('alias' in p));

describe('BootstrapStack', () => {
  const saved = process.env[BOOTSTRAP_BACKEND_VARIABLE];
  afterEach(() => {
    if (saved === undefined) delete process.env[BOOTSTRAP_BACKEND_VARIABLE];
    else process.env[BOOTSTRAP_BACKEND_VARIABLE] = saved;
  });

  describe('GIVEN the real environment files WHEN the platform is synthesized', () => {
    let bootstraps: BootstrapStack[];
    let envStacks: EnvironmentStack[];
    // These stacks are built once and never changed: each is synthesized once for all the tests below.
    const synthesized = new Map<object, StackJson>();
    const synthOnce = (stack: BootstrapStack | EnvironmentStack): StackJson => {
      if (!synthesized.has(stack)) synthesized.set(stack, synthJson(stack));
      return synthesized.get(stack)!;
    };
    beforeAll(() => {
      delete process.env[BOOTSTRAP_BACKEND_VARIABLE];
      const app = new App();
      definePlatform(app, envs);
      bootstraps = app.node.children.filter((s): s is BootstrapStack => s instanceof BootstrapStack);
      envStacks = app.node.children.filter((s): s is EnvironmentStack => s instanceof EnvironmentStack);
    });

    test('THEN there is one bootstrap stack per state bucket, named <owner>-bootstrap', () => {
      const owners = [...new Set(envs.map((e) => e.state.bucket))].map((bucket) => envs.filter((e) => e.state.bucket === bucket).map((e) => e.name).sort()[0]);
      expect(bootstraps.map((b) => b.node.id).sort()).toEqual(owners.map((o) => `${o}-bootstrap`).sort());
      expect(new Set(bootstraps.map((b) => b.target.bucket)).size).toBe(bootstraps.length);
    });

    // The contract between the two halves: every environment stack's backend points at a bucket (and
    // lock table) that a bootstrap stack creates, in that bucket's account and region.
    test('THEN every environment stack backend points at a bucket, lock table, account and region a bootstrap stack creates', () => {
      expect(envStacks.length).toBeGreaterThanOrEqual(envs.length);
      for (const envStack of envStacks) {
        const backend = (synthOnce(envStack).terraform?.backend as { s3: Record<string, unknown> }).s3;
        const owner = bootstraps.filter((b) => b.target.bucket === backend.bucket);
        expect(owner).toHaveLength(1);
        const json = synthOnce(owner[0]!);
        expect(json).toHaveResourceDeep('aws_s3_bucket', { bucket: backend.bucket });
        if (backend.dynamodb_table) {
          expect(json).toHaveResourceDeep('aws_dynamodb_table', { name: backend.dynamodb_table, hash_key: 'LockID' });
        }
        expect(mainProviders(json)).toEqual([
          expect.objectContaining({ region: backend.region, allowed_account_ids: [envStack.env.aws.accountId] }),
        ]);
        // The backend encrypts with the key the bootstrap stack creates (its alias, in the bucket's account and region).
        expect(backend.kms_key_id).toBe(`arn:aws:kms:${backend.region as string}:${envStack.env.aws.accountId}:alias/terraform-state/${backend.bucket as string}`);
        expect(json).toHaveResourceDeep('aws_kms_alias', { name: `alias/terraform-state/${backend.bucket as string}` });
        expect(owner[0]!.target.environments).toContain(envStack.env.name);
      }
    });

    // The contract for the environment keys: every alias a services stack reads, the bootstrap stack of its
    // bucket creates, in the environment's account and region (or synth would pass and plan would fail).
    test("THEN every environment key a services stack reads by alias is created by its bucket's bootstrap stack, in its account and region", () => {
      const services = envStacks.filter((s): s is ServicesStack => s instanceof ServicesStack);
      expect(services.length).toBe(envs.length);
      for (const stack of services) {
        const read = Object.values(synthOnce(stack).data?.aws_kms_alias ?? {}).map((a) => a.name as string);
        const uses = environmentKeyUses(stack.env);
        expect(read).toEqual(uses.logs || uses.images ? [`alias/platform/${stack.env.name}`] : []);
        const owner = bootstraps.find((b) => b.target.environments.includes(stack.env.name))!;
        expect(owner.environmentKeys.has(stack.env.name)).toBe(read.length > 0);
        if (read.length === 0) continue;
        const json = synthOnce(owner);
        expect(json).toHaveResourceDeep('aws_kms_alias', { name: read[0] });
        expect(owner.target.accountId).toBe(stack.env.aws.accountId);
        const key = Object.entries(json.resource?.aws_kms_key ?? {}).find(([id]) => id.startsWith(`EnvironmentKey_${stack.env.name}_`))![1];
        const region = key.provider ? (json.provider?.aws ?? []).find((p) => `aws.${p.alias}` === key.provider)!.region : owner.target.region;
        expect(region).toBe(stack.env.aws.region);
      }
    });

    test('THEN no bootstrap state key can collide with an environment stack key', () => {
      const keys = new Set(envStacks.map((s) => `${s.state.bucket}/${s.state.key}`));
      for (const b of bootstraps) {
        expect(b.state).toMatchObject({ kind: 's3', key: 'bootstrap.tfstate' });
        expect(keys.has(`${b.target.bucket}/bootstrap.tfstate`)).toBe(false);
      }
    });
  });

  test.each(envs.map((e) => [e.name, e] as const))(
    'GIVEN envs/%s.yaml WHEN its bootstrap stack is synthesized THEN it matches its reviewed snapshot file',
    (_name, env) => {
      delete process.env[BOOTSTRAP_BACKEND_VARIABLE];
      const { stack, json } = bootstrap(env);
      expectFileSnapshot(stackSnapshot(json, stack.node.id), stackSnapshotFile(stack.node.id));
    },
  );

  test('GIVEN envs/ WHEN the bootstrap snapshot files are listed THEN each belongs to an environment (none left of a removed one)', () => {
    delete process.env[BOOTSTRAP_BACKEND_VARIABLE];
    const files = envs.map((env) => stackSnapshotFile(new BootstrapStack(new App(), bootstrapTargets([env])[0]!).node.id));
    expectNoStaleSnapshots(path.dirname(files[0]!), '-bootstrap.yaml', files);
  });

  test('GIVEN no PLATFORM_BOOTSTRAP_BACKEND WHEN synthesized THEN the stack keeps its state in its own bucket at bootstrap.tfstate, locked like the environment', () => {
    delete process.env[BOOTSTRAP_BACKEND_VARIABLE];
    const env = environmentFixture(FIRST, { state: { lockTable: 'acme-tfstate-locks', useLockfile: true } });
    const { stack, json } = bootstrap(env);
    expect(stack.backend).toBe('s3');
    expect(json.terraform?.backend).toEqual({
      s3: {
        bucket: env.state.bucket,
        key: 'bootstrap.tfstate',
        region: env.state.region,
        encrypt: true,
        kms_key_id: `arn:aws:kms:${env.state.region}:${env.aws.accountId}:alias/terraform-state/${env.state.bucket}`,
        dynamodb_table: 'acme-tfstate-locks',
        use_lockfile: true,
      },
    });
    expect(json.terraform?.required_version).toBe('>= 1.10.2');
  });

  test('GIVEN PLATFORM_BOOTSTRAP_BACKEND=local WHEN synthesized THEN the state is a local file beside the output directory', () => {
    process.env[BOOTSTRAP_BACKEND_VARIABLE] = 'local';
    const { stack, json } = bootstrap(environmentFixture(PRODUCTION));
    expect(json.terraform?.backend).toEqual({ local: { path: `../../../terraform.tfstate.d/${PRODUCTION}-bootstrap.tfstate` } });
    expect(stack.state).toEqual({ kind: 'local', path: `../../../terraform.tfstate.d/${PRODUCTION}-bootstrap.tfstate` });
  });

  test('GIVEN the backend prop WHEN synthesized THEN it wins over the environment variable', () => {
    process.env[BOOTSTRAP_BACKEND_VARIABLE] = 'local';
    expect(bootstrap(environmentFixture(FIRST), { backend: 's3' }).json.terraform?.backend).toHaveProperty(
      's3.key',
      'bootstrap.tfstate',
    );
  });

  test.each([
    [undefined, 's3'],
    ['', 's3'],
    ['local', 'local'],
    ['s3', 's3'],
  ])('GIVEN PLATFORM_BOOTSTRAP_BACKEND=%j THEN the backend is %s', (value, expected) => {
    expect(bootstrapBackendFromEnvironment(value === undefined ? {} : { [BOOTSTRAP_BACKEND_VARIABLE]: value })).toBe(
      expected,
    );
  });

  test('GIVEN an unknown PLATFORM_BOOTSTRAP_BACKEND WHEN read THEN a ConfigError names the variable, value and choices', () => {
    expect(() => bootstrapBackendFromEnvironment({ [BOOTSTRAP_BACKEND_VARIABLE]: 'S3' })).toThrow(ConfigError);
    expect(() => bootstrapBackendFromEnvironment({ [BOOTSTRAP_BACKEND_VARIABLE]: 'S3' })).toThrow(
      /environment: PLATFORM_BOOTSTRAP_BACKEND "S3" must be "local" \(the first run, before the state bucket exists\) or "s3"/,
    );
  });

  test('GIVEN a production environment WHEN synthesized THEN the provider assumes the deploy role in the bucket account and region with the required tags', () => {
    const env = environmentFixture(PRODUCTION);
    const { json } = bootstrap(env, { backend: 's3' });
    expect(mainProviders(json)).toEqual([
      {
        region: env.state.region,
        allowed_account_ids: [env.aws.accountId],
        assume_role: [
          { role_arn: '${var.aws_role_arn}', session_name: `terraform-${PRODUCTION}-bootstrap` },
        ],
        default_tags: [
          { tags: { Environment: PRODUCTION, Team: env.tags.team, ManagedBy: 'terraform', CostCenter: env.tags.costCenter } },
        ],
      },
    ]);
    expect(json.variable).toMatchObject({ aws_role_arn: { default: `arn:aws:iam::${env.aws.accountId}:role/${env.aws.deployRoleName}` } });
  });

  test('GIVEN a state region other than the workload region WHEN synthesized THEN the bucket and its provider are in the state region', () => {
    const env = environmentFixture(FIRST, { state: { region: 'eu-central-1', backup: { region: 'eu-north-1' } } });
    const { json } = bootstrap(env, { backend: 's3' });
    expect(mainProviders(json)).toEqual([expect.objectContaining({ region: 'eu-central-1' })]);
    expect(json.terraform?.backend).toHaveProperty('s3.region', 'eu-central-1');
  });

  test.each(envs.map((e) => [e.name, e] as const))(
    'GIVEN envs/%s.yaml WHEN its bootstrap stack is synthesized THEN the backups are in state.backup.region through the backup provider, with its Object Lock',
    (_name, env) => {
      const { json } = bootstrap(env, { backend: 's3' });
      const backupProvider = (json.provider?.aws ?? []).find((p) => p.alias === 'backup');
      const account = env.state.backup.accountId ?? env.aws.accountId;
      expect(backupProvider).toMatchObject({
        region: env.state.backup.region,
        allowed_account_ids: [account],
        assume_role: [{ role_arn: `arn:aws:iam::${account}:role/${env.aws.deployRoleName}` }],
      });
      expect(env.state.backup.region).not.toBe(env.state.region);
      expect(json).toHaveResourceDeep('aws_s3_bucket', { bucket: `${env.state.bucket}-backup`, object_lock_enabled: true, provider: 'aws.backup' });
      expect(json).toHaveResourceDeep('aws_s3_bucket_object_lock_configuration', {
        rule: { default_retention: { mode: env.state.backup.objectLock?.mode ?? 'COMPLIANCE', days: env.state.backup.objectLock?.days ?? 30 } },
      });
    },
  );

  test.each(envs.map((e) => [e.name, e] as const))(
    "GIVEN envs/%s.yaml WHEN its bootstrap stack is synthesized THEN only the environment's CI roles and the break-glass role may read state, and only apply and break-glass may write it",
    (_name, env) => {
      const { json } = bootstrap(env, { backend: 's3' });
      const statements = Object.values(json.data?.aws_iam_policy_document ?? {}).flatMap(
        (d) => (d as { statement: Array<{ sid: string; condition?: Array<{ variable: string; values: string[] }> }> }).statement,
      );
      const principals = (sid: string) => statements.find((st) => st.sid === sid)!.condition!.find((c) => c.variable === 'aws:PrincipalArn')!.values;
      const ci = (purpose: string) => `arn:aws:iam::${env.aws.accountId}:role/platform-ci-${env.name}-${purpose}`;
      const breakGlass = `arn:aws:iam::${env.aws.accountId}:role/${env.aws.deployRoleName}`;
      expect(principals('DenyStateReadExceptNamedRoles')).toEqual([...['apply', 'backup', 'drift', 'plan', 'pr-plan'].map(ci), breakGlass].sort());
      expect(principals('DenyStateWriteExceptReadWriteRoles')).toEqual([ci('apply'), breakGlass].sort());
      expect(principals('DenyLockWriteExceptLockingRoles')).toEqual([...['apply', 'drift', 'plan', 'pr-plan'].map(ci), breakGlass].sort());
      expect(principals('DenyBackupAccessExceptBackupAndBreakGlassRoles')).toEqual([ci('backup'), breakGlass].sort());
    },
  );

  test('GIVEN S3 native locking only WHEN synthesized THEN there is no lock table and the backend uses the lockfile', () => {
    const env = environmentFixture(FIRST, { state: { lockTable: undefined, useLockfile: true } });
    const { json } = bootstrap(env, { backend: 's3' });
    expect(json).toHaveNoResource('aws_dynamodb_table');
    expect(json.terraform?.backend).toHaveProperty('s3.use_lockfile', true);
    expect(json.terraform?.backend).not.toHaveProperty('s3.dynamodb_table');
  });

  describe("GIVEN an environment asking for KMS on logs and images without naming a key (the environment's own key)", () => {
    const env = environmentFixture(PRODUCTION, { preventDestroy: true, logs: { encryption: 'kms', kmsKeyArn: undefined }, ecr: { encryption: 'kms', kmsKeyArn: undefined } });
    const { stack, json } = bootstrap(env, { backend: 's3' });
    const docs = json.data?.aws_iam_policy_document ?? {};
    type Doc = { statement: Array<{ sid: string; actions?: string[]; resources?: string[]; not_resources?: string[]; condition?: Array<{ test: string; variable: string; values: string[] }> }> };
    const doc = (purpose: string) => Object.entries(docs).find(([id]) => id.startsWith(`CiIdentity_${env.name}_${purpose}_PermissionsDocument`))![1] as Doc;
    const keyRef = expect.stringMatching(new RegExp(`^\\$\\{aws_kms_key\\.EnvironmentKey_${env.name}_[0-9A-F]{8}\\.arn\\}$`));

    test('WHEN the bootstrap stack is synthesized THEN it creates the key (rotated, protected as the environment asks) and its alias, with the logs and ECR statements', () => {
      expect(stack.environmentKeys.has(env.name)).toBe(true);
      expect(json).toHaveResourceDeep('aws_kms_key', { enable_key_rotation: true, deletion_window_in_days: 30, lifecycle: { prevent_destroy: true } });
      expect(json).toHaveResourceDeep('aws_kms_alias', { name: `alias/platform/${env.name}` });
      const key = Object.entries(json.resource?.aws_kms_key ?? {}).find(([id]) => id.startsWith(`EnvironmentKey_${env.name}_`))![1];
      expect((JSON.parse(key.policy as string) as { Statement: Array<{ Sid: string }> }).Statement.map((st) => st.Sid)).toEqual([
        'AccountAdministersKey',
        'CloudWatchLogsUsesKeyForEnvironmentLogGroups',
        'EcrCreatesGrantsForRepositories',
      ]);
      expect(key).not.toHaveProperty('provider');
    });

    test.each(['pr-plan', 'plan', 'drift', 'apply'])('WHEN the %s role is read THEN it lists aliases and describes the key only by its alias', (purpose) => {
      const statements = doc(purpose).statement;
      expect(statements.find((st) => st.sid === 'KmsListAliases')).toEqual({ sid: 'KmsListAliases', actions: ['kms:ListAliases'], resources: ['*'] });
      expect(statements.find((st) => st.sid === 'KmsDescribeEnvironmentKeyByAlias')).toEqual({
        sid: 'KmsDescribeEnvironmentKeyByAlias',
        actions: ['kms:DescribeKey'],
        resources: [keyRef],
        condition: [{ test: 'StringEquals', variable: 'kms:RequestAlias', values: [`alias/platform/${env.name}`] }],
      });
    });

    test('WHEN the apply role is read THEN it may let ECR create and retire grants on the key, and nothing else on it', () => {
      const statements = doc('apply').statement;
      const via = { test: 'StringEquals', variable: 'kms:ViaService', values: [`ecr.${env.aws.region}.amazonaws.com`] };
      expect(statements.find((st) => st.sid === 'KmsGrantWorkloadKeysToEcr')).toEqual({
        sid: 'KmsGrantWorkloadKeysToEcr',
        actions: ['kms:CreateGrant'],
        resources: [keyRef],
        condition: [via, { test: 'Bool', variable: 'kms:GrantIsForAWSResource', values: ['true'] }],
      });
      expect(statements.find((st) => st.sid === 'KmsDescribeWorkloadKeysThroughEcr')).toEqual({
        sid: 'KmsDescribeWorkloadKeysThroughEcr',
        actions: ['kms:DescribeKey', 'kms:RetireGrant'],
        resources: [keyRef],
        condition: [via],
      });
    });

    test.each(['pr-plan', 'plan', 'drift', 'apply', 'backup'])('WHEN the %s role is read THEN it holds no key-administration right (create, policy, deletion, alias, tags)', (purpose) => {
      const kms = doc(purpose).statement.filter((st) => !('effect' in st)).flatMap((st) => st.actions ?? []).filter((a) => a.startsWith('kms:'));
      expect(kms.filter((a) => !/^kms:(Decrypt|Encrypt|GenerateDataKey|DescribeKey|ListAliases|CreateGrant|RetireGrant)$/.test(a))).toEqual([]);
      expect(kms.filter((a) => /^kms:(CreateGrant|RetireGrant)$/.test(a)).length > 0).toBe(purpose === 'apply');
    });
  });

  test('GIVEN an environment key in a workload region other than the state region WHEN synthesized THEN the key and alias use a provider of that region, with the same role and account', () => {
    const env = environmentFixture(FIRST, { state: { region: 'eu-central-1', backup: { region: 'eu-north-1' } }, logs: { encryption: 'kms', kmsKeyArn: undefined } });
    expect(env.aws.region).not.toBe('eu-central-1');
    const { json } = bootstrap(env, { backend: 's3' });
    const alias = env.aws.region.replace(/-/g, '_');
    expect((json.provider?.aws ?? []).find((p) => p.alias === alias)).toMatchObject({
      region: env.aws.region,
      allowed_account_ids: [env.aws.accountId],
      assume_role: [{ role_arn: '${var.aws_role_arn}' }],
    });
    expect(json).toHaveResourceDeep('aws_kms_key', { provider: `aws.${alias}` });
    expect(json).toHaveResourceDeep('aws_kms_alias', { name: `alias/platform/${env.name}`, provider: `aws.${alias}` });
  });

  test('GIVEN an environment without KMS on logs and images (or naming external keys) WHEN synthesized THEN no environment key and no KMS alias rights', () => {
    const key = 'arn:aws:kms:eu-west-1:111111111111:key/11111111-2222-4333-8444-555555555555';
    for (const env of [
      environmentFixture(FIRST, { logs: { encryption: undefined, kmsKeyArn: undefined }, ecr: { encryption: undefined, kmsKeyArn: undefined } }),
      environmentFixture(FIRST, { logs: { encryption: 'kms', kmsKeyArn: key }, ecr: { encryption: 'kms', kmsKeyArn: key } }),
    ]) {
      const { stack, json } = bootstrap(env, { backend: 's3' });
      expect(stack.environmentKeys.size).toBe(0);
      expect(Object.keys(json.resource?.aws_kms_key ?? {}).filter((id) => id.startsWith('EnvironmentKey'))).toEqual([]);
      const sids = Object.values(json.data?.aws_iam_policy_document ?? {}).flatMap((d) => (d as { statement: Array<{ sid: string }> }).statement.map((st) => st.sid));
      expect(sids).not.toContain('KmsDescribeEnvironmentKeyByAlias');
    }
  });

  describe('GIVEN the CI identity baseline (applied once with the state bootstrap)', () => {
    test('WHEN the real environments are synthesized THEN each bootstrap stack holds the five CI roles of every environment in its bucket, trusting envs/_base.yaml github.repository exactly', () => {
      for (const target of bootstrapTargets(envs)) {
        const { stack, json } = bootstrap(target.members as EnvironmentConfig[], { backend: 's3' });
        for (const env of target.members) {
          const roles = stack.ciIdentity.roles.get(env.name)!;
          expect(Object.keys(roles).sort()).toEqual(['apply', 'backup', 'drift', 'plan', 'pr-plan']);
          expect(roles['pr-plan'].subject).toBe(`repo:${env.github.repository}:pull_request`);
          expect(roles.apply.subject).toBe(`repo:${env.github.repository}:environment:${env.name}`);
          expect(roles.plan.subject).toBe(`repo:${env.github.repository}:environment:${env.name}-plan`);
          expect(json).toHaveResourceDeep('aws_iam_role', { name: `platform-ci-${env.name}-pr-plan`, max_session_duration: 3600 });
        }
        expect(json).toHaveResourceDeep('aws_iam_openid_connect_provider', { url: 'https://token.actions.githubusercontent.com' });
      }
    });

    test('WHEN the state key exists THEN the CI roles may decrypt with that key only (by reference, not a guessed ARN)', () => {
      const { json } = bootstrap(environmentFixture(firstEnvironment()), { backend: 's3' });
      const docs = json.data?.aws_iam_policy_document ?? {};
      const prPlan = Object.entries(docs).find(([id]) => /pr-plan_PermissionsDocument/.test(id))![1] as { statement: Array<Record<string, unknown>> };
      expect(prPlan.statement.find((st) => st.sid === 'DenyDecryptOutsideStateKey')).toMatchObject({
        not_resources: [expect.stringMatching(/^\$\{aws_kms_key\.StateBackend_Key_/)],
      });
    });

    test('WHEN two buckets in one account both create the GitHub OIDC provider THEN a ConfigError asks for lookup; with lookup the second reads it', () => {
      const dev = environmentFixture(firstEnvironment());
      const other = environmentFixture(firstEnvironment(), { state: { bucket: 'acme-tfstate-other', lockTable: 'other-locks' } }, 'other');
      expect(() => bootstrapTargets([dev, other])).toThrow(
        /envs\/other\.yaml: github\.oidcProvider "create" would create a second GitHub OIDC provider in account 111111111111 \(envs\/dev\.yaml creates it\) — set github\.oidcProvider: lookup here/,
      );
      const lookup = environmentFixture(firstEnvironment(), { state: { bucket: 'acme-tfstate-other', lockTable: 'other-locks' }, github: { oidcProvider: 'lookup' } }, 'other');
      const targets = bootstrapTargets([dev, lookup]);
      const json = synthJson(new BootstrapStack(new App(), targets.find((t) => t.owner.name === 'other')!, { backend: 's3' }));
      expect(json).toHaveNoResource('aws_iam_openid_connect_provider');
      expect(json).toHaveDataSourceDeep('aws_iam_openid_connect_provider', { url: 'https://token.actions.githubusercontent.com' });
    });

    test('WHEN environments sharing a bucket name different repositories THEN the disagreement is reported', () => {
      const dev = environmentFixture(firstEnvironment());
      const mirror = environmentFixture(firstEnvironment(), { github: { repository: 'someone-else/fork' } }, 'mirror');
      expect(() => bootstrapTargets([dev, mirror])).toThrow(/envs\/mirror\.yaml: github\.repository "someone-else\/fork" differs from envs\/dev\.yaml \("acme-platform\/platform-infra"\)/);
    });
  });

  describe('bootstrapTargets', () => {
    const dev = environmentFixture(FIRST, { state: { lockTable: 'acme-tfstate-locks', useLockfile: true } });
    const sharedBucket = { state: { bucket: dev.state.bucket } };

    test('GIVEN two environments sharing a bucket WHEN grouped THEN there is one target owned by the first by name, using the lockfile if any does', () => {
      const qa = environmentFixture(
        OTHER,
        {
          ...sharedBucket,
          aws: { accountId: dev.aws.accountId, region: dev.aws.region },
          state: { ...sharedBucket.state, region: dev.state.region, lockTable: 'acme-tfstate-locks', useLockfile: false },
        },
        NEW,
      );
      const targets = bootstrapTargets([qa, dev]);
      expect(targets).toHaveLength(1);
      expect(targets[0]).toMatchObject({
        environments: [FIRST, NEW].sort(),
        accountId: dev.aws.accountId,
        region: dev.state.region,
        bucket: dev.state.bucket,
        backupBucket: `${dev.state.bucket}-backup`,
        lockTable: 'acme-tfstate-locks',
        useLockfile: true,
      });
      expect(targets[0]!.owner.name).toBe([FIRST, NEW].sort()[0]);
      const { json } = bootstrap([qa, dev], { backend: 's3' });
      expect(mainProviders(json)).toEqual([
        expect.objectContaining({ default_tags: [{ tags: expect.objectContaining({ Environment: [FIRST, NEW].sort().join('+') }) }] }),
      ]);
      // Every sharing environment's CI roles are named in the state bucket policy.
      const readers = Object.values(json.data?.aws_iam_policy_document ?? {})
        .flatMap((d) => (d as { statement: Array<{ sid: string; condition?: Array<{ values: string[] }> }> }).statement)
        .find((st) => st.sid === 'DenyStateReadExceptNamedRoles')!.condition![0]!.values;
      expect(readers).toEqual(expect.arrayContaining([`arn:aws:iam::${dev.aws.accountId}:role/platform-ci-${FIRST}-pr-plan`, `arn:aws:iam::${dev.aws.accountId}:role/platform-ci-${NEW}-apply`]));
    });

    test('GIVEN environments sharing a bucket but not its account, region or lock table WHEN grouped THEN every disagreement is reported at once', () => {
      const qa = environmentFixture(
        OTHER,
        { state: { bucket: dev.state.bucket, region: 'us-east-1', lockTable: 'other-locks' } },
        NEW,
      );
      const other = environmentFixture(OTHER);
      let error: unknown;
      try {
        bootstrapTargets([dev, qa]);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as ConfigError).message;
      expect(message).toMatch(/^4 problems in the state bootstrap configuration:/);
      expect(message).toContain(
        `envs/${NEW}.yaml: aws.accountId "${other.aws.accountId}" differs from envs/${FIRST}.yaml ("${dev.aws.accountId}"), which keeps its state in the same bucket "${dev.state.bucket}"`,
      );
      expect(message).toContain(`envs/${NEW}.yaml: state.region "us-east-1" differs from envs/${FIRST}.yaml ("${dev.state.region}")`);
      expect(message).toContain(
        `envs/${FIRST}.yaml: state.lockTable "acme-tfstate-locks" names one of 2 lock tables for the bucket`,
      );
      expect(message).toContain(`envs/${NEW}.yaml: state.lockTable "other-locks" names one of 2 lock tables`);
    });

    test('GIVEN two buckets in one account and region with the same lock table name WHEN grouped THEN the clash is reported', () => {
      const other = environmentFixture(FIRST, { state: { bucket: 'acme-tfstate-other', lockTable: 'acme-tfstate-locks' } }, 'other');
      expect(() => bootstrapTargets([dev, other])).toThrow(
        `envs/other.yaml: state.lockTable "acme-tfstate-locks" is also the lock table of the bucket "${dev.state.bucket}" (envs/${FIRST}.yaml) in account ${dev.aws.accountId}, ${dev.state.region}`,
      );
    });

    test('GIVEN the real environments WHEN grouped THEN the targets come out sorted and complete', () => {
      const expected = [...new Set(envs.map((e) => e.state.bucket))]
        .map((bucket) => envs.filter((e) => e.state.bucket === bucket).sort((a, b) => a.name.localeCompare(b.name)))
        .map((sharing) => [sharing[0]!.name, sharing[0]!.state.bucket, sharing.find((e) => e.state.lockTable)?.state.lockTable, sharing.some((e) => e.state.useLockfile)])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
      expect(bootstrapTargets(envs).map((t) => [t.owner.name, t.bucket, t.lockTable, t.useLockfile])).toEqual(expected);
    });
  });
});
