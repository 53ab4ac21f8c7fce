import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsIamPolicyDocument, type DataAwsIamPolicyDocumentStatement } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketLoggingA } from '@cdktf/provider-aws/lib/s3-bucket-logging';
import { S3BucketObjectLockConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-object-lock-configuration';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketReplicationConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-replication-configuration';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { type Problem, validateProps } from '@platform/config';
import {
  stateAccessLogBucketName,
  stateBackupAccessLogBucketName,
  stateBackupBucketName,
  stateBackupKmsKeyAlias,
  stateKmsKeyAlias,
  stateReplicationRoleName,
} from '@platform/naming';
import { Fn, TerraformOutput, Token, type TerraformProvider, type TerraformResourceLifecycle } from 'cdktf';
import { Construct } from 'constructs';
import { DEFAULTS, propsSchema, type StateAccessProps, type StateBackendProps } from './props';

export { type ObjectLockRetention, type StateAccessProps, type StateBackendProps, type StateBackupProps, type StateEncryption } from './props';

/**
 * What the environment stacks' S3 backends point at, in one account and region, and the backups that
 * survive losing them:
 *
 * - the state bucket: versioned; encrypted by default (SSE-KMS with a dedicated key, or AES256); all
 *   public access blocked; object ownership enforced (no ACLs); server access logs into the log bucket;
 *   replicated (every version, never deletions) into the backup bucket; a policy that denies requests
 *   without TLS, uploads without a server-side-encryption header and — with `access` — reading or
 *   writing state objects to every principal but the named roles (`aws:PrincipalArn`);
 * - the DynamoDB lock table (when `lockTableName` is set): `LockID` string hash key, on-demand,
 *   point-in-time recovery, encrypted, deletion protection;
 * - the backup bucket (`stateBackupBucketName`) in another region (or account): S3 Object Lock on every
 *   version (COMPLIANCE for 30 days by default), its own KMS key in its own region, its own access logs,
 *   and a policy that lets only the replication role write and only the backup and break-glass roles read;
 * - two access-log buckets, one per region (S3 delivers server access logs only within a region): AES256
 *   (SSE-KMS is not supported for log delivery), versioned, private, no object may be deleted (only the
 *   lifecycle expires them), the state region's replicated into the backup region's.
 *
 * So a compromised deploy identity can overwrite state (new versions) but not delete a locked backup
 * version, and deleting the state bucket or its key does not take the backups with it.
 *
 * One per stack (its outputs are named `state_bucket`, `lock_table`, `backup_bucket`, `kms_key_arn`,
 * `backup_kms_key_arn`). Construct ids are a public contract (renaming one replaces the resource):
 * Bucket/Resource, Backup/Resource, AccessLogs/Resource, BackupAccessLogs/Resource, LockTable/Resource,
 * Key/Resource, Key/Alias, BackupKey/Resource, BackupKey/Alias, Replication/Role, and each bucket's
 * Versioning, Encryption, PublicAccessBlock, Ownership, Policy, Lifecycle and Logging.
 *
 * State objects are encrypted with the state key: every environment stack's backend names its alias
 * (`kms_key_id`, see `addStateBackend`), so state and backups fail the same way — each needs its own
 * key, in its own region — rather than state being AES256 while backups need a key.
 */
export class StateBackend extends Construct {
  /** Name of the state bucket. */
  public readonly bucketName: string;
  /** ARN of the state bucket. */
  public readonly bucketArn: string;
  /** Name of the lock table, or undefined when there is none. */
  public readonly lockTableName?: string;
  /** ARN of the lock table, or undefined when there is none. */
  public readonly lockTableArn?: string;
  /** Name of the backup bucket. */
  public readonly backupBucketName: string;
  /** ARN of the backup bucket. */
  public readonly backupBucketArn: string;
  /** ARN of the KMS key, or undefined with `encryption: 'aes256'`. */
  public readonly kmsKeyArn?: string;
  /** Alias of the KMS key (`alias/…`), or undefined with `encryption: 'aes256'`. */
  public readonly kmsKeyAlias?: string;
  /** ARN of the backup key (in the backup region), or undefined with `encryption: 'aes256'`. */
  public readonly backupKmsKeyArn?: string;
  /** Names of the access-log buckets: the state region's and the backup region's. */
  public readonly accessLogBucketNames: readonly [string, string];
  /** ARN of the role S3 replication assumes. */
  public readonly replicationRoleArn: string;

  constructor(scope: Construct, id: string, props: StateBackendProps) {
    super(scope, id);
    validate(props);
    const encryption = props.encryption ?? DEFAULTS.encryption;
    const expiryDays = props.noncurrentVersionExpiryDays ?? DEFAULTS.noncurrentVersionExpiryDays;
    const lifecycle: TerraformResourceLifecycle | undefined =
      props.preventDestroy ?? DEFAULTS.preventDestroy ? { preventDestroy: true } : undefined;

    const lockRetention = props.backup.objectLock ?? DEFAULTS.objectLock;
    const backupProvider = props.backup.provider;
    const account = new DataAwsCallerIdentity(this, 'Account');
    const partition = new DataAwsPartition(this, 'Partition');

    // The replication role first: the key and bucket policies name it. Its trust names the source buckets
    // by their (known) ARNs, so nothing here depends on a bucket.
    const replication = new Construct(this, 'Replication');
    const trust = new DataAwsIamPolicyDocument(replication, 'TrustPolicy', {
      statement: [
        {
          sid: 'S3ReplicatesStateBucket',
          effect: 'Allow',
          actions: ['sts:AssumeRole'],
          principals: [{ type: 'Service', identifiers: ['s3.amazonaws.com'] }],
          condition: [
            { test: 'StringEquals', variable: 'aws:SourceAccount', values: [account.accountId] },
            {
              test: 'ArnLike',
              variable: 'aws:SourceArn',
              values: [`arn:${partition.partition}:s3:::${props.bucketName}`, `arn:${partition.partition}:s3:::${stateAccessLogBucketName(props.bucketName)}`],
            },
          ],
        },
      ],
    });
    const role = new IamRole(replication, 'Role', {
      name: stateReplicationRoleName(props.region),
      description: `S3 replication of s3://${props.bucketName} (and its access logs) into the backup region ${props.backup.region}`,
      assumeRolePolicy: trust.json,
      maxSessionDuration: 3600,
    });
    const replicationRoleArn = role.arn;
    this.replicationRoleArn = role.arn;

    // The keys: one per state bucket, one for its backups in the backup region (a deleted state key
    // leaves the backups readable), rotated, with a 30-day window to undo a scheduled deletion.
    let key: KmsKey | undefined;
    let backupKey: KmsKey | undefined;
    if (encryption === 'kms') {
      key = stateKey(this, 'Key', {
        description: `Terraform state in s3://${props.bucketName} and its lock table`,
        alias: stateKmsKeyAlias(props.bucketName),
        root: `arn:${partition.partition}:iam::${account.accountId}:root`,
        lifecycle,
      });
      backupKey = stateKey(this, 'BackupKey', {
        description: `Backups of the Terraform state in s3://${props.bucketName} (s3://${stateBackupBucketName(props.bucketName)})`,
        alias: stateBackupKmsKeyAlias(props.bucketName),
        root: `arn:${partition.partition}:iam::${props.backup.accountId ?? account.accountId}:root`,
        lifecycle,
        provider: backupProvider,
        // In a backup account, IAM of the state account cannot grant the key: its policy names the role.
        ...(props.backup.accountId ? { replicator: replicationRoleArn } : {}),
      });
      this.kmsKeyArn = key.arn;
      this.kmsKeyAlias = stateKmsKeyAlias(props.bucketName);
      this.backupKmsKeyArn = backupKey.arn;
    }

    // Server access logs: S3 delivers them only to a bucket in the source bucket's region.
    const stateLogs = logBucket(this, 'AccessLogs', { name: stateAccessLogBucketName(props.bucketName), lifecycle });
    const backupLogs = logBucket(this, 'BackupAccessLogs', {
      name: stateBackupAccessLogBucketName(props.bucketName),
      lifecycle,
      provider: backupProvider,
      replicator: replicationRoleArn,
    });
    this.accessLogBucketNames = [stateLogs.bucket, backupLogs.bucket];

    const state = hardenedBucket(this, 'Bucket', {
      name: props.bucketName,
      key,
      expiryDays,
      lifecycle,
      logs: stateLogs,
      extraStatements: (bucket) => (props.access ? stateAccessStatements(bucket, props.access, replicationRoleArn) : []),
    });
    const backup = hardenedBucket(this, 'Backup', {
      name: stateBackupBucketName(props.bucketName),
      key: backupKey,
      expiryDays,
      lifecycle,
      logs: backupLogs,
      provider: backupProvider,
      objectLock: true,
      // Replicas arrive with the replica key; the daily copy states its encryption (backup_state.py).
      requireEncryptionHeader: false,
      extraStatements: (bucket) => backupAccessStatements(bucket, props.access, replicationRoleArn),
    });
    // Every version is locked when it is written: not even the account root can delete it before it expires.
    new S3BucketObjectLockConfigurationA(new Construct(this, 'BackupLock'), 'Resource', {
      bucket: backup.id,
      rule: { defaultRetention: { mode: lockRetention.mode, days: lockRetention.days } },
      provider: backupProvider,
    });
    this.bucketName = state.bucket;
    this.bucketArn = state.arn;
    this.backupBucketName = backup.bucket;
    this.backupBucketArn = backup.arn;

    // Replication: S3 copies every new version of the state (and of its access logs) into the backup
    // region within minutes. Deletions are never replicated, so deleting state leaves the backups.
    const replicationPolicy = new DataAwsIamPolicyDocument(replication, 'PolicyDocument', {
      statement: [
        {
          sid: 'ReadSourceReplicationConfiguration',
          effect: 'Allow',
          actions: ['s3:GetReplicationConfiguration', 's3:ListBucket'],
          resources: [state.arn, stateLogs.arn],
        },
        {
          sid: 'ReadSourceVersions',
          effect: 'Allow',
          actions: ['s3:GetObjectVersionForReplication', 's3:GetObjectVersionAcl', 's3:GetObjectVersionTagging', 's3:GetObjectRetention', 's3:GetObjectLegalHold'],
          resources: [`${state.arn}/*`, `${stateLogs.arn}/*`],
        },
        {
          sid: 'WriteReplicas',
          effect: 'Allow',
          actions: ['s3:ReplicateObject', 's3:ReplicateTags', 's3:ObjectOwnerOverrideToBucketOwner'],
          resources: [`${backup.arn}/*`, `${backupLogs.arn}/*`],
        },
        ...(key && backupKey
          ? [
              {
                sid: 'DecryptSourceWithStateKey',
                effect: 'Allow',
                actions: ['kms:Decrypt'],
                resources: [key.arn],
                condition: [{ test: 'StringEquals', variable: 'kms:ViaService', values: [`s3.${props.region}.amazonaws.com`] }],
              },
              {
                sid: 'EncryptReplicasWithBackupKey',
                effect: 'Allow',
                actions: ['kms:Encrypt', 'kms:GenerateDataKey'],
                resources: [backupKey.arn],
                condition: [{ test: 'StringEquals', variable: 'kms:ViaService', values: [`s3.${props.backup.region}.amazonaws.com`] }],
              },
            ]
          : []),
      ],
    });
    new IamRolePolicy(replication, 'Policy', { name: 'replicate-state', role: role.name, policy: replicationPolicy.json });
    const crossAccount = props.backup.accountId
      ? { account: props.backup.accountId, accessControlTranslation: { owner: 'Destination' } }
      : {};
    new S3BucketReplicationConfigurationA(replication, 'State', {
      bucket: state.id,
      role: role.arn,
      rule: [
        {
          id: 'state-to-backup-region',
          status: 'Enabled',
          priority: 1,
          filter: { prefix: '' },
          deleteMarkerReplication: { status: 'Disabled' },
          ...(key ? { sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: 'Enabled' } } } : {}),
          destination: {
            bucket: backup.arn,
            storageClass: 'STANDARD',
            ...crossAccount,
            ...(backupKey ? { encryptionConfiguration: { replicaKmsKeyId: backupKey.arn } } : {}),
          },
        },
      ],
      dependsOn: [state.node.scope!.node.findChild('Versioning') as S3BucketVersioningA, backup.node.scope!.node.findChild('Versioning') as S3BucketVersioningA],
    });
    new S3BucketReplicationConfigurationA(replication, 'AccessLogs', {
      bucket: stateLogs.id,
      role: role.arn,
      rule: [
        {
          id: 'access-logs-to-backup-region',
          status: 'Enabled',
          priority: 1,
          filter: { prefix: '' },
          deleteMarkerReplication: { status: 'Disabled' },
          destination: { bucket: backupLogs.arn, storageClass: 'STANDARD', ...crossAccount },
        },
      ],
      dependsOn: [stateLogs.node.scope!.node.findChild('Versioning') as S3BucketVersioningA, backupLogs.node.scope!.node.findChild('Versioning') as S3BucketVersioningA],
    });

    if (props.lockTableName !== undefined) {
      const table = new DynamodbTable(new Construct(this, 'LockTable'), 'Resource', {
        name: props.lockTableName,
        hashKey: 'LockID',
        attribute: [{ name: 'LockID', type: 'S' }],
        billingMode: 'PAY_PER_REQUEST',
        pointInTimeRecovery: { enabled: true },
        serverSideEncryption: key ? { enabled: true, kmsKeyArn: key.arn } : { enabled: true },
        deletionProtectionEnabled: true,
        lifecycle,
      });
      this.lockTableName = table.name;
      this.lockTableArn = table.arn;
    }

    const outputs: Record<string, [string | undefined, string]> = {
      state_bucket: [this.bucketName, "Terraform state bucket (the environment files' state.bucket)"],
      lock_table: [this.lockTableName, 'DynamoDB state lock table'],
      backup_bucket: [this.backupBucketName, 'Object-locked bucket in the backup region that the state replicates into'],
      kms_key_arn: [this.kmsKeyArn, 'KMS key encrypting the state and the lock table'],
      backup_kms_key_arn: [this.backupKmsKeyArn, 'KMS key encrypting the backups, in the backup region'],
    };
    const outputScope = new Construct(this, 'Outputs');
    for (const [name, [value, description]] of Object.entries(outputs)) {
      if (value === undefined) continue;
      new TerraformOutput(outputScope, name, { value, description }).overrideLogicalId(name);
    }
  }
}

