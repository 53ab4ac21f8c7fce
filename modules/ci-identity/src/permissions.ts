import { type DataAwsIamPolicyDocumentStatement } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import {
  ciRoleName,
  logGroupName,
  repositoryName,
  resourceName,
  stateBackupBucketName,
  workloadBoundaryPolicyArn,
  workloadRoleName,
  type CiRolePurpose,
} from '@platform/naming';
import { type CiEnvironmentProps, type CiStateProps } from './props';

/**
 * The rights of each CI role, one statement per intent, each with a `sid`. Pure functions of the
 * environment and its state bucket, so tests can read them without synthesizing.
 *
 * Scoping, and where AWS does not allow it (docs/pr-flow.md "Roles" lists the same):
 * - ECR repositories `<service>-<env>`, log groups `/platform/<env>/…`, IAM roles `<service>-<env>-workload`
 *   and `external-secrets-<env>-irsa`, the environment's hosted zone and cluster: by name/ARN.
 * - `logs:DescribeLogGroups` is authorized on `*` only (AWS lists groups account-wide); it returns
 *   metadata (names, retention, KMS key), never log events.
 * - `route53:GetChange` has no zone in its ARN (`change/*`); it returns only a change's status.
 * - Route53 record changes are limited by condition to the zone's names and to the A/AAAA/CNAME types.
 * - The state bucket's `ListBucket` is limited by the `s3:prefix` condition to `<env>/`.
 * - `kms:ListAliases` is authorized on `*` only (AWS lists aliases account-wide); it returns alias names and
 *   key IDs, never key material. The `aws_kms_alias` data source lists aliases before it describes the key.
 * - The environment's own KMS key is described only by its alias (`kms:RequestAlias`); no CI role may
 *   create a key, write a key policy or schedule a deletion (the bootstrap, applied by an administrator, does).
 */

/** GitHub's OIDC issuer host: the prefix of the `sub`/`aud` condition keys. */
export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';
/** The audience aws-actions/configure-aws-credentials asks for. */
export const GITHUB_OIDC_AUDIENCE = 'sts.amazonaws.com';

/** The GitHub environment whose jobs may assume a purpose's role (undefined: pull requests, no environment). */
export function githubEnvironmentOf(env: string, purpose: CiRolePurpose): string | undefined {
  switch (purpose) {
    case 'pr-plan':
      return undefined;
    case 'apply':
      return env;
    default:
      return `${env}-${purpose}`;
  }
}

/** The one OIDC subject a purpose's role trusts: `repo:<org>/<repo>:pull_request` or `repo:<org>/<repo>:environment:<name>`. */
export function githubSubject(repository: string, env: string, purpose: CiRolePurpose): string {
  const environment = githubEnvironmentOf(env, purpose);
  return environment === undefined ? `repo:${repository}:pull_request` : `repo:${repository}:environment:${environment}`;
}

/** Everything the statements below need to know, with ARNs built once. */
export interface ScopeArns {
  readonly env: string;
  readonly stateBucket: string;
  readonly stateObjects: string;
  readonly lockfiles: string;
  readonly lockTable?: string;
  readonly stateKey?: string;
  readonly backupBucket: string;
  readonly repositories: string;
  readonly logGroups: string;
  readonly workloadRoles: readonly string[];
  readonly boundary: string;
  readonly zone: string;
  readonly cluster: string;
  readonly workloadKeys: readonly string[];
  /** The environment's own key (created by the bootstrap) and its alias name, when it has one. */
  readonly environmentKey?: { readonly arn: string; readonly alias: string };
  readonly backupKey?: string;
  readonly backupRegion: string;
  readonly stateRegion: string;
  readonly region: string;
  readonly zoneName: string;
  readonly ciRoles: string;
  readonly changes: string;
}

