import { ConfigError } from '@platform/config';
import { CI_ROLE_PURPOSES, type CiRolePurpose } from '@platform/naming';
import { awsTestStack, dataSourcesOf, synthJson, type StackJson } from '@platform/testing';
import { rolesOf, type IamPolicy, type IamStatement, type SynthesizedRole } from '../test/synthesized-policies';
import { CiIdentity } from './ci-identity';
import { permissionStatements } from './permissions';
import { type CiEnvironmentProps, type CiIdentityProps } from './props';

// Made-up environments (never a real envs/ name): two sharing one account and bucket.
const REPO = 'example-org/example-repo';
const ACCOUNT = '123456789012';
const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-4333-8444-555555555555';
const BACKUP_KEY = 'arn:aws:kms:eu-central-1:123456789012:key/66666666-7777-4888-9999-000000000000';
const OWN_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const env = (name: string, extra: Partial<CiEnvironmentProps> = {}): CiEnvironmentProps => ({
  name,
  accountId: ACCOUNT,
  region: 'eu-west-1',
  dns: { zoneId: 'Z0EXAMPLE0000001', zoneName: `${name}.example.test` },
  clusterName: `cluster-${name}`,
  ...extra,
});
const STATE = {
  bucketName: 'example-tfstate',
  region: 'eu-west-1',
  lockTableName: 'example-locks',
  useLockfile: true,
  backupBucketName: 'example-tfstate-backup',
  kmsKeyArn: KEY,
  backupKmsKeyArn: BACKUP_KEY,
  backupRegion: 'eu-central-1',
} as const;
const props = (over: Partial<CiIdentityProps> = {}): CiIdentityProps => ({
  repository: REPO,
  state: STATE,
  environments: [env('alphaenv'), env('betaenv', { workloadKmsKeyArns: [KEY], environmentKey: { arn: OWN_KEY, alias: 'alias/platform/betaenv' } })],
  ...over,
});

function synth(p: CiIdentityProps = props()): { json: StackJson; roles: Map<string, SynthesizedRole>; identity: CiIdentity } {
  const stack = awsTestStack();
  const identity = new CiIdentity(stack, 'CiIdentity', p);
  const json = synthJson(stack);
  return { json, identity, roles: new Map(rolesOf('test', json, false).map((r) => [r.name, r])) };
}

const statementsOf = (role: SynthesizedRole): IamStatement[] => role.permissions.flatMap((p: IamPolicy) => p.Statement);
const allowed = (role: SynthesizedRole): IamStatement[] => statementsOf(role).filter((s) => s.Effect === 'Allow');
const sid = (role: SynthesizedRole, id: string): IamStatement | undefined => statementsOf(role).find((s) => s.Sid === id);

const SUBJECTS: Record<CiRolePurpose, (e: string) => string> = {
  'pr-plan': () => `repo:${REPO}:pull_request`,
  plan: (e) => `repo:${REPO}:environment:${e}-plan`,
  apply: (e) => `repo:${REPO}:environment:${e}`,
  drift: (e) => `repo:${REPO}:environment:${e}-drift`,
  backup: (e) => `repo:${REPO}:environment:${e}-backup`,
};

