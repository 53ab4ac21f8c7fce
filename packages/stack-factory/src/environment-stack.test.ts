import { environmentFixture, synthJson } from '@platform/testing';
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

describe('EnvironmentStack (the stack factory)', () => {
  test('GIVEN dev (DynamoDB lock + lockfile) WHEN synthesized THEN the S3 backend is keyed <env>/<stack>.tfstate, encrypted and locked both ways', () => {
    const json = synthJson(new ProbeStack(new App(), environmentFixture('dev')));
    expect(json.terraform?.backend).toEqual({
      s3: {
        bucket: 'acme-tfstate-111111111111-eu-west-1',
        key: 'dev/probe.tfstate',
        region: 'eu-west-1',
        encrypt: true,
        dynamodb_table: 'acme-tfstate-locks',
        use_lockfile: true,
      },
    });
    expect(json.terraform?.required_version).toBe('>= 1.10.2');
  });

  test('GIVEN an environment with only the DynamoDB lock WHEN synthesized THEN use_lockfile is absent', () => {
    const json = synthJson(new ProbeStack(new App(), environmentFixture('staging')));
    expect(json.terraform?.backend).toMatchObject({ s3: { key: 'staging/probe.tfstate', dynamodb_table: 'acme-tfstate-locks', encrypt: true } });
    expect(json.terraform?.backend).not.toHaveProperty('s3.use_lockfile');
  });

  test('GIVEN an environment with only S3 native locking WHEN synthesized THEN dynamodb_table is absent', () => {
    const env = environmentFixture('dev', { state: { lockTable: undefined, useLockfile: true } });
    const json = synthJson(new ProbeStack(new App(), env));
    expect(json.terraform?.backend).toMatchObject({ s3: { use_lockfile: true } });
    expect(json.terraform?.backend).not.toHaveProperty('s3.dynamodb_table');
  });

  test('GIVEN prod WHEN synthesized THEN the AWS provider assumes the deploy role, allows only the account and tags everything', () => {
    const env = environmentFixture('prod');
    const json = synthJson(new ProbeStack(new App(), env));
    expect(json.provider?.aws).toEqual([
      {
        region: 'eu-west-1',
        allowed_account_ids: ['333333333333'],
        assume_role: [{ role_arn: '${var.aws_role_arn}', session_name: 'terraform-prod-probe' }],
        default_tags: [{ tags: { Environment: 'prod', Team: 'platform', ManagedBy: 'terraform', CostCenter: 'CC-4100-PROD' } }],
      },
    ]);
    // The role is a variable defaulting to the deploy role (CI plans set it empty: see aws-role.test.ts).
    expect(json.variable).toMatchObject({ aws_role_arn: { type: 'string', default: 'arn:aws:iam::333333333333:role/platform-terraform', nullable: false } });
    expect(requiredTags(env)).toEqual({ Environment: 'prod', Team: 'platform', ManagedBy: 'terraform', CostCenter: 'CC-4100-PROD' });
  });

  test('GIVEN several stacks in several environments WHEN synthesized THEN each has its own state key and synth succeeds', () => {
    const app = new App({ outdir: '/tmp/unused-cdktf-out' });
    const stacks = ['dev', 'staging', 'prod'].flatMap((name) => ['a', 'b'].map((stack) => new ProbeStack(app, environmentFixture(name), stack)));
    expect(() => app.synth()).not.toThrow();
    expect(new Set(stacks.map((s) => `${s.state.bucket}/${s.state.key}`)).size).toBe(6);
    expect(stacks.map((s) => s.node.id)).toEqual(['dev-a', 'dev-b', 'staging-a', 'staging-b', 'prod-a', 'prod-b']);
  });

  test('GIVEN two environments pointing at one bucket with the same name WHEN synthesized THEN validation reports the duplicate key and the first owner', () => {
    const app = new App({ outdir: '/tmp/unused-cdktf-out' });
    const dev = environmentFixture('dev');
    new ProbeStack(app, dev);
    // Two stacks with one id cannot sit side by side at the app root, so nest the copy one level.
    const group = new Construct(app, 'copy');
    new ProbeStack(group, dev);
    expect(() => app.synth()).toThrow(/state object s3:\/\/acme-tfstate-111111111111-eu-west-1\/dev\/probe\.tfstate is already used by stack "dev-probe"/);
  });

  test('GIVEN test-only factory options WHEN synthesized THEN the backend override applies and the AWS provider is left out', () => {
    const app = new App();
    configureStackFactory(app, { backendOverrides: { endpoints: { s3: 'http://127.0.0.1:5000' }, usePathStyle: true, useLockfile: false }, omitAwsProvider: true });
    const stack = new ProbeStack(app, environmentFixture('dev'));
    const json = synthJson(stack);
    expect(json.terraform?.backend).toMatchObject({ s3: { endpoints: { s3: 'http://127.0.0.1:5000' }, use_path_style: true, key: 'dev/probe.tfstate' } });
    expect(json.terraform?.backend).not.toHaveProperty('s3.use_lockfile');
    expect(json.provider).toBeUndefined();
    expect(stack.awsProvider).toBeUndefined();
  });
});
