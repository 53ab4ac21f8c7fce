import { ConfigError } from '@platform/config';
import { awsTestStack, synthJson, type StackJson } from '@platform/testing';
import { StateBackend } from './state-backend';
import { type StateBackendProps } from './props';

const BUCKET = 'acme-tfstate-111111111111-eu-west-1';
const BACKUP = `${BUCKET}-backup`;

function synth(props: Partial<StateBackendProps> = {}): { json: StackJson; backend: StateBackend } {
  const stack = awsTestStack();
  const backend = new StateBackend(stack, 'StateBackend', {
    bucketName: BUCKET,
    lockTableName: 'acme-tfstate-locks',
    ...props,
  });
  return { json: synthJson(stack), backend };
}

/** The logical id of the aws_s3_bucket with this name. */
function bucketId(json: StackJson, name: string): string {
  const found = Object.entries(json.resource?.aws_s3_bucket ?? {}).find(([, b]) => b.bucket === name);
  if (!found) throw new Error(`no bucket ${name}`);
  return found[0];
}

describe('StateBackend', () => {
  describe('GIVEN only a bucket and a lock table name (the defaults)', () => {
    const { json, backend } = synth();
    const state = bucketId(json, BUCKET);
    const backup = bucketId(json, BACKUP);

    test('THEN the state and backup buckets exist, protected from destroy', () => {
      expect(json).toHaveResourceCount('aws_s3_bucket', 2);
      for (const name of [BUCKET, BACKUP]) {
        expect(json).toHaveResourceDeep('aws_s3_bucket', { bucket: name, lifecycle: { prevent_destroy: true } });
      }
      expect(json.resource?.aws_s3_bucket?.[state]).not.toHaveProperty('force_destroy');
    });

    test.each([
      ['state', BUCKET],
      ['backup', BACKUP],
    ])(
      'THEN the %s bucket is versioned, KMS-encrypted, private, ownership-enforced and expires old versions after 365 days',
      (_what, name) => {
        const ref = `\${aws_s3_bucket.${bucketId(json, name)}.id}`;
        expect(json).toHaveResourceDeep('aws_s3_bucket_versioning', {
          bucket: ref,
          versioning_configuration: { status: 'Enabled' },
        });
        expect(json).toHaveResourceDeep('aws_s3_bucket_server_side_encryption_configuration', {
          bucket: ref,
          rule: [
            {
              apply_server_side_encryption_by_default: {
                sse_algorithm: 'aws:kms',
                kms_master_key_id: expect.stringMatching(/^\$\{aws_kms_key\.\w+\.arn\}$/),
              },
              bucket_key_enabled: true,
            },
          ],
        });
        expect(json).toHaveResourceDeep('aws_s3_bucket_public_access_block', {
          bucket: ref,
          block_public_acls: true,
          block_public_policy: true,
          ignore_public_acls: true,
          restrict_public_buckets: true,
        });
        expect(json).toHaveResourceDeep('aws_s3_bucket_ownership_controls', {
          bucket: ref,
          rule: { object_ownership: 'BucketOwnerEnforced' },
        });
        expect(json).toHaveResourceDeep('aws_s3_bucket_lifecycle_configuration', {
          bucket: ref,
          rule: [
            {
              status: 'Enabled',
              filter: [{ prefix: '' }],
              noncurrent_version_expiration: [{ noncurrent_days: 365 }],
              abort_incomplete_multipart_upload: [{ days_after_initiation: 7 }],
            },
          ],
        });
      },
    );

    test.each([
      ['state', BUCKET],
      ['backup', BACKUP],
    ])('THEN the %s bucket policy denies non-TLS requests and uploads without an encryption header', (_what, name) => {
      const arn = `\${aws_s3_bucket.${bucketId(json, name)}.arn}`;
      expect(json).toHaveDataSourceDeep('aws_iam_policy_document', {
        statement: [
          {
            sid: 'DenyInsecureTransport',
            effect: 'Deny',
            actions: ['s3:*'],
            resources: [arn, `${arn}/*`],
            principals: [{ type: '*', identifiers: ['*'] }],
            condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
          },
          {
            sid: 'DenyUnencryptedUploads',
            effect: 'Deny',
            actions: ['s3:PutObject'],
            resources: [`${arn}/*`],
            condition: [{ test: 'Null', variable: 's3:x-amz-server-side-encryption', values: ['true'] }],
          },
        ],
      });
      const policies = Object.values(json.resource?.aws_s3_bucket_policy ?? {}).filter(
        (p) => p.bucket === `\${aws_s3_bucket.${bucketId(json, name)}.id}`,
      );
      expect(policies).toHaveLength(1);
      expect(policies[0]!.policy).toMatch(/^\$\{data\.aws_iam_policy_document\.\w+\.json\}$/);
      expect(policies[0]!.depends_on).toEqual([expect.stringMatching(/^aws_s3_bucket_public_access_block\./)]);
    });

    test('THEN the lock table has a LockID string hash key, on-demand billing, PITR, KMS encryption and deletion protection', () => {
      expect(json).toHaveResourceCount('aws_dynamodb_table', 1);
      expect(json).toHaveResourceDeep('aws_dynamodb_table', {
        name: 'acme-tfstate-locks',
        hash_key: 'LockID',
        attribute: [{ name: 'LockID', type: 'S' }],
        billing_mode: 'PAY_PER_REQUEST',
        point_in_time_recovery: { enabled: true },
        server_side_encryption: { enabled: true, kms_key_arn: expect.stringMatching(/^\$\{aws_kms_key\.\w+\.arn\}$/) },
        deletion_protection_enabled: true,
        lifecycle: { prevent_destroy: true },
      });
    });

    test('THEN one dedicated, rotated KMS key with the naming alias encrypts everything', () => {
      expect(json).toHaveResourceCount('aws_kms_key', 1);
      const key = Object.values(json.resource?.aws_kms_key ?? {})[0]!;
      expect(key).toMatchObject({
        enable_key_rotation: true,
        deletion_window_in_days: 30,
        lifecycle: { prevent_destroy: true },
      });
      // jsonencode of the default key policy: the account administers the key through IAM.
      expect(key.policy).toMatch(
        /^\$\{jsonencode\(\{"Version" = "2012-10-17", "Statement" = \[\{"Sid" = "AccountAdministersKeyThroughIam", "Effect" = "Allow", "Principal" = \{"AWS" = "arn:\$\{data\.aws_partition\.\w+\.partition\}:iam::\$\{data\.aws_caller_identity\.\w+\.account_id\}:root"\}, "Action" = "kms:\*", "Resource" = "\*"\}\]\}\)\}$/,
      );
      expect(json).toHaveResourceDeep('aws_kms_alias', { name: `alias/terraform-state/${BUCKET}` });
    });

    test('THEN the outputs are typed attributes and named Terraform outputs', () => {
      expect(backend.bucketName).toMatch(/^\$\{TfToken\[/);
      for (const attr of [
        backend.bucketArn,
        backend.backupBucketName,
        backend.backupBucketArn,
        backend.lockTableName,
        backend.lockTableArn,
        backend.kmsKeyArn,
        backend.kmsKeyAlias,
      ]) {
        expect(attr).toEqual(expect.any(String));
      }
      expect(Object.keys(json.output ?? {}).sort()).toEqual([
        'backup_bucket',
        'kms_key_arn',
        'lock_table',
        'state_bucket',
      ]);
      expect(json.output?.state_bucket?.value).toBe(`\${aws_s3_bucket.${state}.bucket}`);
      expect(json.output?.backup_bucket?.value).toBe(`\${aws_s3_bucket.${backup}.bucket}`);
    });
  });

  test('GIVEN encryption aes256 WHEN synthesized THEN there is no KMS key; buckets use AES256 and the table the AWS-managed key', () => {
    const { json, backend } = synth({ encryption: 'aes256' });
    expect(json).toHaveNoResource('aws_kms_key');
    expect(json).toHaveNoResource('aws_kms_alias');
    expect(json).toHaveResourceCount('aws_s3_bucket_server_side_encryption_configuration', 2);
    for (const cfg of Object.values(json.resource?.aws_s3_bucket_server_side_encryption_configuration ?? {})) {
      expect(cfg.rule).toEqual([{ apply_server_side_encryption_by_default: { sse_algorithm: 'AES256' } }]);
    }
    expect(json).toHaveResourceDeep('aws_dynamodb_table', { server_side_encryption: { enabled: true } });
    expect(json.resource?.aws_dynamodb_table).not.toHaveProperty([
      Object.keys(json.resource!.aws_dynamodb_table!)[0]!,
      'server_side_encryption',
      'kms_key_arn',
    ]);
    expect(backend.kmsKeyArn).toBeUndefined();
    expect(backend.kmsKeyAlias).toBeUndefined();
    expect(json.output).not.toHaveProperty('kms_key_arn');
  });

  test('GIVEN no lock table name (S3 native locking only) WHEN synthesized THEN there is no table and no lock_table output', () => {
    const { json, backend } = synth({ lockTableName: undefined });
    expect(json).toHaveNoResource('aws_dynamodb_table');
    expect(backend.lockTableName).toBeUndefined();
    expect(backend.lockTableArn).toBeUndefined();
    expect(json.output).not.toHaveProperty('lock_table');
  });

  test('GIVEN a custom expiry and preventDestroy false WHEN synthesized THEN both buckets use it and nothing is protected', () => {
    const { json } = synth({ noncurrentVersionExpiryDays: 90, preventDestroy: false });
    for (const cfg of Object.values(json.resource?.aws_s3_bucket_lifecycle_configuration ?? {})) {
      expect(cfg).toMatchObject({ rule: [{ noncurrent_version_expiration: [{ noncurrent_days: 90 }] }] });
    }
    for (const type of ['aws_s3_bucket', 'aws_dynamodb_table', 'aws_kms_key']) {
      expect(Object.values(json.resource?.[type] ?? {}).some((r) => 'lifecycle' in r)).toBe(false);
    }
    // Deletion protection is the table's own setting, independent of Terraform's prevent_destroy.
    expect(json).toHaveResourceDeep('aws_dynamodb_table', { deletion_protection_enabled: true });
  });

  test('GIVEN a bucket name with dots WHEN synthesized THEN the key alias replaces them with hyphens', () => {
    const { json } = synth({ bucketName: 'state.acme.example' });
    expect(json).toHaveResourceDeep('aws_kms_alias', { name: 'alias/terraform-state/state-acme-example' });
    expect(json).toHaveResourceDeep('aws_s3_bucket', { bucket: 'state.acme.example-backup' });
  });

  describe('validation', () => {
    test('GIVEN several invalid props WHEN constructed THEN one ConfigError names each prop, value and what is allowed', () => {
      let error: unknown;
      try {
        synth({
          bucketName: 'Bad_Bucket',
          lockTableName: 'x',
          encryption: 'des' as never,
          noncurrentVersionExpiryDays: 7,
        });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as ConfigError).message;
      expect(message).toMatch(/^StateBackend "Bad_Bucket": 4 invalid props:/);
      expect(message).toContain(
        'bucketName "Bad_Bucket" is not an S3 bucket name — use 3–63 lower-case letters, digits, dots and hyphens',
      );
      expect(message).toContain('lockTableName "x" is not a DynamoDB table name');
      expect(message).toContain('encryption "des" must be one of "kms", "aes256"');
      expect(message).toContain('noncurrentVersionExpiryDays 7 must be at least 30');
    });

    test('GIVEN a bucket name too long for its backup bucket WHEN constructed THEN the limit is named', () => {
      expect(() => synth({ bucketName: 'a'.repeat(57) })).toThrow(
        /bucketName "a{57}" is too long — the backup bucket "<bucketName>-backup" must fit S3's 63 characters, so use at most 56/,
      );
      expect(() => synth({ bucketName: 'a'.repeat(56) })).not.toThrow();
    });

    test.each([
      [{ noncurrentVersionExpiryDays: 3651 }, /noncurrentVersionExpiryDays 3651 must be at most 3650/],
      [{ noncurrentVersionExpiryDays: 30.5 }, /noncurrentVersionExpiryDays 30\.5 must be a whole number/],
      [
        { bucketName: undefined as unknown as string },
        /StateBackend "\?": 1 invalid prop:\n {2}- StateBackend "\?": bucketName is required \(expected string\)/,
      ],
      [
        { bucketNmae: 'typo' } as Partial<StateBackendProps>,
        /bucketNmae is not a known prop — remove it or fix its spelling/,
      ],
      [{ preventDestroy: 'yes' as unknown as boolean }, /preventDestroy "yes" has the wrong type — expected boolean/],
    ])('GIVEN %j WHEN constructed THEN it throws %s', (props, message) => {
      expect(() => synth(props)).toThrow(message);
    });
  });
});
