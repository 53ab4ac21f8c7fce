import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { type EnvironmentConfig } from '@platform/config';
import { deployRoleArn, stackId, stateKey, stateKmsKeyAliasArn, workloadBoundaryPolicyArn } from '@platform/naming';
import { Aspects, S3Backend, TerraformStack, TerraformVariable, type IAspect, type S3BackendConfig } from 'cdktf';
import { type Construct, type IConstruct } from 'constructs';

/** The four tags every resource carries, through the AWS provider's `default_tags`. */
export function requiredTags(env: EnvironmentConfig): Record<string, string> {
  return {
    Environment: env.name,
    Team: env.tags.team,
    ManagedBy: 'terraform',
    CostCenter: env.tags.costCenter,
  };
}

/**
 * Terraform (or OpenTofu) version every stack requires. S3 native locking (`use_lockfile`) needs 1.10,
 * and OpenTofu 1.10.0 and 1.10.1 write the `<key>.tflock` object without the `x-amz-server-side-encryption`
 * header (opentofu#2970, fixed in 1.10.2), which the state bucket policy's deny-unencrypted-writes
 * statement refuses: a lock those versions cannot take. Tested with OpenTofu 1.12.6 (scripts/setup-tools.sh).
 */
export const REQUIRED_TERRAFORM_VERSION = '>= 1.10.2';

/**
 * Options that change how every stack is wired, set once per app with `configureStackFactory`.
 * They exist for tests that run a real engine against a local S3/DynamoDB endpoint; the real
 * environments never set them.
 */
export interface StackFactoryOptions {
  /** Extra S3 backend settings merged over the environment's (e.g. a local endpoint and static test credentials). */
  readonly backendOverrides?: Partial<S3BackendConfig> & { readonly useLockfile?: boolean };
  /** Leave the AWS provider out (for stacks made only of `terraform_data`, which need no provider). @default - false */
  readonly omitAwsProvider?: boolean;
}

const OPTIONS_KEY = 'platform:stackFactoryOptions';
const registries = new WeakMap<Construct, Map<string, string>>();

/** Sets the factory options for every stack created under `app` afterwards. */
export function configureStackFactory(app: Construct, options: StackFactoryOptions): void {
  app.node.setContext(OPTIONS_KEY, options);
}

/** The options `configureStackFactory` set on `scope`'s app (empty when none were set). */
export function stackFactoryOptions(scope: Construct): StackFactoryOptions {
  return (scope.node.tryGetContext(OPTIONS_KEY) ?? {}) as StackFactoryOptions;
}

/** Where a stack keeps its state in S3 and how it is locked. */
export interface StateLocation {
  /** State bucket. */
  readonly bucket: string;
  /** Object key of the state. */
  readonly key: string;
  /** Region of the bucket. */
  readonly region: string;
  /** DynamoDB lock table. @default - no DynamoDB lock */
  readonly lockTable?: string;
  /** S3 native locking (`use_lockfile`). @default false */
  readonly useLockfile?: boolean;
  /** KMS key (ARN or alias ARN) every state write is encrypted with (`kms_key_id`). @default - SSE-S3 (AES256) */
  readonly kmsKeyId?: string;
}

/**
 * Gives `stack` the house S3 backend (encrypted, locked as `location` says, with the factory's
 * test-only overrides merged over it) and returns where its state ends up.
 * `EnvironmentStack` calls this for every environment stack; the bootstrap stack calls it once its
 * bucket exists.
 */
export function addStateBackend(
  stack: TerraformStack,
  location: StateLocation
): { readonly bucket: string; readonly key: string; readonly region: string } {
  const { useLockfile: lockfileOverride, ...backendOverrides } = stackFactoryOptions(stack).backendOverrides ?? {};
  const backend = new S3Backend(stack, {
    bucket: location.bucket,
    key: location.key,
    region: location.region,
    encrypt: true,
    ...(location.lockTable ? { dynamodbTable: location.lockTable } : {}),
    ...(location.kmsKeyId ? { kmsKeyId: location.kmsKeyId } : {}),
    ...backendOverrides,
  });
  if (lockfileOverride ?? location.useLockfile) backend.addOverride('use_lockfile', true);
  return { bucket: backendOverrides.bucket ?? location.bucket, key: backendOverrides.key ?? location.key, region: location.region };
}

/** Name of the Terraform variable that picks the role the AWS provider (and the EKS token) assumes. */
export const AWS_ROLE_VARIABLE = 'aws_role_arn';

/**
 * The role Terraform assumes in the environment's account, as a variable whose default is the deploy
 * role — the break-glass role for people (an administrator's local run, the bootstrap). CI never
 * uses the default: every workflow job sets `TF_VAR_aws_role_arn=""`, so the provider (and the EKS
 * token) assume nothing and run as the job's own OIDC role (`platform-ci-<env>-<purpose>`, see
 * modules/ci-identity) — CI never chains into another role. Any other value must be a role in the
 * environment's account.
 */
