import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { type EnvironmentConfig } from '@platform/config';
import { deployRoleArn, stackId, stateKey } from '@platform/naming';
import { S3Backend, TerraformStack, type S3BackendConfig } from 'cdktf';
import { type Construct } from 'constructs';

/** The four tags every resource carries, through the AWS provider's `default_tags`. */
export function requiredTags(env: EnvironmentConfig): Record<string, string> {
  return {
    Environment: env.name,
    Team: env.tags.team,
    ManagedBy: 'terraform',
    CostCenter: env.tags.costCenter,
  };
}

/** Terraform (or OpenTofu) version every stack requires: S3 native locking needs 1.10. */
export const REQUIRED_TERRAFORM_VERSION = '>= 1.10.0';

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
    const options = (this.node.tryGetContext(OPTIONS_KEY) ?? {}) as StackFactoryOptions;

    const { useLockfile: lockfileOverride, ...backendOverrides } = options.backendOverrides ?? {};
    const key = stateKey(env.name, stackName);
    const backend = new S3Backend(this, {
      bucket: env.state.bucket,
      key,
      region: env.state.region,
      encrypt: true,
      ...(env.state.lockTable ? { dynamodbTable: env.state.lockTable } : {}),
      ...backendOverrides,
    });
    if (lockfileOverride ?? env.state.useLockfile) backend.addOverride('use_lockfile', true);
    this.state = { bucket: backendOverrides.bucket ?? env.state.bucket, key: backendOverrides.key ?? key, region: env.state.region };
    this.addOverride('terraform.required_version', REQUIRED_TERRAFORM_VERSION);

    if (!options.omitAwsProvider) {
      this.awsProvider = new AwsProvider(this, 'aws', {
        region: env.aws.region,
        allowedAccountIds: [env.aws.accountId],
        assumeRole: [{ roleArn: deployRoleArn(env.aws.accountId, env.aws.deployRoleName), sessionName: `terraform-${this.node.id}` }],
        defaultTags: [{ tags: requiredTags(env) }],
      });
    }

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
