import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { type Problem, validateProps } from '@platform/config';
import { stateBackupBucketName, stateKmsKeyAlias } from '@platform/naming';
import { Fn, TerraformOutput, Token, type TerraformResourceLifecycle } from 'cdktf';
import { Construct } from 'constructs';
import { DEFAULTS, propsSchema, type StateBackendProps } from './props';

export { type StateBackendProps, type StateEncryption } from './props';

/**
 * What the environment stacks' S3 backends point at, in one account and region:
 *
 * - the state bucket: versioned; encrypted by default (SSE-KMS with a dedicated key, or AES256); all
 *   public access blocked; object ownership enforced (no ACLs); a policy that denies requests without
 *   TLS and uploads without a server-side-encryption header; non-current versions expire after
 *   `noncurrentVersionExpiryDays`, unfinished multipart uploads after 7 days;
 * - the DynamoDB lock table (when `lockTableName` is set): `LockID` string hash key, on-demand,
 *   point-in-time recovery, encrypted, deletion protection;
 * - the backup bucket (`stateBackupBucketName`) the daily backup copies every state object into:
 *   versioned, encrypted, private, with the same policy and expiry.
 *
 * One per stack (its outputs are named `state_bucket`, `lock_table`, `backup_bucket`, `kms_key_arn`).
 * Construct ids are a public contract (renaming one replaces the resource): Bucket/Resource,
 * Backup/Resource, LockTable/Resource, Key/Resource, Key/Alias, and each bucket's Versioning,
 * Encryption, PublicAccessBlock, Ownership, Policy and Lifecycle.
 *
 * Note: the S3 backend's `encrypt = true` without `kms_key_id` asks for SSE-S3 (AES256) on every
 * write, which S3 honours over the bucket's default, so state objects written by Terraform are
 * AES256 even when `encryption` is `kms`. The backup and restore script (`packages/state-tools`)
 * reads each bucket's default and asks for it explicitly, so backups use the KMS key.
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

  constructor(scope: Construct, id: string, props: StateBackendProps) {
    super(scope, id);
    validate(props);
    const encryption = props.encryption ?? DEFAULTS.encryption;
    const expiryDays = props.noncurrentVersionExpiryDays ?? DEFAULTS.noncurrentVersionExpiryDays;
    const lifecycle: TerraformResourceLifecycle | undefined =
      props.preventDestroy ?? DEFAULTS.preventDestroy ? { preventDestroy: true } : undefined;

    // The key: one per state bucket, rotated, with a 30-day window to undo a scheduled deletion.
    let key: KmsKey | undefined;
    if (encryption === 'kms') {
      const keyScope = new Construct(this, 'Key');
      // AWS's default key policy, written out: the account administers the key and IAM policies grant
      // its use (the deploy role's, the backup job's), so no principal is named here. A key policy's
      // Resource is always "*" (this key): it is encoded directly rather than through
      // aws_iam_policy_document, whose identity-policy checks (checkov CKV_AWS_109/111/356) misread it.
      const account = new DataAwsCallerIdentity(keyScope, 'Account');
      const partition = new DataAwsPartition(keyScope, 'Partition');
      const keyPolicy = Fn.jsonencode({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'AccountAdministersKeyThroughIam',
            Effect: 'Allow',
            Principal: { AWS: `arn:${partition.partition}:iam::${account.accountId}:root` },
            Action: 'kms:*',
            Resource: '*',
          },
        ],
      });
      key = new KmsKey(keyScope, 'Resource', {
        description: `Terraform state in s3://${props.bucketName}, its backup bucket and its lock table`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy: keyPolicy,
        lifecycle,
      });
      const alias = new KmsAlias(keyScope, 'Alias', {
        name: stateKmsKeyAlias(props.bucketName),
        targetKeyId: key.keyId,
      });
      this.kmsKeyArn = key.arn;
      this.kmsKeyAlias = alias.name;
    }

    const state = hardenedBucket(this, 'Bucket', { name: props.bucketName, key, expiryDays, lifecycle });
    const backup = hardenedBucket(this, 'Backup', {
      name: stateBackupBucketName(props.bucketName),
      key,
      expiryDays,
      lifecycle,
    });
    this.bucketName = state.bucket;
    this.bucketArn = state.arn;
    this.backupBucketName = backup.bucket;
    this.backupBucketArn = backup.arn;

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
      backup_bucket: [this.backupBucketName, 'Bucket the daily state backup copies into'],
      kms_key_arn: [this.kmsKeyArn, 'KMS key encrypting the state, its backups and the lock table'],
    };
    const outputScope = new Construct(this, 'Outputs');
    for (const [name, [value, description]] of Object.entries(outputs)) {
      if (value === undefined) continue;
      new TerraformOutput(outputScope, name, { value, description }).overrideLogicalId(name);
    }
  }
}

/** A versioned, encrypted, private, ownership-enforced bucket with a TLS/encryption policy and version expiry. */
function hardenedBucket(
  scope: Construct,
  id: string,
  opts: {
    name: string;
    key: KmsKey | undefined;
    expiryDays: number;
    lifecycle: TerraformResourceLifecycle | undefined;
  },
): S3Bucket {
  const group = new Construct(scope, id);
  const bucket = new S3Bucket(group, 'Resource', { bucket: opts.name, lifecycle: opts.lifecycle });
  new S3BucketVersioningA(group, 'Versioning', { bucket: bucket.id, versioningConfiguration: { status: 'Enabled' } });
  new S3BucketServerSideEncryptionConfigurationA(group, 'Encryption', {
    bucket: bucket.id,
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
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  });
  new S3BucketOwnershipControls(group, 'Ownership', {
    bucket: bucket.id,
    rule: { objectOwnership: 'BucketOwnerEnforced' },
  });
  const policy = new DataAwsIamPolicyDocument(group, 'PolicyDocument', {
    statement: [
      {
        sid: 'DenyInsecureTransport',
        effect: 'Deny',
        principals: [{ type: '*', identifiers: ['*'] }],
        actions: ['s3:*'],
        resources: [bucket.arn, `${bucket.arn}/*`],
        condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
      },
      {
        sid: 'DenyUnencryptedUploads',
        effect: 'Deny',
        principals: [{ type: '*', identifiers: ['*'] }],
        actions: ['s3:PutObject'],
        resources: [`${bucket.arn}/*`],
        condition: [{ test: 'Null', variable: 's3:x-amz-server-side-encryption', values: ['true'] }],
      },
    ],
  });
  // After the public access block: S3 checks a new policy against it.
  new S3BucketPolicy(group, 'Policy', { bucket: bucket.id, policy: policy.json, dependsOn: [publicAccess] });
  new S3BucketLifecycleConfiguration(group, 'Lifecycle', {
    bucket: bucket.id,
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

/** Checks every prop and throws one error listing every problem (unresolved tokens are not checked). */
function validate(props: StateBackendProps): void {
  const label = `StateBackend "${typeof props?.bucketName === 'string' ? props.bucketName : '?'}"`;
  const problems: Problem[] = [];
  validateProps(label, propsSchema, props, problems, (v) => Token.isUnresolved(v));
}
