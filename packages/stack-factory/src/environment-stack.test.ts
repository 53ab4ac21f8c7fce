import { environmentFixture, environmentNames, environmentOfTier, firstEnvironment, synthJson } from '@platform/testing';
import { App, TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import { configureStackFactory, EnvironmentStack, requiredTags } from './environment-stack';
import { type EnvironmentConfig } from '@platform/config';

/** The smallest possible stack: whatever the factory gives it, plus one output. */
class ProbeStack extends EnvironmentStack {
  constructor(scope: Construct, env: EnvironmentConfig, name = 'probe') {
    super(scope, env, name);
    new TerraformOutput(this, 'env', { value: env.name });
  }
}

const FIRST = firstEnvironment();
const PRODUCTION = environmentOfTier('production');

describe('EnvironmentStack (the stack factory)', () => {
  test('GIVEN an environment with a DynamoDB lock + lockfile WHEN synthesized THEN the S3 backend is keyed <env>/<stack>.tfstate, encrypted and locked both ways', () => {
    const env = environmentFixture(FIRST, { state: { lockTable: 'acme-tfstate-locks', useLockfile: true } });
    const json = synthJson(new ProbeStack(new App(), env));
    expect(json.terraform?.backend).toEqual({
      s3: {
        bucket: env.state.bucket,
        key: `${FIRST}/probe.tfstate`,
        kms_key_id: `arn:aws:kms:${env.state.region}:${env.aws.accountId}:alias/terraform-state/${env.state.bucket}`,
        region: env.state.region,
        encrypt: true,
        dynamodb_table: 'acme-tfstate-locks',
        use_lockfile: true,
      },
    });
    expect(json.terraform?.required_version).toBe('>= 1.10.2');
  });

  test('GIVEN an environment with only the DynamoDB lock WHEN synthesized THEN use_lockfile is absent', () => {
    const json = synthJson(new ProbeStack(new App(), environmentFixture(FIRST, { state: { lockTable: 'acme-tfstate-locks', useLockfile: false } })));
    expect(json.terraform?.backend).toMatchObject({ s3: { key: `${FIRST}/probe.tfstate`, dynamodb_table: 'acme-tfstate-locks', encrypt: true } });
    expect(json.terraform?.backend).not.toHaveProperty('s3.use_lockfile');
  });

  test('GIVEN an environment with only S3 native locking WHEN synthesized THEN dynamodb_table is absent', () => {
    const env = environmentFixture(FIRST, { state: { lockTable: undefined, useLockfile: true } });
    const json = synthJson(new ProbeStack(new App(), env));
    expect(json.terraform?.backend).toMatchObject({ s3: { use_lockfile: true } });
    expect(json.terraform?.backend).not.toHaveProperty('s3.dynamodb_table');
  });

  test('GIVEN a production environment WHEN synthesized THEN the AWS provider assumes the deploy role, allows only the account and tags everything', () => {
    const env = environmentFixture(PRODUCTION);
    const json = synthJson(new ProbeStack(new App(), env));
    const tags = { Environment: PRODUCTION, Team: env.tags.team, ManagedBy: 'terraform', CostCenter: env.tags.costCenter };
    expect(json.provider?.aws).toEqual([
      {
        region: env.aws.region,
        allowed_account_ids: [env.aws.accountId],
        assume_role: [{ role_arn: '${var.aws_role_arn}', session_name: `terraform-${PRODUCTION}-probe` }],
        default_tags: [{ tags }],
      },
    ]);
    // The role is a variable defaulting to the deploy role (CI plans set it empty: see aws-role.test.ts).
    expect(json.variable).toMatchObject({ aws_role_arn: { type: 'string', default: `arn:aws:iam::${env.aws.accountId}:role/${env.aws.deployRoleName}`, nullable: false } });
    expect(requiredTags(env)).toEqual(tags);
  });

  test('GIVEN several stacks in several environments WHEN synthesized THEN each has its own state key and synth succeeds', () => {
    const app = new App({ outdir: '/tmp/unused-cdktf-out' });
    const names = environmentNames();
    const stacks = names.flatMap((name) => ['a', 'b'].map((stack) => new ProbeStack(app, environmentFixture(name), stack)));
    expect(() => app.synth()).not.toThrow();
    expect(new Set(stacks.map((s) => `${s.state.bucket}/${s.state.key}`)).size).toBe(names.length * 2);
    expect(stacks.map((s) => s.node.id)).toEqual(names.flatMap((n) => [`${n}-a`, `${n}-b`]));
  });

  test('GIVEN two environments pointing at one bucket with the same name WHEN synthesized THEN validation reports the duplicate key and the first owner', () => {
    const app = new App({ outdir: '/tmp/unused-cdktf-out' });
    const dev = environmentFixture(FIRST);
    new ProbeStack(app, dev);
    // Two stacks with one id cannot sit side by side at the app root, so nest the copy one level.
    const group = new Construct(app, 'copy');
    new ProbeStack(group, dev);
    expect(() => app.synth()).toThrow(`state object s3://${dev.state.bucket}/${FIRST}/probe.tfstate is already used by stack "${FIRST}-probe"`);
  });

  test('GIVEN test-only factory options WHEN synthesized THEN the backend override applies and the AWS provider is left out', () => {
    const app = new App();
    configureStackFactory(app, { backendOverrides: { endpoints: { s3: 'http://127.0.0.1:5000' }, usePathStyle: true, useLockfile: false }, omitAwsProvider: true });
    const stack = new ProbeStack(app, environmentFixture(FIRST));
    const json = synthJson(stack);
    expect(json.terraform?.backend).toMatchObject({ s3: { endpoints: { s3: 'http://127.0.0.1:5000' }, use_path_style: true, key: `${FIRST}/probe.tfstate` } });
    expect(json.terraform?.backend).not.toHaveProperty('s3.use_lockfile');
    expect(json.provider).toBeUndefined();
    expect(stack.awsProvider).toBeUndefined();
  });
});
