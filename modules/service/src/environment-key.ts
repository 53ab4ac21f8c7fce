import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { ConfigError, type Problem } from '@platform/config';
import { environmentKmsKeyAlias, environmentLogGroupsArn } from '@platform/naming';
import { Token, type TerraformProvider } from 'cdktf';
import { Construct } from 'constructs';

/** One statement of a KMS key policy, in IAM JSON. */
export interface KeyPolicyStatement {
  readonly Sid: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal: Readonly<Record<string, string>>;
  readonly Action: string | readonly string[];
  readonly Resource: '*';
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

export interface EnvironmentKeyProps {
  /** Environment name: the alias, and the log groups (`/platform/<env>/*`) the key may encrypt. */
  readonly environment: string;
  /** The environment's account (the key administrator) and region (the services that use it). */
  readonly aws: { readonly accountId: string; readonly region: string };
  /**
   * Let CloudWatch Logs in the region use the key for the environment's log groups.
   * @default false
   */
  readonly logs?: boolean;
  /**
   * Let ECR in the region use the key for image repositories, through grants.
   * @default false
   */
  readonly images?: boolean;
  /**
   * Make Terraform refuse to destroy the key (`prevent_destroy`): a deleted key makes every log and image it encrypted unreadable.
   * @default false
   */
  readonly preventDestroy?: boolean;
  /**
   * The AWS provider of the environment's account and region, when the stack's default provider is another region's.
   * @default - the stack's default AWS provider
   */
  readonly provider?: TerraformProvider;
}

/**
 * The environment's own customer-managed KMS key for its log groups and image repositories, rotated
 * yearly, with a 30-day deletion window. Its key policy, one statement per intent:
 *
 * - `AccountAdministersKey`: the account root (IAM policies in the account decide who uses the key);
 * - `CloudWatchLogsUsesKeyForEnvironmentLogGroups` (with `logs`): `logs.<region>.amazonaws.com` may
 *   encrypt and decrypt, only for `arn:aws:logs:<region>:<account>:log-group:/platform/<env>/*`
 *   (`kms:EncryptionContext:aws:logs:arn`), which CloudWatch Logs requires before it accepts the key;
 * - `EcrCreatesGrantsForRepositories` (with `images`): principals of the account may create grants
 *   only for an AWS resource (`kms:GrantIsForAWSResource`) and only through ECR in the region
 *   (`kms:ViaService`): that is how ECR uses a customer-managed key.
 *
 * Created by the administrator-applied `<env>-bootstrap` stack (stacks/bootstrap-stack.ts), never by CI:
 * creating a key and writing its policy are key-administration rights. `<env>-services` reads the key by
 * its alias (`environmentKmsKeyAlias`, a `aws_kms_alias` data source).
 *
 * Construct ids: Resource (the key), Alias.
 */
export class EnvironmentKey extends Construct {
  /** ARN of the key (what log groups' `kms_key_id` and repositories' `kms_key` take). */
  public readonly keyArn: string;
  /** The key resource, for `dependsOn`. */
  public readonly key: KmsKey;
  /** The key policy, as written to the key. */
  public readonly policy: { readonly Version: string; readonly Statement: readonly KeyPolicyStatement[] };

  constructor(scope: Construct, id: string, props: EnvironmentKeyProps) {
    super(scope, id);
    validate(props, `EnvironmentKey "${this.node.path}"`);
    const { accountId, region } = props.aws;
    const root = `arn:aws:iam::${accountId}:root`;
    const statements: KeyPolicyStatement[] = [
      { Sid: 'AccountAdministersKey', Effect: 'Allow', Principal: { AWS: root }, Action: 'kms:*', Resource: '*' },
    ];
    if (props.logs) {
      statements.push({
        Sid: 'CloudWatchLogsUsesKeyForEnvironmentLogGroups',
        Effect: 'Allow',
        Principal: { Service: `logs.${region}.amazonaws.com` },
        Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        Resource: '*',
        Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': environmentLogGroupsArn(accountId, region, props.environment) } },
      });
    }
    if (props.images) {
      statements.push({
        Sid: 'EcrCreatesGrantsForRepositories',
        Effect: 'Allow',
        Principal: { AWS: root },
        Action: 'kms:CreateGrant',
        Resource: '*',
        Condition: {
          Bool: { 'kms:GrantIsForAWSResource': 'true' },
          StringEquals: { 'kms:ViaService': `ecr.${region}.amazonaws.com`, 'kms:CallerAccount': accountId },
        },
      });
    }
    this.policy = { Version: '2012-10-17', Statement: statements };
    this.key = new KmsKey(this, 'Resource', {
      description: `Logs and images of ${props.environment} (${[props.logs && 'CloudWatch Logs', props.images && 'ECR'].filter(Boolean).join(', ') || 'no service yet'})`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      // Every value is known at synth, so the policy is literal JSON (one statement per intent, each with a
      // Sid). Not aws_iam_policy_document: checkov's identity-policy checks (CKV_AWS_109/111/356) and IAM-001/002
      // misread a key policy's "*" (this key) — the KMS-002/003/004 rules check it instead.
      policy: JSON.stringify(this.policy, null, 2),
      ...(props.preventDestroy ? { lifecycle: { preventDestroy: true } } : {}),
      ...(props.provider ? { provider: props.provider } : {}),
    });
    new KmsAlias(this, 'Alias', {
      name: environmentKmsKeyAlias(props.environment),
      targetKeyId: this.key.keyId,
      ...(props.provider ? { provider: props.provider } : {}),
    });
    this.keyArn = this.key.arn;
  }
}

function validate(props: EnvironmentKeyProps, label: string): void {
  const problems: Problem[] = [];
  const check = (field: string, value: string | undefined, ok: boolean, message: string) => {
    if (typeof value === 'string' && Token.isUnresolved(value)) return;
    if (!ok) problems.push({ source: label, field, value, message });
  };
  check('environment', props.environment, /^[a-z][a-z0-9]{1,15}$/.test(props.environment ?? ''), 'is not an environment name — use 2–16 lower-case letters and digits');
  check('aws.accountId', props.aws?.accountId, /^\d{12}$/.test(props.aws?.accountId ?? ''), 'is not an AWS account ID — use the 12-digit ID');
  check('aws.region', props.aws?.region, /^[a-z]{2}(-gov)?-[a-z]+-\d$/.test(props.aws?.region ?? ''), 'is not an AWS region — use a region code such as "eu-west-1"');
  if (problems.length > 0) throw new ConfigError(problems, `${label}: ${problems.length} invalid prop${problems.length === 1 ? '' : 's'}`);
}