describe('CiIdentity', () => {
  const { json, roles, identity } = synth();

  test('GIVEN two environments WHEN synthesized THEN each gets the five CI roles named by ciRoleName, with one inline policy each', () => {
    expect([...roles.keys()].sort()).toEqual(
      ['alphaenv', 'betaenv'].flatMap((e) => CI_ROLE_PURPOSES.map((p) => `platform-ci-${e}-${p}`)).sort(),
    );
    for (const role of roles.values()) expect(role.permissions).toHaveLength(1);
    expect(identity.roles.get('betaenv')!.apply).toMatchObject({ roleName: 'platform-ci-betaenv-apply', subject: `repo:${REPO}:environment:betaenv` });
  });

  test.each(CI_ROLE_PURPOSES.flatMap((p) => ['alphaenv', 'betaenv'].map((e) => [e, p] as const)))(
    'GIVEN %s/%s WHEN its trust is read THEN it trusts exactly one GitHub subject with StringEquals on sub and aud, through the OIDC provider only',
    (e, purpose) => {
      const role = roles.get(`platform-ci-${e}-${purpose}`)!;
      expect(role.trust.Statement).toEqual([
        {
          Sid: 'GitHubActionsExactSubject',
          Effect: 'Allow',
          Action: ['sts:AssumeRoleWithWebIdentity'],
          Principal: { Federated: ['${aws_iam_openid_connect_provider.CiIdentity_GitHubOidc_85CD2C85.arn}'] },
          Condition: {
            StringEquals: {
              'token.actions.githubusercontent.com:aud': ['sts.amazonaws.com'],
              'token.actions.githubusercontent.com:sub': [SUBJECTS[purpose](e)],
            },
          },
        },
      ]);
    },
  );

  test('GIVEN the default WHEN synthesized THEN the GitHub OIDC provider is created for sts.amazonaws.com', () => {
    expect(json).toHaveResourceDeep('aws_iam_openid_connect_provider', {
      url: 'https://token.actions.githubusercontent.com',
      client_id_list: ['sts.amazonaws.com'],
    });
  });

  test('GIVEN oidcProvider "lookup" WHEN synthesized THEN the provider is read, not created, and every trust names the looked-up ARN', () => {
    const looked = synth(props({ oidcProvider: 'lookup' }));
    expect(looked.json).toHaveNoResource('aws_iam_openid_connect_provider');
    expect(looked.json).toHaveDataSourceDeep('aws_iam_openid_connect_provider', { url: 'https://token.actions.githubusercontent.com' });
    for (const role of looked.roles.values()) {
      expect(role.trust.Statement[0]!.Principal).toEqual({ Federated: [expect.stringMatching(/^\$\{data\.aws_iam_openid_connect_provider\./)] });
    }
  });

  describe('GIVEN the pr-plan role', () => {
    const role = roles.get('platform-ci-alphaenv-pr-plan')!;

    test('THEN it reads only its own state prefix and objects', () => {
      expect(sid(role, 'StateListOwnPrefix')).toEqual({
        Sid: 'StateListOwnPrefix',
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: ['arn:aws:s3:::example-tfstate'],
        Condition: { StringLike: { 's3:prefix': ['alphaenv/*', 'env:/'] } },
      });
      expect(sid(role, 'StateReadOwnObjects')).toMatchObject({ Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::example-tfstate/alphaenv/*'] });
    });

    test('THEN its only writes are its own lock entries: lock-table items of its state keys and its .tflock objects', () => {
      const writes = allowed(role).filter((s) => (s.Action ?? []).some((a) => !/^[a-z0-9-]+:(Get|List|Describe)/.test(a) && a !== 'kms:Decrypt'));
      expect(writes).toEqual([
        {
          Sid: 'StateLockTableWriteOwnLocks',
          Effect: 'Allow',
          Action: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
          Resource: [`arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/example-locks`],
          Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['example-tfstate/alphaenv/*.tfstate'] } },
        },
        {
          Sid: 'StateKeyEncryptLockEntriesThroughDynamoDb',
          Effect: 'Allow',
          Action: ['kms:Encrypt', 'kms:GenerateDataKey'],
          Resource: [KEY],
          Condition: { StringEquals: { 'kms:ViaService': ['dynamodb.eu-west-1.amazonaws.com'] } },
        },
        {
          Sid: 'StateLockfileWriteOwnLocks',
          Effect: 'Allow',
          Action: ['s3:PutObject', 's3:DeleteObject'],
          Resource: ['arn:aws:s3:::example-tfstate/alphaenv/*.tflock'],
        },
      ]);
    });

    test('THEN it cannot assume any role, read secret values or SSM parameters, or decrypt outside the state key', () => {
      const actions = allowed(role).flatMap((s) => s.Action ?? []);
      expect(actions.filter((a) => /^sts:/.test(a))).toEqual([]);
      expect(actions.filter((a) => /^(secretsmanager|ssm|iam:Pass|eks):/.test(a))).toEqual([]);
      expect(sid(role, 'DenyRoleChaining')).toMatchObject({ Effect: 'Deny', Action: expect.arrayContaining(['sts:AssumeRole', 'sts:AssumeRoleWithWebIdentity']), Resource: ['*'] });
      expect(sid(role, 'DenySecretValues')).toMatchObject({ Effect: 'Deny', Action: expect.arrayContaining(['secretsmanager:GetSecretValue']), Resource: ['*'] });
      expect(sid(role, 'DenyParameterValues')).toMatchObject({ Effect: 'Deny', Action: expect.arrayContaining(['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath']) });
      expect(sid(role, 'DenyDecryptOutsideStateKey')).toMatchObject({ Effect: 'Deny', Action: expect.arrayContaining(['kms:Decrypt']), NotResource: [KEY] });
      expect(sid(role, 'StateKeyDecryptThroughS3AndDynamoDb')).toMatchObject({ Action: ['kms:Decrypt'], Resource: [KEY] });
    });

    test('THEN it cannot describe the cluster (pull requests never plan cluster stacks)', () => {
      expect(allowed(role).flatMap((s) => s.Action ?? []).filter((a) => a.startsWith('eks:'))).toEqual([]);
      expect(sid(roles.get('platform-ci-alphaenv-plan')!, 'EksDescribeOwnCluster')).toMatchObject({
        Resource: [`arn:aws:eks:eu-west-1:${ACCOUNT}:cluster/cluster-alphaenv`],
      });
    });
  });

  describe('GIVEN the apply role', () => {
    const role = roles.get('platform-ci-betaenv-apply')!;

    test('THEN it creates roles only with its environment\'s boundary attached and only under the workload name patterns', () => {
      expect(sid(role, 'IamCreateWorkloadRolesWithinBoundary')).toEqual({
        Sid: 'IamCreateWorkloadRolesWithinBoundary',
        Effect: 'Allow',
        Action: ['iam:CreateRole', 'iam:PutRolePermissionsBoundary', 'iam:PutRolePolicy'],
        Resource: [`arn:aws:iam::${ACCOUNT}:role/*-betaenv-workload`, `arn:aws:iam::${ACCOUNT}:role/external-secrets-betaenv-irsa`],
        Condition: { ArnEquals: { 'iam:PermissionsBoundary': [`arn:aws:iam::${ACCOUNT}:policy/platform-ci-betaenv-workload-boundary`] } },
      });
      const iam = allowed(role).flatMap((s) => (s.Action ?? []).filter((a) => a.startsWith('iam:')).map((a) => [a, s.Resource]));
      for (const [, resources] of iam) {
        for (const r of resources as string[]) expect(r).toMatch(/:role\/(\*-betaenv-workload|external-secrets-betaenv-irsa)$/);
      }
      expect(iam.map(([a]) => a)).not.toContain('iam:AttachRolePolicy');
      expect(iam.map(([a]) => a)).not.toContain('iam:PassRole');
      expect(sid(role, 'DenyBoundaryRemoval')).toMatchObject({ Effect: 'Deny', Action: ['iam:DeleteRolePermissionsBoundary'] });
      expect(sid(role, 'DenyCiRoleChanges')).toMatchObject({ Effect: 'Deny', Resource: [`arn:aws:iam::${ACCOUNT}:role/platform-ci-betaenv-*`] });
    });

    test('THEN it manages only its environment\'s repositories, log groups and zone records, and writes only its state prefix', () => {
      expect(sid(role, 'EcrManageOwnRepositories')!.Resource).toEqual([`arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/*-betaenv`]);
      expect(sid(role, 'LogsManageOwnGroups')!.Resource).toEqual([`arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/platform/betaenv/*`]);
      expect(sid(role, 'Route53ChangeOwnRecords')).toMatchObject({
        Resource: ['arn:aws:route53:::hostedzone/Z0EXAMPLE0000001'],
        Condition: {
          'ForAllValues:StringLike': { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['betaenv.example.test', '*.betaenv.example.test'] },
          'ForAllValues:StringEquals': { 'route53:ChangeResourceRecordSetsRecordTypes': ['A', 'AAAA', 'CNAME'] },
        },
      });
      expect(sid(role, 'StateWriteOwnObjects')!.Resource).toEqual(['arn:aws:s3:::example-tfstate/betaenv/*']);
      expect(sid(role, 'DenyVerificationRecords')).toMatchObject({
        Effect: 'Deny',
        Action: ['route53:ChangeResourceRecordSets'],
        Condition: { 'ForAnyValue:StringLike': { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['_*', '*._*'] } },
      });
      // The external key the environment file names and the environment's own key, both only through ECR.
      expect(sid(role, 'KmsGrantWorkloadKeysToEcr')).toEqual({
        Sid: 'KmsGrantWorkloadKeysToEcr',
        Effect: 'Allow',
        Action: ['kms:CreateGrant'],
        Resource: [KEY, OWN_KEY],
        Condition: { StringEquals: { 'kms:ViaService': ['ecr.eu-west-1.amazonaws.com'] }, Bool: { 'kms:GrantIsForAWSResource': ['true'] } },
      });
      expect(sid(role, 'KmsDescribeWorkloadKeysThroughEcr')).toEqual({
        Sid: 'KmsDescribeWorkloadKeysThroughEcr',
        Effect: 'Allow',
        Action: ['kms:DescribeKey', 'kms:RetireGrant'],
        Resource: [KEY, OWN_KEY],
        Condition: { StringEquals: { 'kms:ViaService': ['ecr.eu-west-1.amazonaws.com'] } },
      });
      expect(sid(roles.get('platform-ci-alphaenv-apply')!, 'KmsGrantWorkloadKeysToEcr')).toBeUndefined();
    });

    test('THEN it can neither assume roles nor read secret values', () => {
      expect(allowed(role).flatMap((s) => s.Action ?? []).filter((a) => /^(sts|secretsmanager|ssm):/.test(a))).toEqual([]);
      expect(sid(role, 'DenyRoleChaining')).toBeDefined();
      expect(sid(role, 'DenySecretValues')).toBeDefined();
    });
  });

  describe('GIVEN the backup role', () => {
    const role = roles.get('platform-ci-alphaenv-backup')!;

    test('THEN it lists and reads only its own environment\'s state objects (no bootstrap.tfstate, no other environment)', () => {
      expect(sid(role, 'StateListOwnPrefix')).toEqual({
        Sid: 'StateListOwnPrefix',
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: ['arn:aws:s3:::example-tfstate'],
        Condition: { StringLike: { 's3:prefix': ['alphaenv/*'] } },
      });
      expect(sid(role, 'StateReadOwnStateObjects')).toEqual({
        Sid: 'StateReadOwnStateObjects',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:GetObjectVersion'],
        Resource: ['arn:aws:s3:::example-tfstate/alphaenv/*.tfstate'],
      });
      const stateResources = allowed(role).flatMap((s) => s.Resource ?? []).filter((r) => r.startsWith('arn:aws:s3:::example-tfstate/'));
      expect(stateResources).toEqual(['arn:aws:s3:::example-tfstate/alphaenv/*.tfstate']);
    });

    test('THEN it writes and reads back copies only under its own prefix of the backup bucket, and never deletes', () => {
      expect(sid(role, 'BackupListOwnPrefix')).toEqual({
        Sid: 'BackupListOwnPrefix',
        Effect: 'Allow',
        Action: ['s3:ListBucket', 's3:ListBucketVersions'],
        Resource: ['arn:aws:s3:::example-tfstate-backup'],
        Condition: { StringLike: { 's3:prefix': ['alphaenv/*'] } },
      });
      expect(sid(role, 'BackupReadEncryptionConfiguration')).toMatchObject({ Action: ['s3:GetEncryptionConfiguration'], Resource: ['arn:aws:s3:::example-tfstate-backup'] });
      const writes = allowed(role).filter((s) => (s.Action ?? []).some((a) => /^s3:(Put|Delete)/.test(a)));
      expect(writes).toEqual([
        {
          Sid: 'BackupWriteAndVerifyOwnCopies',
          Effect: 'Allow',
          Action: ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject'],
          Resource: ['arn:aws:s3:::example-tfstate-backup/alphaenv/*.tfstate'],
        },
      ]);
      expect(allowed(role).flatMap((s) => s.Action ?? []).filter((a) => /^(dynamodb|iam|ecr|logs|route53|eks|sts):|Delete/.test(a))).toEqual([]);
    });

    test('THEN it decrypts state through S3 in the state region, and encrypts and reads copies with the backup key through S3 in the backup region only', () => {
      expect(sid(role, 'StateKeyDecryptThroughS3')).toEqual({
        Sid: 'StateKeyDecryptThroughS3',
        Effect: 'Allow',
        Action: ['kms:Decrypt'],
        Resource: [KEY],
        Condition: { StringEquals: { 'kms:ViaService': ['s3.eu-west-1.amazonaws.com'] } },
      });
      expect(sid(role, 'BackupKeyThroughS3InBackupRegion')).toEqual({
        Sid: 'BackupKeyThroughS3InBackupRegion',
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: [BACKUP_KEY],
        Condition: { StringEquals: { 'kms:ViaService': ['s3.eu-central-1.amazonaws.com'] } },
      });
      expect(sid(role, 'DenyDecryptOutsideStateKey')).toMatchObject({ Effect: 'Deny', NotResource: [KEY, BACKUP_KEY] });
      // Every other role still decrypts with the state key only.
      expect(sid(roles.get('platform-ci-alphaenv-apply')!, 'DenyDecryptOutsideStateKey')).toMatchObject({ NotResource: [KEY] });
    });
  });

  describe("GIVEN an environment with its own KMS key (created by the bootstrap)", () => {
    test.each(['pr-plan', 'plan', 'drift', 'apply'] as const)('THEN its %s role lists aliases and describes the key only when the request names its alias', (purpose) => {
      const role = roles.get(`platform-ci-betaenv-${purpose}`)!;
      expect(sid(role, 'KmsListAliases')).toEqual({ Sid: 'KmsListAliases', Effect: 'Allow', Action: ['kms:ListAliases'], Resource: ['*'] });
      expect(sid(role, 'KmsDescribeEnvironmentKeyByAlias')).toEqual({
        Sid: 'KmsDescribeEnvironmentKeyByAlias',
        Effect: 'Allow',
        Action: ['kms:DescribeKey'],
        Resource: [OWN_KEY],
        Condition: { StringEquals: { 'kms:RequestAlias': ['alias/platform/betaenv'] } },
      });
      expect(sid(roles.get(`platform-ci-alphaenv-${purpose}`)!, 'KmsDescribeEnvironmentKeyByAlias')).toBeUndefined();
      expect(sid(roles.get(`platform-ci-alphaenv-${purpose}`)!, 'KmsListAliases')).toBeUndefined();
    });

    test('THEN no CI role holds a key-administration action, on any key', () => {
      for (const role of roles.values()) {
        const kms = allowed(role).flatMap((s) => s.Action ?? []).filter((a) => a.startsWith('kms:'));
        expect({ role: role.name, admin: kms.filter((a) => !/^kms:(Decrypt|Encrypt|GenerateDataKey|DescribeKey|ListAliases|CreateGrant|RetireGrant)$/.test(a)) }).toEqual({ role: role.name, admin: [] });
      }
      expect(sid(roles.get('platform-ci-betaenv-backup')!, 'KmsDescribeEnvironmentKeyByAlias')).toBeUndefined();
    });
  });

  test('GIVEN the drift role THEN it reads like the plan role and writes nothing but its locks', () => {
    const drift = roles.get('platform-ci-alphaenv-drift')!;
    const plan = roles.get('platform-ci-alphaenv-plan')!;
    expect(statementsOf(drift)).toEqual(statementsOf(plan));
  });

  test('GIVEN an environment WHEN synthesized THEN its workload boundary allows only reading its own secrets', () => {
    const docs = dataSourcesOf(json, 'aws_iam_policy_document');
    const boundary = Object.entries(docs).find(([id]) => id.includes('WorkloadBoundary'))![1];
    expect(boundary.statement).toEqual([
      expect.objectContaining({ sid: 'ReadOwnEnvironmentSecrets', resources: [`arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:alphaenv/*`] }),
      expect.objectContaining({ sid: 'DecryptSecretsThroughSecretsManager', condition: [expect.objectContaining({ values: ['secretsmanager.eu-west-1.amazonaws.com'] })] }),
    ]);
    expect(json).toHaveResourceDeep('aws_iam_policy', { name: 'platform-ci-alphaenv-workload-boundary' });
  });

  test('GIVEN no lock table and no lockfile and AES256 state WHEN permissions are built THEN no lock or KMS rights appear and decrypt is denied everywhere', () => {
    const statements = permissionStatements(env('alphaenv'), { bucketName: 'b-x', region: 'eu-west-1', backupBucketName: 'b-x-backup' }, 'pr-plan');
    expect(statements.map((s) => s.sid)).not.toEqual(expect.arrayContaining(['StateLockTableWriteOwnLocks']));
    expect(statements.find((s) => s.sid === 'StateLockfileWriteOwnLocks')).toBeUndefined();
    expect(statements.find((s) => s.sid === 'DenyDecryptOutsideStateKey')).toMatchObject({ resources: ['*'] });
  });

  test('GIVEN invalid props WHEN constructed THEN one ConfigError lists every problem', () => {
    const bad = () =>
      new CiIdentity(awsTestStack(), 'CiIdentity', {
        repository: 'example-org/*',
        state: STATE,
        environments: [env('alphaenv'), env('alphaenv'), env('gammaenv', { accountId: '999999999999' })],
      });
    expect(bad).toThrow(ConfigError);
    expect(bad).toThrow(/environments\[1\]\.name "alphaenv" is listed twice/);
    expect(bad).toThrow(/environments .* span several accounts/);
    expect(bad).toThrow(/repository "example-org\/\*" is not a GitHub repository/);
  });
});
