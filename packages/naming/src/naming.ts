/**
 * Physical names for everything the platform creates. Names are part of the contract with AWS:
 * changing one replaces the resource, so they are built here and nowhere else.
 */

/** `<service>-<env>` or `<service>-<env>-<suffix>`: the house pattern for physical names. */
export function resourceName(service: string, env: string, suffix?: string): string {
  return suffix ? `${service}-${env}-${suffix}` : `${service}-${env}`;
}

/** ECR repository for a service in an environment, e.g. `payments-dev`. */
export function repositoryName(service: string, env: string): string {
  return resourceName(service, env);
}

/** IAM role the service's pods assume through IRSA, e.g. `payments-dev-workload`. */
export function workloadRoleName(service: string, env: string): string {
  return resourceName(service, env, 'workload');
}

/** CloudWatch log group of a service, e.g. `/platform/dev/payments`. */
export function logGroupName(service: string, env: string): string {
  return `/platform/${env}/${service}`;
}

/** Stack id (and `cdktf.out/stacks/<id>` folder), e.g. `dev-services`. */
export function stackId(env: string, stack: string): string {
  return `${env}-${stack}`;
}

/** S3 key of a stack's state: `<env>/<stack>.tfstate`. */
export function stateKey(env: string, stack: string): string {
  return `${env}/${stack}.tfstate`;
}

/** ARN of an IAM role (default path) in an account. */
export function roleArn(accountId: string, roleName: string, partition = 'aws'): string {
  return `arn:${partition}:iam::${accountId}:role/${roleName}`;
}

/** ARN of the role Terraform assumes in an environment's account. */
export function deployRoleArn(accountId: string, roleName: string, partition = 'aws'): string {
  return roleArn(accountId, roleName, partition);
}

/** ARN of a service's IRSA workload role (`workloadRoleName`), known without reading any state. */
export function workloadRoleArn(accountId: string, service: string, env: string, partition = 'aws'): string {
  return roleArn(accountId, workloadRoleName(service, env), partition);
}

/** URL of a service's ECR repository (`repositoryName`), without a tag. */
export function repositoryUrl(accountId: string, region: string, service: string, env: string): string {
  return `${accountId}.dkr.ecr.${region}.amazonaws.com/${repositoryName(service, env)}`;
}

/** ARN of an EKS cluster's IAM OIDC provider, from its issuer (`oidc.eks.<region>.amazonaws.com/id/<ID>`). */
export function oidcProviderArn(accountId: string, oidcIssuer: string, partition = 'aws'): string {
  return `arn:${partition}:iam::${accountId}:oidc-provider/${oidcIssuer}`;
}

/** Stack name of the state-backend bootstrap stack; its id is `<env>-bootstrap` (see `stackId`). */
export const BOOTSTRAP_STACK = 'bootstrap';

/**
 * S3 key of a bootstrap stack's own state once migrated into the bucket it created: `bootstrap.tfstate`
 * at the bucket root, which no `<env>/<stack>.tfstate` key can equal.
 */
export function bootstrapStateKey(): string {
  return 'bootstrap.tfstate';
}

/** Versioned bucket the daily state backup copies into, e.g. `acme-tfstate-111111111111-eu-west-1-backup`. */
export function stateBackupBucketName(stateBucket: string): string {
  return `${stateBucket}-backup`;
}

/**
 * Alias of the KMS key that encrypts a state bucket, its backup bucket and its lock table,
 * e.g. `alias/terraform-state/acme-tfstate-111111111111-eu-west-1` (dots become hyphens: aliases allow none).
 */
export function stateKmsKeyAlias(stateBucket: string): string {
  return `alias/terraform-state/${stateBucket.replace(/\./g, '-')}`;
}

