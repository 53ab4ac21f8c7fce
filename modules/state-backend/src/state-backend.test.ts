import { ConfigError } from '@platform/config';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { awsTestStack, synthJson, type StackJson } from '@platform/testing';
import { StateBackend } from './state-backend';
import { type StateBackendProps } from './props';

const BUCKET = 'acme-tfstate-111111111111-eu-west-1';
const BACKUP = `${BUCKET}-backup`;
const LOGS = `${BUCKET}-logs`;
const BACKUP_LOGS = `${BUCKET}-bkplog`;
const ROLE = (name: string) => `arn:aws:iam::111111111111:role/${name}`;
const ACCESS = {
  readWrite: [ROLE('ci-apply')],
  breakGlass: [ROLE('break-glass')],
  readAndLock: [ROLE('ci-pr-plan'), ROLE('ci-plan'), ROLE('ci-drift')],
  backup: [ROLE('ci-backup')],
};

function synth(props: Partial<StateBackendProps> = {}): { json: StackJson; backend: StateBackend } {
  const stack = awsTestStack();
  const provider = new AwsProvider(stack, 'aws_backup', { alias: 'backup', region: 'eu-central-1' });
  const backend = new StateBackend(stack, 'StateBackend', {
    bucketName: BUCKET,
    region: 'eu-west-1',
    lockTableName: 'acme-tfstate-locks',
    backup: { region: 'eu-central-1', provider },
    access: ACCESS,
    ...props,
  });
  return { json: synthJson(stack), backend };
}

