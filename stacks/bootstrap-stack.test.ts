import * as path from 'node:path';
import { ConfigError, loadEnvironments, type EnvironmentConfig } from '@platform/config';
import { EnvironmentStack } from '@platform/stack-factory';
import { environmentFixture, repoRoot, synthJson, withoutMetadata, type StackJson } from '@platform/testing';
import { App } from 'cdktf';
import { definePlatform } from './app';
import {
  BOOTSTRAP_BACKEND_VARIABLE,
  BootstrapStack,
  bootstrapBackendFromEnvironment,
  bootstrapTargets,
} from './bootstrap-stack';

const envs = loadEnvironments(path.join(repoRoot, 'envs'), { root: repoRoot });

function bootstrap(
  env: EnvironmentConfig | EnvironmentConfig[],
  props: ConstructorParameters<typeof BootstrapStack>[2] = {},
): { stack: BootstrapStack; json: StackJson } {
  const [target] = bootstrapTargets(Array.isArray(env) ? env : [env]);
  const stack = new BootstrapStack(new App(), target!, props);
  return { stack, json: synthJson(stack) };
}

describe('BootstrapStack', () => {
  const saved = process.env[BOOTSTRAP_BACKEND_VARIABLE];
  afterEach(() => {
    if (saved === undefined) delete process.env[BOOTSTRAP_BACKEND_VARIABLE];
    else process.env[BOOTSTRAP_BACKEND_VARIABLE] = saved;
  });

  describe('GIVEN the real environment files WHEN the platform is synthesized', () => {
    let bootstraps: BootstrapStack[];
    let envStacks: EnvironmentStack[];
    beforeAll(() => {
      delete process.env[BOOTSTRAP_BACKEND_VARIABLE];
      const app = new App();
      definePlatform(app, envs);
      bootstraps = app.node.children.filter((s): s is BootstrapStack => s instanceof BootstrapStack);
      envStacks = app.node.children.filter((s): s is EnvironmentStack => s instanceof EnvironmentStack);
    });

    test('THEN there is one bootstrap stack per state bucket, named <owner>-bootstrap', () => {
      expect(bootstraps.map((b) => b.node.id).sort()).toEqual(['dev-bootstrap', 'prod-bootstrap', 'staging-bootstrap']);
      expect(new Set(bootstraps.map((b) => b.target.bucket)).size).toBe(bootstraps.length);
    });

    // The contract between the two halves: every environment stack's backend points at a bucket (and
    // lock table) that a bootstrap stack creates, in that bucket's account and region.
    test('THEN every environment stack backend points at a bucket, lock table, account and region a bootstrap stack creates', () => {
      expect(envStacks.length).toBeGreaterThanOrEqual(envs.length);
      for (const envStack of envStacks) {
        const backend = (synthJson(envStack).terraform?.backend as { s3: Record<string, unknown> }).s3;
        const owner = bootstraps.filter((b) => b.target.bucket === backend.bucket);
        expect(owner).toHaveLength(1);
        const json = synthJson(owner[0]!);
        expect(json).toHaveResourceDeep('aws_s3_bucket', { bucket: backend.bucket });
        if (backend.dynamodb_table) {
          expect(json).toHaveResourceDeep('aws_dynamodb_table', { name: backend.dynamodb_table, hash_key: 'LockID' });
        }
        expect(json.provider?.aws).toEqual([
          expect.objectContaining({ region: backend.region, allowed_account_ids: [envStack.env.aws.accountId] }),
        ]);
        expect(owner[0]!.target.environments).toContain(envStack.env.name);
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
    'GIVEN envs/%s.yaml WHEN its bootstrap stack is synthesized THEN it matches the reviewed snapshot',
    (_name, env) => {
      delete process.env[BOOTSTRAP_BACKEND_VARIABLE];
      expect(withoutMetadata(bootstrap(env).json)).toMatchSnapshot();
    },
  );

  test('GIVEN no PLATFORM_BOOTSTRAP_BACKEND WHEN synthesized THEN the stack keeps its state in its own bucket at bootstrap.tfstate, locked like the environment', () => {
    delete process.env[BOOTSTRAP_BACKEND_VARIABLE];
    const { stack, json } = bootstrap(environmentFixture('dev'));
    expect(stack.backend).toBe('s3');
    expect(json.terraform?.backend).toEqual({
      s3: {
        bucket: 'acme-tfstate-111111111111-eu-west-1',
        key: 'bootstrap.tfstate',
        region: 'eu-west-1',
        encrypt: true,
        dynamodb_table: 'acme-tfstate-locks',
        use_lockfile: true,
      },
    });
    expect(json.terraform?.required_version).toBe('>= 1.10.2');
  });

  test('GIVEN PLATFORM_BOOTSTRAP_BACKEND=local WHEN synthesized THEN the state is a local file beside the output directory', () => {
    process.env[BOOTSTRAP_BACKEND_VARIABLE] = 'local';
    const { stack, json } = bootstrap(environmentFixture('prod'));
    expect(json.terraform?.backend).toEqual({ local: { path: '../../../terraform.tfstate.d/prod-bootstrap.tfstate' } });
    expect(stack.state).toEqual({ kind: 'local', path: '../../../terraform.tfstate.d/prod-bootstrap.tfstate' });
  });

  test('GIVEN the backend prop WHEN synthesized THEN it wins over the environment variable', () => {
    process.env[BOOTSTRAP_BACKEND_VARIABLE] = 'local';
    expect(bootstrap(environmentFixture('dev'), { backend: 's3' }).json.terraform?.backend).toHaveProperty(
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

  test('GIVEN prod WHEN synthesized THEN the provider assumes the deploy role in the bucket account and region with the required tags', () => {
    const { json } = bootstrap(environmentFixture('prod'), { backend: 's3' });
    expect(json.provider?.aws).toEqual([
      {
        region: 'eu-west-1',
        allowed_account_ids: ['333333333333'],
        assume_role: [
          { role_arn: '${var.aws_role_arn}', session_name: 'terraform-prod-bootstrap' },
        ],
        default_tags: [
          { tags: { Environment: 'prod', Team: 'platform', ManagedBy: 'terraform', CostCenter: 'CC-4100-PROD' } },
        ],
      },
    ]);
    expect(json.variable).toMatchObject({ aws_role_arn: { default: 'arn:aws:iam::333333333333:role/platform-terraform' } });
  });

  test('GIVEN a state region other than the workload region WHEN synthesized THEN the bucket and its provider are in the state region', () => {
    const env = environmentFixture('dev', { state: { region: 'eu-central-1' } });
    const { json } = bootstrap(env, { backend: 's3' });
    expect(json.provider?.aws).toEqual([expect.objectContaining({ region: 'eu-central-1' })]);
    expect(json.terraform?.backend).toHaveProperty('s3.region', 'eu-central-1');
  });

  test('GIVEN S3 native locking only WHEN synthesized THEN there is no lock table and the backend uses the lockfile', () => {
    const env = environmentFixture('dev', { state: { lockTable: undefined, useLockfile: true } });
    const { json } = bootstrap(env, { backend: 's3' });
    expect(json).toHaveNoResource('aws_dynamodb_table');
    expect(json.terraform?.backend).toHaveProperty('s3.use_lockfile', true);
    expect(json.terraform?.backend).not.toHaveProperty('s3.dynamodb_table');
  });

  describe('bootstrapTargets', () => {
    const dev = environmentFixture('dev');
    const sharedBucket = { state: { bucket: dev.state.bucket } };

    test('GIVEN two environments sharing a bucket WHEN grouped THEN there is one target owned by the first by name, using the lockfile if any does', () => {
      const qa = environmentFixture(
        'staging',
        {
          ...sharedBucket,
          aws: { accountId: dev.aws.accountId },
          state: { ...sharedBucket.state, useLockfile: false },
        },
        'qa',
      );
      const targets = bootstrapTargets([qa, dev]);
      expect(targets).toHaveLength(1);
      expect(targets[0]).toMatchObject({
        environments: ['dev', 'qa'],
        accountId: '111111111111',
        region: 'eu-west-1',
        bucket: dev.state.bucket,
        backupBucket: `${dev.state.bucket}-backup`,
        lockTable: 'acme-tfstate-locks',
        useLockfile: true,
      });
      expect(targets[0]!.owner.name).toBe('dev');
      const { json } = bootstrap([qa, dev], { backend: 's3' });
      expect(json.provider?.aws).toEqual([
        expect.objectContaining({ default_tags: [{ tags: expect.objectContaining({ Environment: 'dev+qa' }) }] }),
      ]);
    });

    test('GIVEN environments sharing a bucket but not its account, region or lock table WHEN grouped THEN every disagreement is reported at once', () => {
      const qa = environmentFixture(
        'staging',
        { state: { bucket: dev.state.bucket, region: 'us-east-1', lockTable: 'other-locks' } },
        'qa',
      );
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
        'envs/qa.yaml: aws.accountId "222222222222" differs from envs/dev.yaml ("111111111111"), which keeps its state in the same bucket "acme-tfstate-111111111111-eu-west-1"',
      );
      expect(message).toContain('envs/qa.yaml: state.region "us-east-1" differs from envs/dev.yaml ("eu-west-1")');
      expect(message).toContain(
        'envs/dev.yaml: state.lockTable "acme-tfstate-locks" names one of 2 lock tables for the bucket',
      );
      expect(message).toContain('envs/qa.yaml: state.lockTable "other-locks" names one of 2 lock tables');
    });

    test('GIVEN two buckets in one account and region with the same lock table name WHEN grouped THEN the clash is reported', () => {
      const other = environmentFixture('dev', { state: { bucket: 'acme-tfstate-other' } }, 'other');
      expect(() => bootstrapTargets([dev, other])).toThrow(
        /envs\/other\.yaml: state\.lockTable "acme-tfstate-locks" is also the lock table of the bucket "acme-tfstate-111111111111-eu-west-1" \(envs\/dev\.yaml\) in account 111111111111, eu-west-1/,
      );
    });

    test('GIVEN the real environments WHEN grouped THEN the targets come out sorted and complete', () => {
      expect(bootstrapTargets(envs).map((t) => [t.owner.name, t.bucket, t.lockTable, t.useLockfile])).toEqual([
        ['dev', 'acme-tfstate-111111111111-eu-west-1', 'acme-tfstate-locks', true],
        ['prod', 'acme-tfstate-333333333333-eu-west-1', 'acme-tfstate-locks', false],
        ['staging', 'acme-tfstate-222222222222-eu-west-1', 'acme-tfstate-locks', false],
      ]);
    });
  });
});
