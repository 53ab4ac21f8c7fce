import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { Release } from '@cdktf/provider-helm/lib/release';
import { type EnvironmentConfig } from '@platform/config';
import { synthesizeAtomically } from '@platform/stack-factory';
import { environmentFixture, environmentOfTier, firstEnvironment, generatedEnvironmentName } from '@platform/testing';
import { App, LocalBackend, S3Backend, TerraformStack } from 'cdktf';
import { type Construct } from 'constructs';
import { applyPolicy, enforcePolicy, evaluateStack, formatViolation, PolicyViolationError } from './aspect';
import { RULES } from './pack';
import { listSuppressions, suppress } from './suppressions';

const FIRST = firstEnvironment();
const PRODUCTION = environmentOfTier('production');
const TAGS = { Environment: FIRST, Team: 'platform', ManagedBy: 'terraform', CostCenter: 'CC-1' };

/** A stack shaped like a factory stack (S3 backend, tagged provider, env attached) with whatever `build` adds. */
class PolicyStack extends TerraformStack {
  constructor(scope: Construct, id: string, public readonly env: EnvironmentConfig, build: (s: PolicyStack) => void, tags: Record<string, string> = TAGS) {
    super(scope, id);
    new S3Backend(this, { bucket: 'state', key: `${env.name}/${id}.tfstate`, region: 'eu-west-1', encrypt: true, dynamodbTable: 'locks' });
    new AwsProvider(this, 'aws', { region: 'eu-west-1', defaultTags: [{ tags }] });
    build(this);
  }
}

function violations(build: (s: PolicyStack) => void, env = environmentFixture(FIRST), tags?: Record<string, string>) {
  const stack = new PolicyStack(new App(), 'probe', env, build, tags);
  return evaluateStack(stack);
}

const goodRepo = (s: Construct, id = 'Repo') =>
  new EcrRepository(s, id, { name: 'r', imageTagMutability: 'IMMUTABLE', imageScanningConfiguration: { scanOnPush: true }, encryptionConfiguration: [{ encryptionType: 'AES256' }] });