/** The statements of the policy document attached to the bucket with this name. */
function bucketPolicy(json: StackJson, name: string): Array<Record<string, unknown>> {
  const policy = Object.values(json.resource?.aws_s3_bucket_policy ?? {}).find((p) => p.bucket === `\${aws_s3_bucket.${bucketId(json, name)}.id}`)!;
  const doc = /^\$\{data\.aws_iam_policy_document\.(\w+)\.json\}$/.exec(policy.policy as string)![1]!;
  return (json.data?.aws_iam_policy_document?.[doc] as { statement: Array<Record<string, unknown>> }).statement;
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

    test('THEN the state, backup and two access-log buckets exist, protected from destroy', () => {
      expect(json).toHaveResourceCount('aws_s3_bucket', 4);
      for (const name of [BUCKET, BACKUP, LOGS, BACKUP_LOGS]) {
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
      ['state', BUCKET, ['DenyInsecureTransport', 'DenyUnencryptedUploads', 'DenyStateReadExceptNamedRoles', 'DenyReplicationReadExceptReplicationRole', 'DenyStateWriteExceptReadWriteRoles', 'DenyLockWriteExceptLockingRoles']],
      ['backup', BACKUP, ['DenyInsecureTransport', 'ReplicationRoleWritesReplicas', 'DenyBackupAccessExceptBackupAndBreakGlassRoles']],
      ['state access-log', LOGS, ['DenyInsecureTransport', 'S3ServerAccessLogsDelivery', 'DenyLogDeletion']],
      ['backup access-log', BACKUP_LOGS, ['DenyInsecureTransport', 'S3ServerAccessLogsDelivery', 'ReplicationRoleWritesReplicas', 'DenyLogDeletion']],
    ])('THEN the %s bucket has one policy, from a policy document, after its public access block, with one statement per intent', (_what, name, sids) => {
      const arn = `\${aws_s3_bucket.${bucketId(json, name)}.arn}`;
      const statements = bucketPolicy(json, name);
      expect(statements.map((st) => st.sid)).toEqual(sids);
      expect(statements[0]).toEqual({
        sid: 'DenyInsecureTransport',
        effect: 'Deny',
        actions: ['s3:*'],
        resources: [arn, `${arn}/*`],
        principals: [{ type: '*', identifiers: ['*'] }],
        condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
      });
      const policies = Object.values(json.resource?.aws_s3_bucket_policy ?? {}).filter(
        (p) => p.bucket === `\${aws_s3_bucket.${bucketId(json, name)}.id}`,
      );
      expect(policies).toHaveLength(1);
      expect(policies[0]!.depends_on).toEqual([expect.stringMatching(/^aws_s3_bucket_public_access_block\./)]);
    });

    test('THEN reading state objects is denied to every principal but the named roles, via aws:PrincipalArn', () => {
      const arn = `\${aws_s3_bucket.${state}.arn}`;
      const statements = bucketPolicy(json, BUCKET);
      const bySid = (sid: string) => statements.find((st) => st.sid === sid);
      expect(bySid('DenyUnencryptedUploads')).toMatchObject({ actions: ['s3:PutObject'], condition: [{ test: 'Null', variable: 's3:x-amz-server-side-encryption', values: ['true'] }] });
      expect(bySid('DenyStateReadExceptNamedRoles')).toEqual({
        sid: 'DenyStateReadExceptNamedRoles',
        effect: 'Deny',
        principals: [{ type: '*', identifiers: ['*'] }],
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [`${arn}/*`],
        condition: [{ test: 'ArnNotEquals', variable: 'aws:PrincipalArn', values: [...ACCESS.readWrite, ...ACCESS.breakGlass, ...ACCESS.readAndLock, ...ACCESS.backup].sort() }],
      });
    });

    test('THEN writing state is denied to all but the read-write roles, and writing lock files to all but those and the planners', () => {
      const arn = `\${aws_s3_bucket.${state}.arn}`;
      const statements = bucketPolicy(json, BUCKET);
      const bySid = (sid: string) => statements.find((st) => st.sid === sid);
      expect(bySid('DenyStateWriteExceptReadWriteRoles')).toEqual({
        sid: 'DenyStateWriteExceptReadWriteRoles',
        effect: 'Deny',
        principals: [{ type: '*', identifiers: ['*'] }],
        actions: ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion'],
        not_resources: [`${arn}/*.tflock`],
        condition: [{ test: 'ArnNotEquals', variable: 'aws:PrincipalArn', values: [...ACCESS.readWrite, ...ACCESS.breakGlass].sort() }],
      });
      expect(bySid('DenyLockWriteExceptLockingRoles')).toMatchObject({
        resources: [`${arn}/*.tflock`],
        condition: [{ test: 'ArnNotEquals', variable: 'aws:PrincipalArn', values: [...ACCESS.readWrite, ...ACCESS.breakGlass, ...ACCESS.readAndLock].sort() }],
      });
      expect(bySid('DenyReplicationReadExceptReplicationRole')).toMatchObject({
        actions: ['s3:GetObjectVersionForReplication'],
        condition: [{ test: 'ArnNotEquals', variable: 'aws:PrincipalArn', values: [expect.stringMatching(/^\$\{aws_iam_role\.StateBackend_Replication_Role_\w+\.arn\}$/)] }],
      });
    });

    test('THEN the backup bucket is readable and writable only by the backup and break-glass roles, and the replication role writes replicas', () => {
      const statements = bucketPolicy(json, BACKUP);
      expect(statements.find((st) => st.sid === 'DenyBackupAccessExceptBackupAndBreakGlassRoles')).toMatchObject({
        effect: 'Deny',
        actions: ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject'],
        condition: [{ test: 'ArnNotEquals', variable: 'aws:PrincipalArn', values: [...ACCESS.backup, ...ACCESS.breakGlass].sort() }],
      });
      expect(statements.find((st) => st.sid === 'ReplicationRoleWritesReplicas')).toMatchObject({
        effect: 'Allow',
        principals: [{ type: 'AWS', identifiers: [expect.stringMatching(/^\$\{aws_iam_role\.StateBackend_Replication_Role_\w+\.arn\}$/)] }],
        actions: ['s3:ReplicateObject', 's3:ReplicateTags', 's3:ObjectOwnerOverrideToBucketOwner'],
      });
    });

    test('THEN the backup bucket, its key and its log bucket live in the backup region (its provider), with Object Lock COMPLIANCE for 30 days', () => {
      expect(json.resource?.aws_s3_bucket?.[backup]).toMatchObject({ object_lock_enabled: true, provider: 'aws.backup' });
      expect(json.resource?.aws_s3_bucket?.[state]).not.toHaveProperty('provider');
      expect(json.resource?.aws_s3_bucket?.[state]).not.toHaveProperty('object_lock_enabled');
      expect(json.resource?.aws_s3_bucket?.[bucketId(json, BACKUP_LOGS)]).toMatchObject({ provider: 'aws.backup' });
      expect(json).toHaveResourceDeep('aws_s3_bucket_object_lock_configuration', {
        bucket: `\${aws_s3_bucket.${backup}.id}`,
        rule: { default_retention: { mode: 'COMPLIANCE', days: 30 } },
        provider: 'aws.backup',
      });
      expect(json).toHaveResourceDeep('aws_kms_alias', { name: `alias/terraform-state-backup/${BUCKET}`, provider: 'aws.backup' });
    });

    test('THEN the state (and its access logs) replicate every version, never deletions, into the backup region, re-encrypted with the backup key', () => {
      const configs = Object.values(json.resource?.aws_s3_bucket_replication_configuration ?? {});
      expect(configs).toHaveLength(2);
      const stateRule = configs.find((c) => c.bucket === `\${aws_s3_bucket.${state}.id}`)!;
      expect(stateRule).toMatchObject({
        role: expect.stringMatching(/^\$\{aws_iam_role\.\w+\.arn\}$/),
        rule: [
          {
            status: 'Enabled',
            filter: { prefix: '' },
            delete_marker_replication: { status: 'Disabled' },
            source_selection_criteria: { sse_kms_encrypted_objects: { status: 'Enabled' } },
            destination: { bucket: `\${aws_s3_bucket.${backup}.arn}`, encryption_configuration: { replica_kms_key_id: expect.stringMatching(/^\$\{aws_kms_key\.\w+\.arn\}$/) } },
          },
        ],
      });
      const logsRule = configs.find((c) => c.bucket === `\${aws_s3_bucket.${bucketId(json, LOGS)}.id}`)!;
      expect(logsRule).toMatchObject({ rule: [{ status: 'Enabled', destination: { bucket: `\${aws_s3_bucket.${bucketId(json, BACKUP_LOGS)}.arn}` } }] });
    });

    test('THEN only S3 may assume the replication role, for this account and these buckets, and it may decrypt only via S3 in the state region', () => {
      expect(json).toHaveResourceDeep('aws_iam_role', { name: 'terraform-state-replication-eu-west-1' });
      const docs = Object.entries(json.data?.aws_iam_policy_document ?? {});
      const trust = docs.find(([id]) => id.includes('Replication_TrustPolicy'))![1] as { statement: Array<Record<string, unknown>> };
      expect(trust.statement[0]).toMatchObject({ actions: ['sts:AssumeRole'], principals: [{ type: 'Service', identifiers: ['s3.amazonaws.com'] }] });
      const policy = docs.find(([id]) => id.includes('Replication_PolicyDocument'))![1] as { statement: Array<Record<string, unknown>> };
      expect(policy.statement.map((st) => st.sid)).toEqual(['ReadSourceReplicationConfiguration', 'ReadSourceVersions', 'WriteReplicas', 'DecryptSourceWithStateKey', 'EncryptReplicasWithBackupKey']);
      expect(policy.statement[3]).toMatchObject({ actions: ['kms:Decrypt'], condition: [{ test: 'StringEquals', variable: 'kms:ViaService', values: ['s3.eu-west-1.amazonaws.com'] }] });
      expect(policy.statement[4]).toMatchObject({ condition: [{ test: 'StringEquals', variable: 'kms:ViaService', values: ['s3.eu-central-1.amazonaws.com'] }] });
    });

    test('THEN the state and backup buckets log access into the log bucket of their own region, which is AES256 and writable only by S3 log delivery', () => {
      expect(json).toHaveResourceDeep('aws_s3_bucket_logging', { bucket: `\${aws_s3_bucket.${state}.id}`, target_bucket: `\${aws_s3_bucket.${bucketId(json, LOGS)}.id}` });
      expect(json).toHaveResourceDeep('aws_s3_bucket_logging', { bucket: `\${aws_s3_bucket.${backup}.id}`, target_bucket: `\${aws_s3_bucket.${bucketId(json, BACKUP_LOGS)}.id}`, provider: 'aws.backup' });
      expect(json).toHaveResourceDeep('aws_s3_bucket_server_side_encryption_configuration', {
        bucket: `\${aws_s3_bucket.${bucketId(json, LOGS)}.id}`,
        rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: 'AES256' } }],
      });
      const delivery = bucketPolicy(json, LOGS).find((st) => st.sid === 'S3ServerAccessLogsDelivery')!;
      expect(delivery).toMatchObject({ effect: 'Allow', principals: [{ type: 'Service', identifiers: ['logging.s3.amazonaws.com'] }], actions: ['s3:PutObject'] });
      expect(bucketPolicy(json, LOGS).find((st) => st.sid === 'DenyLogDeletion')).toMatchObject({ effect: 'Deny', actions: ['s3:DeleteObject', 's3:DeleteObjectVersion'], principals: [{ type: '*', identifiers: ['*'] }] });
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

    test('THEN two dedicated, rotated KMS keys: the state key with the naming alias, and the backup key', () => {
      expect(json).toHaveResourceCount('aws_kms_key', 2);
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
        backend.backupKmsKeyArn,
        backend.replicationRoleArn,
      ]) {
        expect(attr).toEqual(expect.any(String));
      }
      expect(Object.keys(json.output ?? {}).sort()).toEqual([
        'backup_bucket',
        'backup_kms_key_arn',
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
    expect(json).toHaveResourceCount('aws_s3_bucket_server_side_encryption_configuration', 4);
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
    const [replication] = Object.values(json.resource?.aws_s3_bucket_replication_configuration ?? {});
    expect((replication!.rule as Array<Record<string, unknown>>)[0]).not.toHaveProperty('source_selection_criteria');
  });

  test('GIVEN a backup account and a GOVERNANCE lock WHEN synthesized THEN replicas are owned by that account and locked as asked', () => {
    const { json } = synth({ backup: { region: 'eu-central-1', accountId: '999999999999', objectLock: { mode: 'GOVERNANCE', days: 90 } } });
    expect(json).toHaveResourceDeep('aws_s3_bucket_object_lock_configuration', { rule: { default_retention: { mode: 'GOVERNANCE', days: 90 } } });
    expect(json).toHaveResourceDeep('aws_s3_bucket_replication_configuration', {
      rule: [{ destination: { account: '999999999999', access_control_translation: { owner: 'Destination' } } }],
    });
    // The backup key lives in the backup account: its policy, not the state account's IAM, lets the role encrypt.
    const backupKey = Object.values(json.resource?.aws_kms_key ?? {}).find((k) => (k.description as string).startsWith('Backups of'))!;
    expect(backupKey.policy).toContain('"Sid" = "ReplicationEncryptsReplicas"');
    expect(backupKey.policy).toMatch(/"Principal" = \{"AWS" = aws_iam_role\.StateBackend_Replication_Role_\w+\.arn\}/);
    expect(backupKey.policy).toContain('arn:${data.aws_partition');
  });

  test('GIVEN no access list WHEN synthesized THEN the state bucket policy has no principal denies (tests only)', () => {
    const { json } = synth({ access: undefined });
    expect(bucketPolicy(json, BUCKET).map((st) => st.sid)).toEqual(['DenyInsecureTransport', 'DenyUnencryptedUploads']);
    expect(bucketPolicy(json, BACKUP).map((st) => st.sid)).toEqual(['DenyInsecureTransport', 'ReplicationRoleWritesReplicas']);
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
    const stateAndBackup = [BUCKET, BACKUP].map((name) => `\${aws_s3_bucket.${bucketId(json, name)}.id}`);
    for (const cfg of Object.values(json.resource?.aws_s3_bucket_lifecycle_configuration ?? {}).filter((c) => stateAndBackup.includes(c.bucket as string))) {
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

    test('GIVEN a backup region equal to the state region WHEN constructed THEN the error says to use another region', () => {
      expect(() => synth({ backup: { region: 'eu-west-1' } })).toThrow(/backup\.region "eu-west-1" is the state bucket's own region — put the backups in another region/);
    });

    test.each([
      [{ backup: { region: 'eu-central-1', objectLock: { mode: 'LOOSE', days: 1 } } } as unknown as Partial<StateBackendProps>, /backup\.objectLock\.mode "LOOSE" must be "GOVERNANCE" or "COMPLIANCE"/],
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