export function awsRoleVariable(stack: TerraformStack, env: EnvironmentConfig): TerraformVariable {
  const existing = stack.node.tryFindChild(AWS_ROLE_VARIABLE);
  if (existing instanceof TerraformVariable) return existing;
  const prefix = `arn:aws:iam::${env.aws.accountId}:role/`;
  return new TerraformVariable(stack, AWS_ROLE_VARIABLE, {
    type: 'string',
    default: deployRoleArn(env.aws.accountId, env.aws.deployRoleName),
    nullable: false,
    description: 'Role Terraform assumes in the account (default: the deploy role, for people). Empty: use the caller credentials as they are (every CI job: its own OIDC role, no chaining).',
    validation: [
      {
        condition: `\${var.${AWS_ROLE_VARIABLE} == "" || startswith(var.${AWS_ROLE_VARIABLE}, "${prefix}")}`,
        errorMessage: `aws_role_arn must be empty or a role in account ${env.aws.accountId} (${prefix}<name>).`,
      },
    ],
  });
}

/**
 * Gives `stack` the environment's AWS provider: the deploy role assumed, only the environment's
 * account allowed, the required tags as default tags. Returns undefined when the factory options omit it.
 */
export function addAwsProvider(
  stack: TerraformStack,
  env: EnvironmentConfig,
  options: {
    /** @default - the environment's `aws.region` */
    readonly region?: string;
    /** @default - `requiredTags(env)` */
    readonly tags?: Readonly<Record<string, string>>;
  } = {}
): AwsProvider | undefined {
  if (stackFactoryOptions(stack).omitAwsProvider) return undefined;
  const role = awsRoleVariable(stack, env);
  return new AwsProvider(stack, 'aws', {
    region: options.region ?? env.aws.region,
    allowedAccountIds: [env.aws.accountId],
    assumeRole: [{ roleArn: role.stringValue, sessionName: `terraform-${stack.node.id}` }],
    defaultTags: [{ tags: { ...(options.tags ?? requiredTags(env)) } }],
  });
}

/**
 * Base class of every stack: one stack, one state file.
 *
 * The constructor is the single place that gives a stack its S3 backend (`<env>/<stack>.tfstate`,
 * encrypted, locked) and its AWS provider (assumed role, allowed account, default tags). Stacks
 * never configure their own, and two stacks that would share a state object fail synth.
 */
export abstract class EnvironmentStack extends TerraformStack {
  /** The environment this stack belongs to. */
  public readonly env: EnvironmentConfig;
  /** Stack name within the environment, e.g. `services`. */
  public readonly stackName: string;
  /** Where this stack's state lives. */
  public readonly state: { readonly bucket: string; readonly key: string; readonly region: string };
  /** The environment's AWS provider, or undefined when omitted by the factory options. */
  public readonly awsProvider?: AwsProvider;

  protected constructor(scope: Construct, env: EnvironmentConfig, stackName: string) {
    super(scope, stackId(env.name, stackName));
    this.env = env;
    this.stackName = stackName;

    this.state = addStateBackend(this, {
      bucket: env.state.bucket,
      key: stateKey(env.name, stackName),
      region: env.state.region,
      lockTable: env.state.lockTable,
      useLockfile: env.state.useLockfile,
      // The state bucket's own key (modules/state-backend), so state and its backups are both KMS-encrypted.
      kmsKeyId: stateKmsKeyAliasArn(env.aws.accountId, env.state.region, env.state.bucket),
    });
    this.addOverride('terraform.required_version', REQUIRED_TERRAFORM_VERSION);
    this.awsProvider = addAwsProvider(this, env);
    Aspects.of(this).add(new WorkloadBoundary(workloadBoundaryPolicyArn(env.aws.accountId, env.name)));

    this.registerStateObject();
  }

  /** Records this stack's bucket+key on the app and fails validation if another stack uses the same. */
  private registerStateObject(): void {
    const app = this.node.root;
    let registry = registries.get(app);
    if (!registry) registries.set(app, (registry = new Map()));
    const objectId = `s3://${this.state.bucket}/${this.state.key}`;
    const owner = this.node.path;
    const other = registry.get(objectId);
    if (!other) registry.set(objectId, owner);
    this.node.addValidation({
      validate: () => {
        const first = registry.get(objectId);
        return first && first !== owner
          ? [`state object ${objectId} is already used by stack "${first}" — each stack needs its own state key; give the stack a unique name`]
          : [];
      },
    });
  }
}

/**
 * Gives every IAM role of an environment stack the environment's workload permissions boundary
 * (created by modules/ci-identity with the bootstrap). The CI apply role may create and change roles
 * only with that boundary attached, so no apply — whatever a merged change says — can mint a role
 * wider than the workloads need. A role that sets its own boundary keeps it.
 */
export class WorkloadBoundary implements IAspect {
  constructor(private readonly boundaryArn: string) {}

  visit(node: IConstruct): void {
    if (node instanceof IamRole && node.permissionsBoundaryInput === undefined) node.permissionsBoundary = this.boundaryArn;
  }
}