type Statement = DataAwsIamPolicyDocumentStatement[];

/** Every bucket here refuses plain HTTP, to everyone (the TLS-only policy rule S3-002 checks it). */
function denyInsecureTransport(bucket: S3Bucket): DataAwsIamPolicyDocumentStatement {
  return {
    sid: 'DenyInsecureTransport',
    effect: 'Deny',
    principals: [{ type: '*', identifiers: ['*'] }],
    actions: ['s3:*'],
    resources: [bucket.arn, `${bucket.arn}/*`],
    condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
  };
}

/** A versioned, encrypted, private, ownership-enforced, access-logged bucket with a TLS/encryption policy and version expiry. */
function hardenedBucket(
  scope: Construct,
  id: string,
  opts: {
    name: string;
    key: KmsKey | undefined;
    expiryDays: number;
    lifecycle: TerraformResourceLifecycle | undefined;
    logs: S3Bucket;
    provider?: TerraformProvider;
    objectLock?: boolean;
    requireEncryptionHeader?: boolean;
    extraStatements?: (bucket: S3Bucket) => Statement;
  },
): S3Bucket {
  const group = new Construct(scope, id);
  const provider = opts.provider;
  const bucket = new S3Bucket(group, 'Resource', {
    bucket: opts.name,
    lifecycle: opts.lifecycle,
    provider,
    ...(opts.objectLock ? { objectLockEnabled: true } : {}),
  });
  new S3BucketVersioningA(group, 'Versioning', { bucket: bucket.id, versioningConfiguration: { status: 'Enabled' }, provider });
  new S3BucketLoggingA(group, 'Logging', { bucket: bucket.id, targetBucket: opts.logs.id, targetPrefix: `${opts.name}/`, provider });
  new S3BucketServerSideEncryptionConfigurationA(group, 'Encryption', {
    bucket: bucket.id,
    provider,
    rule: [
      opts.key
        ? {
            applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: opts.key.arn },
            bucketKeyEnabled: true,
          }
        : { applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } },
    ],
  });
  const publicAccess = new S3BucketPublicAccessBlock(group, 'PublicAccessBlock', {
    bucket: bucket.id,
    provider,
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  });
  new S3BucketOwnershipControls(group, 'Ownership', {
    bucket: bucket.id,
    provider,
    rule: { objectOwnership: 'BucketOwnerEnforced' },
  });
  const policy = new DataAwsIamPolicyDocument(group, 'PolicyDocument', {
    statement: [
      denyInsecureTransport(bucket),
      ...(opts.requireEncryptionHeader === false
        ? []
        : [
            {
              sid: 'DenyUnencryptedUploads',
              effect: 'Deny',
              principals: [{ type: '*', identifiers: ['*'] }],
              actions: ['s3:PutObject'],
              resources: [`${bucket.arn}/*`],
              condition: [{ test: 'Null', variable: 's3:x-amz-server-side-encryption', values: ['true'] }],
            },
          ]),
      ...(opts.extraStatements?.(bucket) ?? []),
    ],
  });
  // After the public access block: S3 checks a new policy against it.
  new S3BucketPolicy(group, 'Policy', { bucket: bucket.id, policy: policy.json, dependsOn: [publicAccess], provider });
  new S3BucketLifecycleConfiguration(group, 'Lifecycle', {
    bucket: bucket.id,
    provider,
    rule: [
      {
        id: 'expire-noncurrent-versions',
        status: 'Enabled',
        filter: [{ prefix: '' }],
        noncurrentVersionExpiration: [{ noncurrentDays: opts.expiryDays }],
        abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
      },
    ],
  });
  return bucket;
}