function goodBucket(s: Construct) {
  const bucket = new S3Bucket(s, 'Bucket', { bucket: 'b' });
  new S3BucketServerSideEncryptionConfigurationA(s, 'Enc', { bucket: bucket.id, rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms' } }] });
  new S3BucketPublicAccessBlock(s, 'Pab', { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
  const doc = new DataAwsIamPolicyDocument(s, 'TlsOnly', {
    statement: [
      {
        sid: 'DenyInsecureTransport',
        effect: 'Deny',
        actions: ['s3:*'],
        principals: [{ type: '*', identifiers: ['*'] }],
        resources: [bucket.arn, `${bucket.arn}/*`],
        condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
      },
    ],
  });
  new S3BucketPolicy(s, 'Policy', { bucket: bucket.id, policy: doc.json });
  return bucket;
}

type KeyStatement = NonNullable<ConstructorParameters<typeof DataAwsIamPolicyDocument>[2]>['statement'];
const ROOT = { sid: 'AccountAdministersKey', effect: 'Allow', principals: [{ type: 'AWS', identifiers: ['arn:aws:iam::111111111111:root'] }], actions: ['kms:*'], resources: ['*'] };
const LOGS = { sid: 'Logs', effect: 'Allow', principals: [{ type: 'Service', identifiers: ['logs.eu-west-1.amazonaws.com'] }], actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:GenerateDataKey*'], resources: ['*'] };
const LOGS_CONTEXT = { test: 'ArnLike', variable: 'kms:EncryptionContext:aws:logs:arn', values: ['arn:aws:logs:eu-west-1:111111111111:log-group:/platform/x/*'] };
const GRANT = { sid: 'Ecr', effect: 'Allow', principals: [{ type: 'AWS', identifiers: ['arn:aws:iam::111111111111:root'] }], actions: ['kms:CreateGrant'], resources: ['*'] };
const GRANT_CONDITIONS = [
  { test: 'Bool', variable: 'kms:GrantIsForAWSResource', values: ['true'] },
  { test: 'StringEquals', variable: 'kms:ViaService', values: ['ecr.eu-west-1.amazonaws.com'] },
];
/** A rotated key with the given key-policy statements, and what uses it. */
function keyWith(s: Construct, statement: KeyStatement, use: 'logs' | 'images' | 'none' = 'none') {
  const doc = new DataAwsIamPolicyDocument(s, 'KeyPolicy', { statement });
  const key = new KmsKey(s, 'Key', { enableKeyRotation: true, policy: doc.json });
  if (use === 'logs') new CloudwatchLogGroup(s, 'Logs', { name: 'l', retentionInDays: 30, kmsKeyId: key.arn });
  if (use === 'images') new EcrRepository(s, 'Repo', { name: 'r', imageTagMutability: 'IMMUTABLE', imageScanningConfiguration: { scanOnPush: true }, encryptionConfiguration: [{ encryptionType: 'KMS', kmsKey: key.arn }] });
}

/** platform-objects values holding one ApplicationSet with the given automated sync policy. */
const argoValues = (automated: object | null) =>
  JSON.stringify({ objects: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'ApplicationSet', metadata: { name: 'services' }, spec: { template: { spec: { syncPolicy: automated ? { automated } : { syncOptions: ['CreateNamespace=true'] } } } } }] });

describe('policy pack', () => {
  test('every rule has an id, a rationale and a fix', () => {
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
    for (const r of RULES) {
      expect(r.id).toMatch(/^[A-Z0-9]+-\d{3}$/);
      expect(r.rationale.length).toBeGreaterThan(20);
      expect(r.fix.length).toBeGreaterThan(10);
    }
  });

  // For every rule: a construct that passes and one that fails, with the offender's construct path.
  const cases: Array<[rule: string, pass: (s: PolicyStack) => void, fail: (s: PolicyStack) => void, path: RegExp, env?: EnvironmentConfig, tags?: Record<string, string>]> = [
    ['TAG-001', (s) => goodRepo(s), (s) => goodRepo(s), /probe\/Repo/, undefined, { Environment: FIRST, Team: 'platform', ManagedBy: 'terraform', CostCenter: '' }],
    ['ENC-001', (s) => goodRepo(s), (s) => new EcrRepository(s, 'Repo', { name: 'r', imageTagMutability: 'IMMUTABLE', imageScanningConfiguration: { scanOnPush: true } }), /probe\/Repo/],
    [
      'ENC-002',
      (s) => new CloudwatchLogGroup(s, 'Logs', { name: 'l', retentionInDays: 30, kmsKeyId: 'arn:aws:kms:eu-west-1:333333333333:key/k', lifecycle: { preventDestroy: true } }),
      (s) => new CloudwatchLogGroup(s, 'Logs', { name: 'l', retentionInDays: 30, lifecycle: { preventDestroy: true } }),
      /probe\/Logs/,
      environmentFixture(PRODUCTION, {}, FIRST),
    ],
    ['ENC-003', (s) => goodBucket(s), (s) => { goodBucket(s); s.node.tryRemoveChild('Enc'); }, /probe\/Bucket/],
    ['S3-001', (s) => goodBucket(s), (s) => { goodBucket(s); s.node.tryRemoveChild('Pab'); }, /probe\/Bucket/],
    ['S3-002', (s) => goodBucket(s), (s) => { goodBucket(s); s.node.tryRemoveChild('Policy'); }, /probe\/Bucket/],
    [
      'DDB-001',
      (s) => new DynamodbTable(s, 'Table', { name: 't', hashKey: 'LockID', attribute: [{ name: 'LockID', type: 'S' }], billingMode: 'PAY_PER_REQUEST', serverSideEncryption: { enabled: true }, pointInTimeRecovery: { enabled: true } }),
      (s) => new DynamodbTable(s, 'Table', { name: 't', hashKey: 'LockID', attribute: [{ name: 'LockID', type: 'S' }], billingMode: 'PAY_PER_REQUEST' }),
      /probe\/Table/,
    ],
    [
      'KMS-001',
      (s) => {
        const doc = new DataAwsIamPolicyDocument(s, 'KeyPolicy', { statement: [{ actions: ['kms:Decrypt'], resources: ['arn:aws:kms:eu-west-1:111111111111:key/k'], principals: [{ type: 'AWS', identifiers: ['arn:aws:iam::111111111111:root'] }] }] });
        new KmsKey(s, 'Key', { enableKeyRotation: true, policy: doc.json });
      },
      (s) => new KmsKey(s, 'Key', {}),
      /probe\/Key/,
    ],
    [
      'IAM-001',
      (s) => new DataAwsIamPolicyDocument(s, 'Doc', { statement: [{ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::b/*'] }] }),
      (s) => new DataAwsIamPolicyDocument(s, 'Doc', { statement: [{ actions: ['s3:*'], resources: ['arn:aws:s3:::b/*'] }] }),
      /probe\/Doc/,
    ],
    [
      'IAM-002',
      (s) => new DataAwsIamPolicyDocument(s, 'Doc', { statement: [{ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }] }),
      (s) => new IamPolicy(s, 'Literal', { name: 'p', policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ecr:BatchGetImage', Resource: '*' }] }) }),
      /probe\/Literal/,
    ],
    [
      'IAM-003',
      (s) =>
        new DataAwsIamPolicyDocument(s, 'Trust', {
          statement: [{ actions: ['sts:AssumeRoleWithWebIdentity'], principals: [{ type: 'Federated', identifiers: ['arn:aws:iam::1:oidc-provider/x'] }], condition: [{ test: 'StringEquals', variable: 'x:sub', values: ['system:serviceaccount:ns:sa'] }, { test: 'StringEquals', variable: 'x:aud', values: ['sts.amazonaws.com'] }] }],
        }),
      (s) =>
        new DataAwsIamPolicyDocument(s, 'Trust', {
          statement: [{ actions: ['sts:AssumeRoleWithWebIdentity'], principals: [{ type: 'Federated', identifiers: ['arn:aws:iam::1:oidc-provider/x'] }], condition: [{ test: 'StringLike', variable: 'x:sub', values: ['system:serviceaccount:ns:*'] }] }],
        }),
      /probe\/Trust/,
    ],
    ['ECR-001', (s) => goodRepo(s), (s) => new EcrRepository(s, 'Repo', { name: 'r', imageScanningConfiguration: { scanOnPush: true }, encryptionConfiguration: [{ encryptionType: 'AES256' }] }), /probe\/Repo/],
    ['ECR-002', (s) => goodRepo(s), (s) => new EcrRepository(s, 'Repo', { name: 'r', imageTagMutability: 'IMMUTABLE', encryptionConfiguration: [{ encryptionType: 'AES256' }] }), /probe\/Repo/],
    ['LOG-001', (s) => new CloudwatchLogGroup(s, 'Logs', { name: 'l', retentionInDays: 30 }), (s) => new CloudwatchLogGroup(s, 'Logs', { name: 'l' }), /probe\/Logs/],
    [
      'K8S-001',
      (s) => { new HelmProvider(s, 'helm', {}); new Release(s, 'Chart', { name: 'argo-cd', repository: 'https://argoproj.github.io/argo-helm', chart: 'argo-cd', version: '7.7.3' }); },
      (s) => { new HelmProvider(s, 'helm', {}); new Release(s, 'Chart', { name: 'argo-cd', repository: 'https://argoproj.github.io/argo-helm', chart: 'argo-cd', version: '^7.0.0' }); },
      /probe\/Chart/,
    ],
    [
      'K8S-002',
      (s) => { new HelmProvider(s, 'helm', {}); new Release(s, 'Chart', { name: 'app', repository: 'https://x', chart: 'app', version: '1.0.0', values: ['db:\n  existingSecret: app-db\n  passwordKey: password\n'] }); },
      (s) => { new HelmProvider(s, 'helm', {}); new Release(s, 'Chart', { name: 'app', repository: 'https://x', chart: 'app', version: '1.0.0', values: ['db:\n  password: hunter2\n'] }); },
      /probe\/Chart/,
    ],
    [
      'K8S-003',
      (s) => { new HelmProvider(s, 'helm', {}); new Release(s, 'Objects', { name: 'objects', chart: './charts/platform-objects', values: [argoValues(null)] }); },
      (s) => { new HelmProvider(s, 'helm', {}); new Release(s, 'Objects', { name: 'objects', chart: './charts/platform-objects', values: [argoValues({ prune: true, selfHeal: true })] }); },
      /probe\/Objects/,
      environmentFixture(PRODUCTION, {}, FIRST),
    ],
    ['KMS-002', (s) => keyWith(s, [ROOT]), (s) => keyWith(s, [{ ...ROOT, actions: ['kms:Describe*'] }]), /probe\/Key/],
    ['KMS-003', (s) => keyWith(s, [ROOT, { ...LOGS, condition: [LOGS_CONTEXT] }], 'logs'), (s) => keyWith(s, [ROOT, LOGS], 'logs'), /probe\/Key/],
    ['KMS-004', (s) => keyWith(s, [ROOT, { ...GRANT, condition: GRANT_CONDITIONS }], 'images'), (s) => keyWith(s, [ROOT, { ...GRANT, condition: [GRANT_CONDITIONS[1]!] }], 'images'), /probe\/Key/],
    ['STATE-002', (s) => new CloudwatchLogGroup(s, 'Logs', { name: 'l', retentionInDays: 30, lifecycle: { preventDestroy: true } }), (s) => new CloudwatchLogGroup(s, 'Logs', { name: 'l', retentionInDays: 30 }), /probe\/Logs/, environmentFixture(FIRST, { preventDestroy: true })],
  ];

  test('every rule but the backend rule has a pass/fail case here', () => {
    expect(cases.map((c) => c[0]).sort()).toEqual(RULES.map((r) => r.id).filter((id) => id !== 'STATE-001').sort());
  });

  test.each(cases)('%s: GIVEN a compliant construct THEN no violation; GIVEN an offender THEN a violation naming its path', (...[rule, pass, fail, path, env, tags]) => {
    expect(violations(pass, env).filter((v) => v.rule === rule)).toEqual([]);
    const found = violations(fail, env, tags).filter((v) => v.rule === rule);
    expect(found.length).toBeGreaterThan(0);
    expect(found[0].path).toMatch(path);
  });

  test('IAM-002: GIVEN kms:ListAliases on "*" (AWS scopes it no further) THEN no violation; GIVEN kms:DescribeKey on "*" THEN a violation', () => {
    const list = violations((s) => new DataAwsIamPolicyDocument(s, 'Doc', { statement: [{ actions: ['kms:ListAliases'], resources: ['*'] }] }));
    expect(list.filter((v) => v.rule === 'IAM-002')).toEqual([]);
    const describeAll = violations((s) => new DataAwsIamPolicyDocument(s, 'Doc', { statement: [{ actions: ['kms:ListAliases', 'kms:DescribeKey'], resources: ['*'] }] }));
    expect(describeAll.filter((v) => v.rule === 'IAM-002').map((v) => v.message)).toEqual([expect.stringMatching(/Resource "\*" for kms:DescribeKey$/)]);
  });

  describe('KMS-003 and KMS-004 (what a key used by logs and images must allow)', () => {
    test('GIVEN a key used by a log group whose policy does not mention CloudWatch Logs THEN the key is reported', () => {
      const found = violations((s) => keyWith(s, [ROOT], 'logs')).filter((v) => v.rule === 'KMS-003');
      expect(found.map((v) => v.message)).toEqual(['KMS key encrypts 1 log group(s) but its policy does not allow logs.<region>.amazonaws.com']);
    });
    test('GIVEN a key with a literal JSON policy (as EnvironmentKey writes it) THEN the rules read it too', () => {
      const literal = (s: Construct, statement: object[]) => {
        const key = new KmsKey(s, 'Key', { enableKeyRotation: true, policy: JSON.stringify({ Version: '2012-10-17', Statement: statement }) });
        new CloudwatchLogGroup(s, 'Logs', { name: 'l', retentionInDays: 30, kmsKeyId: key.arn });
      };
      const root = { Sid: 'Admin', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111111111111:root' }, Action: 'kms:*', Resource: '*' };
      const logs = { Sid: 'Logs', Effect: 'Allow', Principal: { Service: 'logs.eu-west-1.amazonaws.com' }, Action: ['kms:Encrypt*'], Resource: '*' };
      const context = { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': 'arn:aws:logs:eu-west-1:111111111111:log-group:/platform/x/*' } };
      expect(violations((s) => literal(s, [root, { ...logs, Condition: context }])).filter((v) => v.rule.startsWith('KMS-'))).toEqual([]);
      expect(violations((s) => literal(s, [root, logs])).filter((v) => v.rule === 'KMS-003')).toHaveLength(1);
      expect(violations((s) => literal(s, [logs])).filter((v) => v.rule === 'KMS-002')).toHaveLength(1);
    });

    test('GIVEN a key no log group or repository uses THEN neither rule applies', () => {
      expect(violations((s) => keyWith(s, [ROOT])).filter((v) => v.rule === 'KMS-003' || v.rule === 'KMS-004')).toEqual([]);
    });
    test('GIVEN a grant statement without kms:GrantIsForAWSResource THEN the key is reported', () => {
      const found = violations((s) => keyWith(s, [ROOT, { ...GRANT, condition: [GRANT_CONDITIONS[1]!] }], 'images')).filter((v) => v.rule === 'KMS-004');
      expect(found).toHaveLength(1);
    });
  });

  describe('STATE-001 (backend)', () => {
    test('GIVEN an encrypted, locked S3 backend THEN it passes', () => {
      expect(violations(() => undefined).filter((v) => v.rule === 'STATE-001')).toEqual([]);
    });
    test('GIVEN a local backend THEN the stack is reported', () => {
      const app = new App();
      const stack = new TerraformStack(app, 'local');
      new LocalBackend(stack, {});
      expect(evaluateStack(stack).map(formatViolation)).toContainEqual(expect.stringMatching(/^\[STATE-001\] local: stack uses the "local" backend, not s3 — fix: /));
    });
    test('GIVEN an unencrypted, unlocked S3 backend THEN both problems are reported', () => {
      const stack = new TerraformStack(new App(), 'plain');
      new S3Backend(stack, { bucket: 'b', key: 'x/y.tfstate', region: 'eu-west-1' });
      const messages = evaluateStack(stack).filter((v) => v.rule === 'STATE-001').map((v) => v.message);
      expect(messages).toEqual(['S3 backend: encrypt is not true', 'S3 backend: no lock (dynamodb_table or use_lockfile)']);
    });
  });

  test('GIVEN a tag mismatch with the environment THEN TAG-001 names the value and the stack environment', () => {
    const OTHER = generatedEnvironmentName('policy');
    const v = violations((s) => goodRepo(s), environmentFixture(FIRST), { ...TAGS, Environment: OTHER });
    expect(v.map((x) => x.message)).toContain(`aws_ecr_repository has Environment="${OTHER}" in the ${FIRST} stack`);
  });

  test('GIVEN a resource without tags support THEN TAG-001 ignores it', () => {
    const v = violations((s) => new S3BucketPublicAccessBlock(s, 'Pab', { bucket: 'b', blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }), environmentFixture(FIRST), {});
    expect(v.filter((x) => x.rule === 'TAG-001')).toEqual([]);
  });

  describe('suppressions', () => {
    test('GIVEN a suppression with a justification THEN the finding is dropped and the suppression is listed', () => {
      const app = new App();
      const stack = new PolicyStack(app, 'probe', environmentFixture(FIRST), (s) => {
        const logs = new CloudwatchLogGroup(s, 'Logs', { name: 'l' });
        suppress(logs, 'LOG-001', 'audit trail kept forever by regulation RX-12');
      });
      expect(evaluateStack(stack).filter((v) => v.rule === 'LOG-001')).toEqual([]);
      expect(listSuppressions(app)).toEqual([{ rule: 'LOG-001', path: 'probe/Logs', justification: 'audit trail kept forever by regulation RX-12' }]);
    });
    test('GIVEN an unknown rule or a thin justification THEN suppress throws saying what is needed', () => {
      const stack = new TerraformStack(new App(), 's');
      expect(() => suppress(stack, 'LOG-999', 'a long enough justification here')).toThrow(/unknown policy rule "LOG-999" — use one of TAG-001/);
      expect(() => suppress(stack, 'LOG-001', 'because')).toThrow(/justification must explain the exception in at least 20 characters \(got "because"\)/);
    });
  });

  test('GIVEN the policy gate applied to an app WHEN an offending stack is synthesized THEN synth fails with rule, path and fix', () => {
    const app = new App({ outdir: '/tmp/policy-gate-test' });
    new PolicyStack(app, 'probe', environmentFixture(FIRST), (s) => new CloudwatchLogGroup(s, 'Logs', { name: 'l' }));
    applyPolicy(app);
    expect(() => app.synth()).toThrow(/\[LOG-001\] probe\/Logs: log group has no retention_in_days — fix: Set retention_in_days/);
  });
});

describe('enforcePolicy (the gate on synthesized output)', () => {
  test('GIVEN a violating stack WHEN synthesized atomically THEN synth fails listing the violation and the previous output stays', () => {
    const work = mkdtempSync(path.join(tmpdir(), 'policy-synth-'));
    const outdir = path.join(work, 'cdktf.out');
    try {
      synthesizeAtomically(outdir, (app) => new PolicyStack(app, 'probe', environmentFixture(FIRST), (s) => goodRepo(s)), enforcePolicy);
      const before = readFileSync(path.join(outdir, 'stacks/probe/cdk.tf.json'), 'utf8');
      let error: unknown;
      try {
        synthesizeAtomically(outdir, (app) => new PolicyStack(app, 'probe', environmentFixture(FIRST), (s) => new CloudwatchLogGroup(s, 'Logs', { name: 'l' })), enforcePolicy);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(PolicyViolationError);
      expect((error as Error).message).toMatch(/^policy gate: 1 violation:\n {2}- \[LOG-001\] probe\/Logs: log group has no retention_in_days — fix: /);
      expect(readFileSync(path.join(outdir, 'stacks/probe/cdk.tf.json'), 'utf8')).toBe(before);
      expect(readdirSync(work)).toEqual(['cdktf.out']);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
