import { block, referencedData, refersTo, resources } from '../json';
import { type Finding, type PolicyContext, type ResourceRef, type Rule } from '../types';

function attachedTo(ctx: PolicyContext, type: string, bucket: ResourceRef): ResourceRef[] {
  return resources(ctx, type).filter((r) => refersTo(r.body.bucket, bucket.type, bucket.id) || r.body.bucket === bucket.body.bucket);
}

export const ecrEncryptionRule: Rule = {
  id: 'ENC-001',
  rationale: 'Container images can embed configuration and code that must be encrypted at rest, with the KMS key the environment mandates.',
  fix: 'Set encryption_configuration (ServiceModule does: AES256, or KMS when the environment sets ecr.encryption: kms or ecr.kmsKeyArn).',
  check(ctx) {
    const findings: Finding[] = [];
    for (const r of resources(ctx, 'aws_ecr_repository')) {
      const enc = block(r.body.encryption_configuration);
      if (!enc) findings.push({ path: r.path, message: 'ECR repository has no encryption_configuration' });
      else if ((ctx.env?.ecr.kmsKeyArn || ctx.env?.ecr.encryption === 'kms') && enc.encryption_type !== 'KMS') {
        findings.push({ path: r.path, message: `ECR repository uses ${String(enc.encryption_type)} but envs/${ctx.env.name}.yaml asks for KMS (ecr.encryption / ecr.kmsKeyArn)` });
      }
    }
    return findings;
  },
};

export const logEncryptionRule: Rule = {
  id: 'ENC-002',
  rationale: 'Where an environment requires customer-managed keys for logs, a log group without one silently breaks that control.',
  fix: "Pass the environment's key as kms_key_id (ServicesStack: the EnvironmentKey, or logs.kmsKeyArn).",
  check(ctx) {
    if (!ctx.env?.logs.kmsKeyArn && ctx.env?.logs.encryption !== 'kms') return [];
    return resources(ctx, 'aws_cloudwatch_log_group')
      .filter((r) => !r.body.kms_key_id)
      .map((r) => ({ path: r.path, message: `log group has no kms_key_id but envs/${ctx.env!.name}.yaml asks for KMS (logs.encryption / logs.kmsKeyArn)` }));
  },
};

export const s3EncryptionRule: Rule = {
  id: 'ENC-003',
  rationale: 'State, backups and artifacts in S3 must be encrypted at rest with a configured default.',
  fix: 'Add aws_s3_bucket_server_side_encryption_configuration for the bucket (StateBackend does).',
  check(ctx) {
    return resources(ctx, 'aws_s3_bucket')
      .filter((b) => attachedTo(ctx, 'aws_s3_bucket_server_side_encryption_configuration', b).length === 0)
      .map((b) => ({ path: b.path, message: 'S3 bucket has no server-side encryption configuration' }));
  },
};

export const s3PublicAccessRule: Rule = {
  id: 'S3-001',
  rationale: 'A bucket without a full public access block is one ACL or policy mistake away from being public.',
  fix: 'Add aws_s3_bucket_public_access_block with all four settings true.',
  check(ctx) {
    const findings: Finding[] = [];
    for (const b of resources(ctx, 'aws_s3_bucket')) {
      const blocks = attachedTo(ctx, 'aws_s3_bucket_public_access_block', b);
      const full = blocks.some((p) => ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets'].every((k) => p.body[k] === true));
      if (!full) findings.push({ path: b.path, message: 'S3 bucket has no public access block with all four settings true' });
    }
    return findings;
  },
};

export const s3TlsRule: Rule = {
  id: 'S3-002',
  rationale: 'Requests over plain HTTP expose state and credentials in transit; the bucket policy must deny them.',
  fix: 'Attach a bucket policy with a Deny statement for aws:SecureTransport = false (StateBackend does).',
  check(ctx) {
    const findings: Finding[] = [];
    for (const b of resources(ctx, 'aws_s3_bucket')) {
      const policies = attachedTo(ctx, 'aws_s3_bucket_policy', b);
      const tlsOnly = policies.some((p) => {
        const doc = referencedData(ctx, p.body.policy);
        const statements = (doc?.body.statement ?? []) as Record<string, unknown>[];
        return statements.some(
          (s) =>
            s.effect === 'Deny' &&
            ((s.condition ?? []) as Record<string, unknown>[]).some(
              (c) => c.variable === 'aws:SecureTransport' && (c.values as unknown[] | undefined)?.includes('false'),
            ),
        );
      });
      if (!tlsOnly) findings.push({ path: b.path, message: 'S3 bucket has no policy denying non-TLS requests (aws:SecureTransport = false)' });
    }
    return findings;
  },
};

export const dynamoRule: Rule = {
  id: 'DDB-001',
  rationale: 'Lock and data tables must be encrypted and recoverable to a point in time.',
  fix: 'Set server_side_encryption { enabled = true } and point_in_time_recovery { enabled = true }.',
  check(ctx) {
    const findings: Finding[] = [];
    for (const t of resources(ctx, 'aws_dynamodb_table')) {
      if (block(t.body.server_side_encryption)?.enabled !== true) findings.push({ path: t.path, message: 'DynamoDB table has no server_side_encryption enabled' });
      if (block(t.body.point_in_time_recovery)?.enabled !== true) findings.push({ path: t.path, message: 'DynamoDB table has no point_in_time_recovery enabled' });
    }
    return findings;
  },
};


export const kmsKeyRule: Rule = {
  id: 'KMS-001',
  rationale: 'A key without an explicit policy falls back to the account default, and an unrotated key lives forever (found by checkov CKV2_AWS_64 / CKV_AWS_7).',
  fix: 'Give aws_kms_key an explicit policy (from aws_iam_policy_document) and enable_key_rotation = true.',
  check(ctx) {
    const findings: Finding[] = [];
    for (const k of resources(ctx, 'aws_kms_key')) {
      if (!k.body.policy) findings.push({ path: k.path, message: 'KMS key has no explicit key policy' });
      if (k.body.enable_key_rotation !== true) findings.push({ path: k.path, message: 'KMS key does not rotate (enable_key_rotation)' });
    }
    return findings;
  },
};