/**
 * A rotated key whose policy is AWS's default, written out: the account administers the key and IAM
 * policies grant its use, so no principal is named here. A key policy's Resource is always "*" (this
 * key): it is encoded directly rather than through aws_iam_policy_document, whose identity-policy checks
 * (checkov CKV_AWS_109/111/356) misread it.
 */
function stateKey(
  scope: Construct,
  id: string,
  opts: {
    description: string;
    alias: string;
    root: string;
    lifecycle: TerraformResourceLifecycle | undefined;
    provider?: TerraformProvider;
    /** The replication role, when it lives in another account than the key. */
    replicator?: string;
  },
): KmsKey {
  const keyScope = new Construct(scope, id);
  const policy = Fn.jsonencode({
    Version: '2012-10-17',
    Statement: [
      { Sid: 'AccountAdministersKeyThroughIam', Effect: 'Allow', Principal: { AWS: opts.root }, Action: 'kms:*', Resource: '*' },
      ...(opts.replicator
        ? [{ Sid: 'ReplicationEncryptsReplicas', Effect: 'Allow', Principal: { AWS: opts.replicator }, Action: ['kms:Encrypt', 'kms:GenerateDataKey'], Resource: '*' }]
        : []),
    ],
  });
  const key = new KmsKey(keyScope, 'Resource', {
    description: opts.description,
    enableKeyRotation: true,
    deletionWindowInDays: 30,
    policy,
    lifecycle: opts.lifecycle,
    provider: opts.provider,
  });
  new KmsAlias(keyScope, 'Alias', { name: opts.alias, targetKeyId: key.keyId, provider: opts.provider });
  return key;
}