/**
 * What a CI identity is for. Each purpose is its own IAM role in the environment's account, trusted by
 * exactly one GitHub OIDC subject (see modules/ci-identity):
 * - `pr-plan`: plans pull requests (read-only, trusted by `repo:<org>/<repo>:pull_request`);
 * - `plan`:    plans the merged commit before an approval (trusted by the main-only `<env>-plan` GitHub environment);
 * - `apply`:   applies one environment (trusted by the `<env>` GitHub environment);
 * - `drift`:   nightly drift detection (read-only, trusted by the `<env>-drift` GitHub environment);
 * - `backup`:  daily state backup (reads state, writes the backup bucket; trusted by `<env>-backup`).
 */
export const CI_ROLE_PURPOSES = ['pr-plan', 'plan', 'apply', 'drift', 'backup'] as const;
export type CiRolePurpose = (typeof CI_ROLE_PURPOSES)[number];

/** IAM role name of one CI identity of an environment, e.g. `platform-ci-<env>-pr-plan`. */
export function ciRoleName(env: string, purpose: CiRolePurpose): string {
  return `platform-ci-${env}-${purpose}`;
}

/** ARN of one CI identity of an environment (`ciRoleName`), known without reading any state. */
export function ciRoleArn(accountId: string, env: string, purpose: CiRolePurpose, partition = 'aws'): string {
  return roleArn(accountId, ciRoleName(env, purpose), partition);
}

/**
 * Managed policy that is the permissions boundary of every IAM role an environment's CI apply role may
 * create (workload and controller roles), e.g. `platform-ci-<env>-workload-boundary`: the apply role can
 * create roles only with it attached, so it cannot mint a role wider than the workloads need.
 */
export function workloadBoundaryPolicyName(env: string): string {
  return `platform-ci-${env}-workload-boundary`;
}

/** ARN of the environment's workload permissions boundary (`workloadBoundaryPolicyName`). */
export function workloadBoundaryPolicyArn(accountId: string, env: string, partition = 'aws'): string {
  return `arn:${partition}:iam::${accountId}:policy/${workloadBoundaryPolicyName(env)}`;
}

/** Alias of an environment's own KMS key (logs and images), e.g. `alias/platform/<env>`. */
export function environmentKmsKeyAlias(env: string): string {
  return `alias/platform/${env}`;
}

/** ARN pattern of every log group of an environment (`logGroupName`): `…:log-group:/platform/<env>/*`. */
export function environmentLogGroupsArn(accountId: string, region: string, env: string, partition = 'aws'): string {
  return `arn:${partition}:logs:${region}:${accountId}:log-group:/platform/${env}/*`;
}

/** Bucket receiving the S3 server access logs of a state bucket (same region), e.g. `<state bucket>-logs`. */
export function stateAccessLogBucketName(stateBucket: string): string {
  return `${stateBucket}-logs`;
}

/** Bucket receiving the S3 server access logs of a backup bucket (the backup's region), e.g. `<state bucket>-bkplog`. */
export function stateBackupAccessLogBucketName(stateBucket: string): string {
  return `${stateBucket}-bkplog`;
}

/** Alias of the KMS key that encrypts a state bucket's backups, in the backup region, e.g. `alias/terraform-state-backup/<bucket>`. */
export function stateBackupKmsKeyAlias(stateBucket: string): string {
  return `alias/terraform-state-backup/${stateBucket.replace(/\./g, '-')}`;
}

/** IAM role S3 replication assumes to copy a state bucket into its backup: one per state bucket (account and region). */
export function stateReplicationRoleName(stateRegion: string): string {
  return `terraform-state-replication-${stateRegion}`;
}

/** ARN of a state bucket's KMS key alias (`stateKmsKeyAlias`), known without reading any state: what every S3 backend's `kms_key_id` names. */
export function stateKmsKeyAliasArn(accountId: string, region: string, stateBucket: string, partition = 'aws'): string {
  return `arn:${partition}:kms:${region}:${accountId}:${stateKmsKeyAlias(stateBucket)}`;
}