export function scopeArns(env: CiEnvironmentProps, state: CiStateProps, partition = 'aws'): ScopeArns {
  const { name, accountId: account, region } = env;
  const bucket = `arn:${partition}:s3:::${state.bucketName}`;
  return {
    env: name,
    stateBucket: bucket,
    stateObjects: `${bucket}/${name}/*`,
    lockfiles: `${bucket}/${name}/*.tflock`,
    ...(state.lockTableName ? { lockTable: `arn:${partition}:dynamodb:${state.region}:${account}:table/${state.lockTableName}` } : {}),
    ...(state.kmsKeyArn ? { stateKey: state.kmsKeyArn } : {}),
    backupBucket: `arn:${partition}:s3:::${state.backupBucketName || stateBackupBucketName(state.bucketName)}`,
    repositories: `arn:${partition}:ecr:${region}:${account}:repository/${repositoryName('*', name)}`,
    logGroups: `arn:${partition}:logs:${region}:${account}:log-group:${logGroupName('*', name)}`,
    workloadRoles: [
      `arn:${partition}:iam::${account}:role/${workloadRoleName('*', name)}`,
      `arn:${partition}:iam::${account}:role/${resourceName('external-secrets', name, 'irsa')}`,
    ],
    boundary: workloadBoundaryPolicyArn(account, name, partition),
    zone: `arn:${partition}:route53:::hostedzone/${env.dns.zoneId}`,
    changes: `arn:${partition}:route53:::change/*`,
    cluster: `arn:${partition}:eks:${region}:${account}:cluster/${env.clusterName}`,
    workloadKeys: [...new Set(env.workloadKmsKeyArns ?? [])].sort(),
    ...(env.environmentKey ? { environmentKey: { arn: env.environmentKey.arn, alias: env.environmentKey.alias } } : {}),
    ...(state.backupKmsKeyArn ? { backupKey: state.backupKmsKeyArn } : {}),
    backupRegion: state.backupRegion ?? state.region,
    stateRegion: state.region,
    region,
    zoneName: env.dns.zoneName,
    ciRoles: `arn:${partition}:iam::${account}:role/${ciRoleName(name, '*' as CiRolePurpose)}`,
  };
}

type Statement = DataAwsIamPolicyDocumentStatement;

const viaStateServices = (s: ScopeArns) => ({
  test: 'StringEquals',
  variable: 'kms:ViaService',
  values: [`s3.${s.stateRegion}.amazonaws.com`, `dynamodb.${s.stateRegion}.amazonaws.com`],
});

/** Read the environment's own state objects (and list only its prefix). */
function stateRead(s: ScopeArns): Statement[] {
  return [
    {
      sid: 'StateListOwnPrefix',
      actions: ['s3:ListBucket'],
      resources: [s.stateBucket],
      // `env:/`: the S3 backend lists the workspace prefix (workspace_key_prefix "env:") whenever it opens
      // a state, even the default workspace's; nothing is stored there.
      condition: [{ test: 'StringLike', variable: 's3:prefix', values: [`${s.env}/*`, 'env:/'] }],
    },
    { sid: 'StateReadOwnObjects', actions: ['s3:GetObject'], resources: [s.stateObjects] },
    ...(s.lockTable
      ? [
          {
            sid: 'StateLockTableReadOwnEntries',
            actions: ['dynamodb:GetItem'],
            resources: [s.lockTable],
            condition: [{ test: 'ForAllValues:StringLike', variable: 'dynamodb:LeadingKeys', values: [`${s.stateBucket.replace(/^arn:[^:]+:s3:::/, '')}/${s.env}/*`] }],
          },
        ]
      : []),
    ...(s.stateKey
      ? [{ sid: 'StateKeyDecryptThroughS3AndDynamoDb', actions: ['kms:Decrypt'], resources: [s.stateKey], condition: [viaStateServices(s)] }]
      : []),
  ];
}

