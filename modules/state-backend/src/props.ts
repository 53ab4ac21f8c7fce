import { stateBackupBucketName } from '@platform/naming';
import { z } from 'zod';

/** How the state bucket, the backup bucket and the lock table are encrypted at rest. */
export type StateEncryption = 'kms' | 'aes256';

export interface StateBackendProps {
  /**
   * Name of the state bucket: the environment files' `state.bucket`, exactly. 3–56 characters, so that
   * the backup bucket's name (`<bucketName>-backup`) stays within S3's 63.
   */
  readonly bucketName: string;
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
  /**
   * Make Terraform refuse to destroy the buckets, the table and the key (`prevent_destroy`).
   * @default true
   */
  readonly preventDestroy?: boolean;
}

export const DEFAULTS = {
  encryption: 'kms',
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
  preventDestroy: z.boolean().optional(),
});