/**
 * A bucket for S3 server access logs: AES256 (log delivery supports no KMS key), versioned, private,
 * ownership enforced, writable only by the S3 logging service for this account's buckets, and no
 * object may be deleted by anyone (only the lifecycle expires logs, after a year).
 */
function logBucket(
  scope: Construct,
  id: string,
  opts: { name: string; lifecycle: TerraformResourceLifecycle | undefined; provider?: TerraformProvider; replicator?: string },
): S3Bucket {
  const group = new Construct(scope, id);
  const provider = opts.provider;
  const bucket = new S3Bucket(group, 'Resource', { bucket: opts.name, lifecycle: opts.lifecycle, provider });
  new S3BucketVersioningA(group, 'Versioning', { bucket: bucket.id, versioningConfiguration: { status: 'Enabled' }, provider });
  new S3BucketServerSideEncryptionConfigurationA(group, 'Encryption', {
    bucket: bucket.id,
    provider,
    rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }],
  });
  const publicAccess = new S3BucketPublicAccessBlock(group, 'PublicAccessBlock', {
    bucket: bucket.id,
    provider,
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  });
  new S3BucketOwnershipControls(group, 'Ownership', { bucket: bucket.id, provider, rule: { objectOwnership: 'BucketOwnerEnforced' } });
  const account = new DataAwsCallerIdentity(group, 'Account', { provider });
  const policy = new DataAwsIamPolicyDocument(group, 'PolicyDocument', {
    provider,
    statement: [
      denyInsecureTransport(bucket),
      {
        sid: 'S3ServerAccessLogsDelivery',
        effect: 'Allow',
        principals: [{ type: 'Service', identifiers: ['logging.s3.amazonaws.com'] }],
        actions: ['s3:PutObject'],
        resources: [`${bucket.arn}/*`],
        condition: [{ test: 'StringEquals', variable: 'aws:SourceAccount', values: [account.accountId] }],
      },
      ...(opts.replicator
        ? [
            {
              sid: 'ReplicationRoleWritesReplicas',
              effect: 'Allow',
              principals: [{ type: 'AWS', identifiers: [opts.replicator] }],
              actions: ['s3:ReplicateObject', 's3:ReplicateTags', 's3:ObjectOwnerOverrideToBucketOwner'],
              resources: [`${bucket.arn}/*`],
            },
          ]
        : []),
      {
        sid: 'DenyLogDeletion',
        effect: 'Deny',
        principals: [{ type: '*', identifiers: ['*'] }],
        actions: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
        resources: [`${bucket.arn}/*`],
      },
    ],
  });
  new S3BucketPolicy(group, 'Policy', { bucket: bucket.id, policy: policy.json, dependsOn: [publicAccess], provider });
  new S3BucketLifecycleConfiguration(group, 'Lifecycle', {
    bucket: bucket.id,
    provider,
    rule: [
      {
        id: 'expire-access-logs',
        status: 'Enabled',
        filter: [{ prefix: '' }],
        expiration: [{ days: DEFAULTS.accessLogExpiryDays }],
        noncurrentVersionExpiration: [{ noncurrentDays: 30 }],
        abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
      },
    ],
  });
  return bucket;
}