/** Take and release the environment's own locks: lock-table items `<bucket>/<env>/<stack>.tfstate`, lock files `<env>/*.tflock`. */
function stateLock(s: ScopeArns, opts: { readonly useLockfile: boolean }): Statement[] {
  const bucketName = s.stateBucket.replace(/^arn:[^:]+:s3:::/, '');
  return [
    ...(s.lockTable
      ? [
          {
            sid: 'StateLockTableWriteOwnLocks',
            actions: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
            resources: [s.lockTable],
            condition: [{ test: 'ForAllValues:StringLike', variable: 'dynamodb:LeadingKeys', values: [`${bucketName}/${s.env}/*.tfstate`] }],
          },
        ]
      : []),
    // A lock table encrypted with the state key: DynamoDB encrypts the item written with the caller's
    // rights on the key, so the lock writes above need these, through DynamoDB only.
    ...(s.lockTable && s.stateKey
      ? [
          {
            sid: 'StateKeyEncryptLockEntriesThroughDynamoDb',
            actions: ['kms:Encrypt', 'kms:GenerateDataKey'],
            resources: [s.stateKey],
            condition: [{ test: 'StringEquals', variable: 'kms:ViaService', values: [`dynamodb.${s.stateRegion}.amazonaws.com`] }],
          },
        ]
      : []),
    ...(opts.useLockfile ? [{ sid: 'StateLockfileWriteOwnLocks', actions: ['s3:PutObject', 's3:DeleteObject'], resources: [s.lockfiles] }] : []),
  ];
}

/** Write the environment's own state objects and digests (applies only). */
function stateWrite(s: ScopeArns): Statement[] {
  const bucketName = s.stateBucket.replace(/^arn:[^:]+:s3:::/, '');
  return [
    { sid: 'StateWriteOwnObjects', actions: ['s3:PutObject'], resources: [s.stateObjects] },
    { sid: 'StateDeleteOwnLockfiles', actions: ['s3:DeleteObject'], resources: [s.lockfiles] },
    ...(s.lockTable
      ? [
          {
            sid: 'StateLockTableWriteOwnEntries',
            actions: ['dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem'],
            resources: [s.lockTable],
            condition: [{ test: 'ForAllValues:StringLike', variable: 'dynamodb:LeadingKeys', values: [`${bucketName}/${s.env}/*`] }],
          },
        ]
      : []),
    ...(s.stateKey
      ? [{ sid: 'StateKeyEncryptThroughS3AndDynamoDb', actions: ['kms:Encrypt', 'kms:GenerateDataKey'], resources: [s.stateKey], condition: [viaStateServices(s)] }]
      : []),
  ];
}

/** What refreshing the AWS-only stacks reads (the services stack: ECR, IAM roles, log groups, DNS records). */
function awsRead(s: ScopeArns): Statement[] {
  return [
    {
      sid: 'EcrReadOwnRepositories',
      actions: ['ecr:DescribeRepositories', 'ecr:GetLifecyclePolicy', 'ecr:GetRepositoryPolicy', 'ecr:ListTagsForResource'],
      resources: [s.repositories],
    },
    {
      sid: 'IamReadWorkloadRoles',
      actions: ['iam:GetRole', 'iam:GetRolePolicy', 'iam:ListAttachedRolePolicies', 'iam:ListRolePolicies'],
      resources: [...s.workloadRoles],
    },
    // AWS authorizes DescribeLogGroups only on "*" (IAM-002's allow-list says why).
    { sid: 'LogsDescribeGroups', actions: ['logs:DescribeLogGroups'], resources: ['*'] },
    { sid: 'LogsReadOwnGroupTags', actions: ['logs:ListTagsForResource', 'logs:ListTagsLogGroup'], resources: [s.logGroups] },
    {
      sid: 'Route53ReadOwnZone',
      actions: ['route53:GetHostedZone', 'route53:ListResourceRecordSets', 'route53:ListTagsForResource'],
      resources: [s.zone],
    },
    { sid: 'Route53ReadChangeStatus', actions: ['route53:GetChange'], resources: [s.changes] },
  ];
}

/**
 * Find the environment's own key the way `<env>-services`' `aws_kms_alias` data source does: list the
 * aliases (authorized on `*` only), then describe the key by its alias name — `kms:RequestAlias` limits
 * `DescribeKey` to requests naming exactly `alias/platform/<env>`. Nothing else on any key.
 */
