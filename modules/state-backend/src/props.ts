import { stateBackupBucketName } from '@platform/naming';
import { type TerraformProvider } from 'cdktf';
import { z } from 'zod';

/** S3 Object Lock retention of the backup bucket's versions. */
export interface ObjectLockRetention {
  /**
   * `COMPLIANCE`: no principal, not even the account root, can delete a version or shorten its
   * retention before it expires. `GOVERNANCE`: principals with `s3:BypassGovernanceRetention` can.
   */
  readonly mode: 'GOVERNANCE' | 'COMPLIANCE';
  /** Days each backup version is locked after it is written. */
  readonly days: number;
}

/** Where the state's backups live: another region (and optionally another account). */
export interface StateBackupProps {
  /** Region of the backup bucket, its key and its log bucket; must differ from the state bucket's. */
  readonly region: string;
  /**
   * AWS provider for the backup region (and account).
   * @default - the stack's default provider (only sensible in tests)
   */
  readonly provider?: TerraformProvider;
  /**
   * Account of the backup bucket, when it is not the state bucket's: replicas are then owned by it.
   * @default - the state bucket's account
   */
  readonly accountId?: string;
  /**
   * Object Lock on every backup version.
   * @default - COMPLIANCE for 30 days
   */
  readonly objectLock?: ObjectLockRetention;
}

/**
 * Principals (IAM role ARNs, matched with `aws:PrincipalArn`) that may touch state objects. Everyone
 * else is denied reading and writing them by the bucket policy, whatever their IAM policies say.
 */
export interface StateAccessProps {
  /** May read and write state: the apply roles. */
  readonly readWrite: readonly string[];
  /** May read and write state and read the backups: the break-glass role people assume (the deploy role). */
  readonly breakGlass: readonly string[];
  /** May read state and write only lock files (`*.tflock`): plans and drift checks. */
  readonly readAndLock: readonly string[];
  /** May read state and write the backup bucket: the backup job. */
  readonly backup: readonly string[];
}

/** How the state bucket, the backup bucket and the lock table are encrypted at rest. */
export type StateEncryption = 'kms' | 'aes256';

export interface StateBackendProps {
  /**
   * Name of the state bucket: the environment files' `state.bucket`, exactly. 3–56 characters, so that
   * the backup bucket's name (`<bucketName>-backup`) stays within S3's 63.
   */
  readonly bucketName: string;
  /** Region of the state bucket (the stack's provider region): names the replication role and scopes its key use. */
  readonly region: string;
  /**
   * DynamoDB table for state locking: the environment files' `state.lockTable`.
   * @default - no table: the environments lock with S3 native locking (`use_lockfile`) only
   */
  readonly lockTableName?: string;
  /**
   * Encryption at rest. `kms`: a dedicated customer-managed KMS key (rotated yearly, alias from
   * `stateKmsKeyAlias`) is the default encryption of both buckets and encrypts the lock table.
   * `aes256`: S3-managed keys for the buckets, the AWS-managed `aws/dynamodb` key for the table.
   * @default 'kms'
   */
  readonly encryption?: StateEncryption;
  /**
   * Days a state version stays recoverable after it is overwritten or deleted, in both buckets.
   * @default 365
   */
  readonly noncurrentVersionExpiryDays?: number;
  /** Where the backups live: another region, with Object Lock, fed by S3 replication. */
  readonly backup: StateBackupProps;
  /**
   * Who may read and write state objects (bucket policy, `aws:PrincipalArn`).
   * @default - no deny: any principal whose IAM policy allows it (only sensible in tests)
   */
  readonly access?: StateAccessProps;
  /**
   * Make Terraform refuse to destroy the buckets, the table and the key (`prevent_destroy`).
   * @default true
   */
  readonly preventDestroy?: boolean;
}

export const DEFAULTS = {
  encryption: 'kms',
  objectLock: { mode: 'COMPLIANCE', days: 30 } as ObjectLockRetention,
  accessLogExpiryDays: 365,
  noncurrentVersionExpiryDays: 365,
  preventDestroy: true,
} as const;

/** S3's rule for bucket names (no dots-adjacent, no IP look-alikes, no `xn--`). */
const S3_BUCKET = /^(?!xn--)(?!\d+\.\d+\.\d+\.\d+$)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const MAX_STATE_BUCKET_LENGTH = 63 - stateBackupBucketName('').length;

export const propsSchema = z.strictObject({
  bucketName: z
    .string()
    .regex(S3_BUCKET, 'is not an S3 bucket name — use 3–63 lower-case letters, digits, dots and hyphens')
    .max(
      MAX_STATE_BUCKET_LENGTH,
      `is too long — the backup bucket "<bucketName>-backup" must fit S3's 63 characters, so use at most ${MAX_STATE_BUCKET_LENGTH}`,
    ),
  region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'is not an AWS region — use a region code such as "eu-west-1"'),
  lockTableName: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{3,255}$/, 'is not a DynamoDB table name — use 3–255 letters, digits, _ . -')
    .optional(),
  encryption: z.enum(['kms', 'aes256'], { error: 'must be one of "kms", "aes256"' }).optional(),
  noncurrentVersionExpiryDays: z
    .number()
    .int('must be a whole number')
    .min(30, 'must be at least 30 — old state versions are the last way back from a bad apply')
    .max(3650, 'must be at most 3650')
    .optional(),
  backup: z.strictObject({
    region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'is not an AWS region — use a region code such as "eu-central-1"'),
    provider: z.any().optional(),
    accountId: z.string().regex(/^\d{12}$/, 'is not an AWS account ID — use the 12-digit ID').optional(),
    objectLock: z
      .strictObject({
        mode: z.enum(['GOVERNANCE', 'COMPLIANCE'], { error: 'must be "GOVERNANCE" or "COMPLIANCE"' }),
        days: z.number().int('must be a whole number').min(1, 'must be at least 1').max(3650, 'must be at most 3650'),
      })
      .optional(),
  }),
  access: z
    .strictObject({
      readWrite: z.array(z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, 'is not an IAM role ARN')),
      breakGlass: z.array(z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, 'is not an IAM role ARN')),
      readAndLock: z.array(z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, 'is not an IAM role ARN')),
      backup: z.array(z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, 'is not an IAM role ARN')),
    })
    .optional(),
  preventDestroy: z.boolean().optional(),
});