const STATE_READ = ['s3:GetObject', 's3:GetObjectVersion'];
const STATE_WRITE = ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion'];

/**
 * The state bucket's access statements: reading state objects is denied to every principal but the
 * named roles and the replication role; writing them to every principal but the read-write roles;
 * writing lock files (`*.tflock`) to every principal but the read-write and read-and-lock roles.
 */
function stateAccessStatements(bucket: S3Bucket, access: StateAccessProps, replicationRole: string): Statement {
  const readers = [...new Set([...access.readWrite, ...access.breakGlass, ...access.readAndLock, ...access.backup])].sort();
  const writers = [...new Set([...access.readWrite, ...access.breakGlass])].sort();
  const lockers = [...new Set([...access.readWrite, ...access.breakGlass, ...access.readAndLock])].sort();
  const everyone = [{ type: '*', identifiers: ['*'] }];
  return [
    {
      sid: 'DenyStateReadExceptNamedRoles',
      effect: 'Deny',
      principals: everyone,
      actions: [...STATE_READ],
      resources: [`${bucket.arn}/*`],
      condition: [{ test: 'ArnNotEquals', variable: 'aws:PrincipalArn', values: readers }],
    },
    {
      sid: 'DenyReplicationReadExceptReplicationRole',
      effect: 'Deny',
      principals: everyone,
      actions: ['s3:GetObjectVersionForReplication'],
      resources: [`${bucket.arn}/*`],
      condition: [{ test: 'ArnNotEquals', variable: 'aws:PrincipalArn', values: [replicationRole] }],
    },
    {
      sid: 'DenyStateWriteExceptReadWriteRoles',
      effect: 'Deny',
      principals: everyone,
      actions: [...STATE_WRITE],
      notResources: [`${bucket.arn}/*.tflock`],
      condition: [{ test: 'ArnNotEquals', variable: 'aws:PrincipalArn', values: writers }],
    },
    {
      sid: 'DenyLockWriteExceptLockingRoles',
      effect: 'Deny',
      principals: everyone,
      actions: [...STATE_WRITE],
      resources: [`${bucket.arn}/*.tflock`],
      condition: [{ test: 'ArnNotEquals', variable: 'aws:PrincipalArn', values: lockers }],
    },
  ];
}