function environmentKeyRead(s: ScopeArns): Statement[] {
  if (!s.environmentKey) return [];
  return [
    { sid: 'KmsListAliases', actions: ['kms:ListAliases'], resources: ['*'] },
    {
      sid: 'KmsDescribeEnvironmentKeyByAlias',
      actions: ['kms:DescribeKey'],
      resources: [s.environmentKey.arn],
      condition: [{ test: 'StringEquals', variable: 'kms:RequestAlias', values: [s.environmentKey.alias] }],
    },
  ];
}

/** What the cluster stacks read from AWS (the cluster's endpoint and CA for the Helm/Kubernetes providers). */
function clusterRead(s: ScopeArns): Statement[] {
  return [{ sid: 'EksDescribeOwnCluster', actions: ['eks:DescribeCluster'], resources: [s.cluster] }];
}

/**
 * Explicit denies for every role a pull request or a read-only job holds: secret material and any role
 * chaining stay out of reach even if a wider policy is attached to the role later.
 */
function denySecretsAndChaining(s: ScopeArns, opts: { readonly decryptAlso?: readonly string[] } = {}): Statement[] {
  const decryptable = [...(s.stateKey ? [s.stateKey] : []), ...(opts.decryptAlso ?? [])];
  return [
    {
      sid: 'DenySecretValues',
      effect: 'Deny',
      actions: ['secretsmanager:GetSecretValue', 'secretsmanager:BatchGetSecretValue'],
      resources: ['*'],
    },
    {
      sid: 'DenyParameterValues',
      effect: 'Deny',
      actions: ['ssm:GetParameter', 'ssm:GetParameterHistory', 'ssm:GetParameters', 'ssm:GetParametersByPath'],
      resources: ['*'],
    },
    {
      sid: 'DenyDecryptOutsideStateKey',
      effect: 'Deny',
      actions: ['kms:Decrypt', 'kms:ReEncryptFrom'],
      // Outside the state key (and, for the backup role, the backup key); with neither (AES256 buckets), any key.
      ...(decryptable.length > 0 ? { notResources: decryptable } : { resources: ['*'] }),
    },
    {
      sid: 'DenyRoleChaining',
      effect: 'Deny',
      actions: ['sts:AssumeRole', 'sts:AssumeRoleWithSAML', 'sts:AssumeRoleWithWebIdentity', 'sts:SetSourceIdentity', 'sts:TagSession'],
      resources: ['*'],
    },
  ];
}

