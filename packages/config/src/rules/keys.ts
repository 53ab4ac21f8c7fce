import { type CrossFieldIssue } from '../schema';

/** `arn:<partition>:kms:<region>:<account>:key/<id>`: a key, never an alias. */
const KEY_ARN = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):(key|alias)\/.+$/;

/**
 * KMS keys named in an environment file must be usable by that environment: a key ARN (an alias can be
 * re-pointed at another key without a change here), in the environment's own account and region
 * (CloudWatch Logs and ECR use a key only in their region, and a key in another account needs a
 * cross-account key policy this repository cannot see). `encryption: default` with a key is a contradiction.
 */
export function keyIssues(env: Record<string, unknown>): CrossFieldIssue[] {
  const issues: CrossFieldIssue[] = [];
  const aws = (env.aws ?? {}) as Record<string, unknown>;
  for (const section of ['logs', 'ecr', 'secretsManager'] as const) {
    const block = env[section] as Record<string, unknown> | undefined;
    if (!block || typeof block !== 'object') continue;
    const arn = block.kmsKeyArn;
    if (typeof arn !== 'string') continue;
    if (block.encryption === 'default') {
      issues.push({ path: [section, 'encryption'], value: 'default', message: `contradicts ${section}.kmsKeyArn — set encryption: kms, or remove kmsKeyArn` });
    }
    const match = KEY_ARN.exec(arn);
    if (!match) continue; // the field's own pattern reports it
    const [, region, account, kind] = match;
    const fix = `use a key ARN "arn:aws:kms:${String(aws.region ?? '<region>')}:${String(aws.accountId ?? '<account>')}:key/<id>", or encryption: kms for the environment's own key`;
    if (kind === 'alias') {
      issues.push({ path: [section, 'kmsKeyArn'], value: arn, message: `is an alias, which can be re-pointed at any key — ${fix}` });
      continue;
    }
    if (typeof aws.accountId === 'string' && account !== aws.accountId) {
      issues.push({ path: [section, 'kmsKeyArn'], value: arn, message: `is in account ${account}, not the environment's account ${aws.accountId} — ${fix}` });
    }
    if (typeof aws.region === 'string' && region !== aws.region) {
      issues.push({ path: [section, 'kmsKeyArn'], value: arn, message: `is in region ${region}, not the environment's region ${aws.region} — ${fix}` });
    }
  }
  issues.push(...backupIssues(env));
  return issues;
}

/** The state's backups must not share the state's region (one regional failure or deletion would take both). */
function backupIssues(env: Record<string, unknown>): CrossFieldIssue[] {
  const state = env.state as Record<string, unknown> | undefined;
  const backup = state?.backup as Record<string, unknown> | undefined;
  if (!state || typeof state !== 'object' || !backup || typeof backup !== 'object') return [];
  if (typeof backup.region === 'string' && backup.region === state.region) {
    return [
      {
        path: ['state', 'backup', 'region'],
        value: backup.region,
        message: `is the state bucket's own region (state.region) — put the backups in another region, e.g. set state.backup.region in envs/_base.yaml or this file`,
      },
    ];
  }
  return [];
}