/**
 * The backup bucket's access statements: only the replication role replicates into it; with `access`,
 * only the backup and break-glass roles read or write its objects (never an apply role).
 */
function backupAccessStatements(bucket: S3Bucket, access: StateAccessProps | undefined, replicationRole: string): Statement {
  const statements: Statement = [
    {
      sid: 'ReplicationRoleWritesReplicas',
      effect: 'Allow',
      principals: [{ type: 'AWS', identifiers: [replicationRole] }],
      actions: ['s3:ReplicateObject', 's3:ReplicateTags', 's3:ObjectOwnerOverrideToBucketOwner'],
      resources: [`${bucket.arn}/*`],
    },
  ];
  if (access) {
    const named = [...new Set([...access.backup, ...access.breakGlass])].sort();
    statements.push({
      sid: 'DenyBackupAccessExceptBackupAndBreakGlassRoles',
      effect: 'Deny',
      principals: [{ type: '*', identifiers: ['*'] }],
      actions: [...STATE_READ, 's3:PutObject'],
      resources: [`${bucket.arn}/*`],
      condition: [{ test: 'ArnNotEquals', variable: 'aws:PrincipalArn', values: named }],
    });
  }
  return statements;
}

/** Checks every prop and throws one error listing every problem (unresolved tokens are not checked). */
function validate(props: StateBackendProps): void {
  const label = `StateBackend "${typeof props?.bucketName === 'string' ? props.bucketName : '?'}"`;
  const problems: Problem[] = [];
  if (props?.region && props?.backup?.region && props.region === props.backup.region) {
    problems.push({
      source: label,
      field: 'backup.region',
      value: props.backup.region,
      message: 'is the state bucket\'s own region — put the backups in another region (or another account), so one regional failure or deletion cannot take both',
    });
  }
  validateProps(label, propsSchema, props, problems, (v) => Token.isUnresolved(v));
}