/** Manage what the AWS and cluster stacks create, scoped to the environment's names. */
function awsManage(s: ScopeArns): Statement[] {
  return [
    {
      sid: 'EcrManageOwnRepositories',
      actions: [
        'ecr:CreateRepository',
        'ecr:DeleteLifecyclePolicy',
        'ecr:DeleteRepository',
        'ecr:PutImageScanningConfiguration',
        'ecr:PutImageTagMutability',
        'ecr:PutLifecyclePolicy',
        'ecr:TagResource',
        'ecr:UntagResource',
      ],
      resources: [s.repositories],
    },
    {
      sid: 'LogsManageOwnGroups',
      actions: [
        'logs:AssociateKmsKey',
        'logs:CreateLogGroup',
        'logs:DeleteLogGroup',
        'logs:DeleteRetentionPolicy',
        'logs:DisassociateKmsKey',
        'logs:PutRetentionPolicy',
        'logs:TagLogGroup',
        'logs:TagResource',
        'logs:UntagLogGroup',
        'logs:UntagResource',
      ],
      resources: [s.logGroups],
    },
    {
      sid: 'Route53ChangeOwnRecords',
      actions: ['route53:ChangeResourceRecordSets'],
      resources: [s.zone],
      condition: [
        {
          test: 'ForAllValues:StringLike',
          variable: 'route53:ChangeResourceRecordSetsNormalizedRecordNames',
          values: [s.zoneName, `*.${s.zoneName}`],
        },
        { test: 'ForAllValues:StringEquals', variable: 'route53:ChangeResourceRecordSetsRecordTypes', values: ['A', 'AAAA', 'CNAME'] },
      ],
    },
    {
      // Underscore labels are verification records (`_acme-challenge`, `_dmarc`, domain-validation CNAMEs):
      // a CNAME there can get a TLS certificate issued for the zone. Services never need one.
      sid: 'DenyVerificationRecords',
      effect: 'Deny',
      actions: ['route53:ChangeResourceRecordSets'],
      resources: [s.zone],
      condition: [{ test: 'ForAnyValue:StringLike', variable: 'route53:ChangeResourceRecordSetsNormalizedRecordNames', values: ['_*', '*._*'] }],
    },
    {
      sid: 'IamCreateWorkloadRolesWithinBoundary',
      actions: ['iam:CreateRole', 'iam:PutRolePermissionsBoundary', 'iam:PutRolePolicy'],
      resources: [...s.workloadRoles],
      condition: [{ test: 'ArnEquals', variable: 'iam:PermissionsBoundary', values: [s.boundary] }],
    },
    {
      sid: 'IamMaintainWorkloadRoles',
      actions: [
        'iam:DeleteRole',
        'iam:DeleteRolePolicy',
        'iam:ListInstanceProfilesForRole',
        'iam:TagRole',
        'iam:UntagRole',
        'iam:UpdateAssumeRolePolicy',
        'iam:UpdateRole',
        'iam:UpdateRoleDescription',
      ],
      resources: [...s.workloadRoles],
    },
    {
      sid: 'DenyBoundaryRemoval',
      effect: 'Deny',
      actions: ['iam:DeleteRolePermissionsBoundary'],
      resources: ['*'],
    },
    {
      sid: 'DenyBoundaryPolicyChanges',
      effect: 'Deny',
      actions: ['iam:CreatePolicyVersion', 'iam:DeletePolicy', 'iam:DeletePolicyVersion', 'iam:SetDefaultPolicyVersion'],
      resources: [s.boundary],
    },
    {
      sid: 'DenyCiRoleChanges',
      effect: 'Deny',
      actions: [
        'iam:AttachRolePolicy',
        'iam:DeleteRole',
        'iam:DeleteRolePolicy',
        'iam:PutRolePolicy',
        'iam:UpdateAssumeRolePolicy',
      ],
      resources: [s.ciRoles],
    },
    // ECR uses a customer-managed key through grants it creates with the caller's rights: the external
    // keys the environment file names, and the environment's own key (created by the bootstrap).
    ...(grantable(s).length > 0
      ? [
          {
            sid: 'KmsGrantWorkloadKeysToEcr',
            actions: ['kms:CreateGrant'],
            resources: grantable(s),
            condition: [
              { test: 'StringEquals', variable: 'kms:ViaService', values: [`ecr.${s.region}.amazonaws.com`] },
              { test: 'Bool', variable: 'kms:GrantIsForAWSResource', values: ['true'] },
            ],
          },
          {
            sid: 'KmsDescribeWorkloadKeysThroughEcr',
            actions: ['kms:DescribeKey', 'kms:RetireGrant'],
            resources: grantable(s),
            condition: [{ test: 'StringEquals', variable: 'kms:ViaService', values: [`ecr.${s.region}.amazonaws.com`] }],
          },
        ]
      : []),
  ];
}

/** Keys ECR may be granted on by the apply role: the external workload keys and the environment's own key. */
function grantable(s: ScopeArns): string[] {
  return [...s.workloadKeys, ...(s.environmentKey ? [s.environmentKey.arn] : [])];
}

/**
 * The permission statements of one CI role:
 * - `pr-plan`: read its state and what the AWS-only stacks refresh; write only its own locks; denies on secrets and chaining;
 * - `plan` / `drift`: the same, plus describing the cluster (their plans include the cluster stacks);
 * - `apply`: read and write its state; manage what the stacks create, by name; roles only within the boundary;
 * - every role but `backup`: list KMS aliases and describe the environment's own key by its alias (when it has one);
 * - `backup`: read its environment's state objects, write and read back copies under its prefix of the backup bucket.
 */
