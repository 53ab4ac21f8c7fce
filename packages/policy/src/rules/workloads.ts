import { block, resources } from '../json';
import { type Finding, type Rule } from '../types';

export const ecrImmutableRule: Rule = {
  id: 'ECR-001',
  rationale: 'Mutable tags let a deployed tag silently point at different code.',
  fix: 'Set image_tag_mutability = "IMMUTABLE".',
  check: (ctx) =>
    resources(ctx, 'aws_ecr_repository')
      .filter((r) => r.body.image_tag_mutability !== 'IMMUTABLE')
      .map((r) => ({ path: r.path, message: `image_tag_mutability is ${JSON.stringify(r.body.image_tag_mutability ?? 'MUTABLE')}` })),
};

export const ecrScanRule: Rule = {
  id: 'ECR-002',
  rationale: 'Images must be scanned for known vulnerabilities when pushed.',
  fix: 'Set image_scanning_configuration { scan_on_push = true }.',
  check: (ctx) =>
    resources(ctx, 'aws_ecr_repository')
      .filter((r) => block(r.body.image_scanning_configuration)?.scan_on_push !== true)
      .map((r) => ({ path: r.path, message: 'ECR repository does not scan on push' })),
};

export const logRetentionRule: Rule = {
  id: 'LOG-001',
  rationale: 'Log groups without retention keep (and bill) data forever and break data-retention promises.',
  fix: 'Set retention_in_days to an allowed CloudWatch value (ServiceModule defaults to 30).',
  check: (ctx) =>
    resources(ctx, 'aws_cloudwatch_log_group')
      .filter((r) => typeof r.body.retention_in_days !== 'number' || r.body.retention_in_days <= 0)
      .map((r) => ({ path: r.path, message: 'log group has no retention_in_days' })),
};

/** Resource types whose loss loses data: they get prevent_destroy where the environment asks. */
export const STATEFUL_TYPES = [
  'aws_ecr_repository',
  'aws_cloudwatch_log_group',
  'aws_s3_bucket',
  'aws_dynamodb_table',
  'aws_kms_key',
  'aws_secretsmanager_secret',
  'aws_db_instance',
  'aws_rds_cluster',
] as const;

export const preventDestroyRule: Rule = {
  id: 'STATE-002',
  rationale: 'In production a refactor or a bad plan must not be able to destroy data-holding resources.',
  fix: 'Set lifecycle { prevent_destroy = true } (modules do so when the environment sets preventDestroy: true).',
  check(ctx) {
    if (!ctx.env?.preventDestroy) return [];
    const findings: Finding[] = [];
    for (const r of resources(ctx, ...STATEFUL_TYPES)) {
      if ((r.body.lifecycle as { prevent_destroy?: boolean } | undefined)?.prevent_destroy !== true) {
        findings.push({ path: r.path, message: `${r.type} has no prevent_destroy, but envs/${ctx.env.name}.yaml sets preventDestroy: true` });
      }
    }
    return findings;
  },
};
