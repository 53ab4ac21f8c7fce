import { z } from 'zod';

/** How the account's GitHub OIDC provider comes to exist: created here, or owned by the account baseline. */
export type OidcProviderMode = 'create' | 'lookup';

/** The Terraform state the environments of this account keep in one bucket (see `StateBackend`). */
export interface CiStateProps {
  /** The state bucket (the environment files' `state.bucket`). */
  readonly bucketName: string;
  /** Region of the state bucket and lock table (`state.region`). */
  readonly region: string;
  /**
   * The DynamoDB lock table (`state.lockTable`).
   * @default - none: the roles get no lock-table rights
   */
  readonly lockTableName?: string;
  /**
   * Whether the environments lock with S3 native lock files (`state.useLockfile`): `<env>/<stack>.tfstate.tflock`.
   * @default false
   */
  readonly useLockfile?: boolean;
  /** The backup bucket the daily backup writes (`stateBackupBucketName`). */
  readonly backupBucketName: string;
  /**
   * The KMS key of the backup bucket, in the backup region: the backup role encrypts its daily copies with
   * it and reads them back, through S3 in `backupRegion` only.
   * @default - none (AES256 backup bucket): no rights on a backup key
   */
  readonly backupKmsKeyArn?: string;
  /**
   * Region of the backup bucket (`state.backup.region`).
   * @default - the state bucket's region
   */
  readonly backupRegion?: string;
  /**
   * The KMS key that encrypts the state and the lock table; the only key any CI role but the backup role may decrypt with.
   * @default - none (AES256 buckets): no KMS rights at all
   */
  readonly kmsKeyArn?: string;
}

/** One environment whose CI reaches this account: what its stacks manage, so the roles can be scoped to it. */
export interface CiEnvironmentProps {
  /** Environment name (`envs/<name>.yaml`): part of every role name, state prefix and resource pattern. */
  readonly name: string;
  /** The environment's account (`aws.accountId`). */
  readonly accountId: string;
  /** The environment's workload region (`aws.region`). */
  readonly region: string;
  /** The environment's public hosted zone: records are changed only in it and only below its name. */
  readonly dns: { readonly zoneId: string; readonly zoneName: string };
  /** The environment's EKS cluster (`cluster.name`): the plan, apply and drift roles may describe it. */
  readonly clusterName: string;
  /**
   * Customer-managed KMS keys the environment's stacks encrypt logs and images with (`logs.kmsKeyArn`, `ecr.kmsKeyArn`).
   * @default - none
   */
  readonly workloadKmsKeyArns?: readonly string[];
  /**
   * The environment's own KMS key for logs and images (`EnvironmentKey`, created with these roles by the
   * bootstrap): its ARN and alias (`alias/platform/<env>`). The plan, pr-plan, drift and apply roles may
   * describe it by that alias (what `<env>-services`' `aws_kms_alias` data source does); the apply role may
   * let ECR create grants on it. No role may administer it.
   * @default - none
   */
  readonly environmentKey?: { readonly arn: string; readonly alias: string };
}

export interface CiIdentityProps {
  /** The GitHub repository whose Actions tokens the roles trust, `<org>/<repo>` (envs/_base.yaml `github.repository`). */
  readonly repository: string;
  /**
   * `create`: this construct creates the account's IAM OIDC provider for token.actions.githubusercontent.com.
   * `lookup`: it reads the one the account baseline already owns (an account has at most one per URL).
   * @default 'create'
   */
  readonly oidcProvider?: OidcProviderMode;
  /** The state bucket these environments share. */
  readonly state: CiStateProps;
  /** The environments that reach this account (at least one; names unique; all in the state bucket's account). */
  readonly environments: readonly CiEnvironmentProps[];
}

export const DEFAULTS = { oidcProvider: 'create' } as const;

const ENV_NAME = /^[a-z][a-z0-9]{1,15}$/;
const ACCOUNT = /^\d{12}$/;
const KMS_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[A-Za-z0-9/_-]+$/;

export const environmentPropsSchema = z.strictObject({
  name: z.string().regex(ENV_NAME, 'is not an environment name — use 2–16 lower-case letters and digits, starting with a letter'),
  accountId: z.string().regex(ACCOUNT, 'is not an AWS account ID — use the 12-digit ID'),
  region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'is not an AWS region — use a code such as "eu-west-1"'),
  dns: z.strictObject({
    zoneId: z.string().regex(/^Z[A-Z0-9]{1,31}$/, 'is not a Route53 hosted zone ID'),
    zoneName: z.string().regex(/^([a-z0-9-]+\.)+[a-z]{2,63}$/, 'is not a lower-case DNS zone name'),
  }),
  clusterName: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/, 'is not an EKS cluster name'),
  workloadKmsKeyArns: z.array(z.string().regex(KMS_ARN, 'is not a KMS key ARN')).optional(),
  environmentKey: z
    .strictObject({
      arn: z.string().regex(KMS_ARN, 'is not a KMS key ARN'),
      alias: z.string().regex(/^alias\/[A-Za-z0-9/_-]+$/, 'is not a KMS alias name — use "alias/<name>"'),
    })
    .optional(),
});

export const propsSchema = z.strictObject({
  repository: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/, 'is not a GitHub repository — use "<org>/<repo>" exactly (no wildcards)'),
  oidcProvider: z.enum(['create', 'lookup'], { error: 'must be "create" or "lookup"' }).optional(),
  state: z.strictObject({
    bucketName: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'is not an S3 bucket name'),
    region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'is not an AWS region'),
    lockTableName: z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/, 'is not a DynamoDB table name').optional(),
    useLockfile: z.boolean().optional(),
    backupBucketName: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'is not an S3 bucket name'),
    kmsKeyArn: z.string().optional(),
    backupKmsKeyArn: z.string().optional(),
    backupRegion: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'is not an AWS region').optional(),
  }),
  environments: z.array(environmentPropsSchema).min(1, 'is empty — name at least one environment'),
});