export function permissionStatements(env: CiEnvironmentProps, state: CiStateProps, purpose: CiRolePurpose): Statement[] {
  const s = scopeArns(env, state);
  const useLockfile = state.useLockfile ?? false;
  switch (purpose) {
    case 'pr-plan':
      return [...stateRead(s), ...stateLock(s, { useLockfile }), ...awsRead(s), ...environmentKeyRead(s), ...denySecretsAndChaining(s)];
    case 'plan':
    case 'drift':
      return [...stateRead(s), ...stateLock(s, { useLockfile }), ...awsRead(s), ...environmentKeyRead(s), ...clusterRead(s), ...denySecretsAndChaining(s)];
    case 'apply':
      return [...stateRead(s), ...stateWrite(s), ...awsRead(s), ...environmentKeyRead(s), ...clusterRead(s), ...awsManage(s), ...denySecretsAndChaining(s)];
    case 'backup':
      return backupStatements(s);
  }
}

/**
 * The daily copy (packages/state-tools/backup_state.py `backup --env <env>`), scoped to its environment: it
 * lists and reads `<env>/*.tfstate` of the state bucket, and writes and reads back copies under `<env>/` of
 * the backup bucket (in the backup region). S3 replication is the backup path for every version; the copy is
 * the verified second path (and seeds objects written before replication existed). Not `bootstrap.tfstate`:
 * the administrator owns the bootstrap's state (replication backs it up). Never the lock table, never a delete.
 */
function backupStatements(s: ScopeArns): Statement[] {
  const prefix = [{ test: 'StringLike', variable: 's3:prefix', values: [`${s.env}/*`] }];
  return [
    { sid: 'StateListOwnPrefix', actions: ['s3:ListBucket'], resources: [s.stateBucket], condition: prefix },
    { sid: 'StateReadOwnStateObjects', actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: [`${s.stateBucket}/${s.env}/*.tfstate`] },
    { sid: 'BackupReadEncryptionConfiguration', actions: ['s3:GetEncryptionConfiguration'], resources: [s.backupBucket] },
    { sid: 'BackupListOwnPrefix', actions: ['s3:ListBucket', 's3:ListBucketVersions'], resources: [s.backupBucket], condition: prefix },
    {
      sid: 'BackupWriteAndVerifyOwnCopies',
      actions: ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject'],
      resources: [`${s.backupBucket}/${s.env}/*.tfstate`],
    },
    ...(s.stateKey
      ? [
          {
            sid: 'StateKeyDecryptThroughS3',
            actions: ['kms:Decrypt'],
            resources: [s.stateKey],
            condition: [{ test: 'StringEquals', variable: 'kms:ViaService', values: [`s3.${s.stateRegion}.amazonaws.com`] }],
          },
        ]
      : []),
    ...(s.backupKey
      ? [
          {
            sid: 'BackupKeyThroughS3InBackupRegion',
            actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
            resources: [s.backupKey],
            condition: [{ test: 'StringEquals', variable: 'kms:ViaService', values: [`s3.${s.backupRegion}.amazonaws.com`] }],
          },
        ]
      : []),
    ...denySecretsAndChaining(s, { decryptAlso: s.backupKey ? [s.backupKey] : [] }),
  ];
}

/**
 * The permissions boundary of every role the apply role creates (`workloadBoundaryPolicyName`): what any
 * workload or controller of the environment may ever do — read its environment's secrets through
 * Secrets Manager. A role created inside it cannot manage IAM, assume roles or read other environments.
 */
export function boundaryStatements(env: CiEnvironmentProps, partition = 'aws'): Statement[] {
  return [
    {
      sid: 'ReadOwnEnvironmentSecrets',
      actions: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
      resources: [`arn:${partition}:secretsmanager:${env.region}:${env.accountId}:secret:${env.name}/*`],
    },
    {
      sid: 'DecryptSecretsThroughSecretsManager',
      actions: ['kms:Decrypt'],
      resources: [`arn:${partition}:kms:${env.region}:${env.accountId}:key/*`],
      condition: [{ test: 'StringEquals', variable: 'kms:ViaService', values: [`secretsmanager.${env.region}.amazonaws.com`] }],
    },
  ];
}
