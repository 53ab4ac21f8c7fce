import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DataAwsEcrLifecyclePolicyDocument } from '@cdktf/provider-aws/lib/data-aws-ecr-lifecycle-policy-document';
import { DataAwsIamPolicyDocument, type DataAwsIamPolicyDocumentStatement } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { EcrLifecyclePolicy } from '@cdktf/provider-aws/lib/ecr-lifecycle-policy';
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { Route53Record } from '@cdktf/provider-aws/lib/route53-record';
import { ConfigError, type Problem, validateProps } from '@platform/config';
import { logGroupName, repositoryName, workloadRoleName } from '@platform/naming';
import { irsaTrustPolicy } from '@platform/stack-factory/src/irsa';
import { TerraformOutput, Token } from 'cdktf';
import { Construct } from 'constructs';
import { DEFAULTS, propsSchema, type ServiceModuleProps } from './props';

export { type IngressTarget, type ServiceModuleProps } from './props';

/**
 * A service in our platform, in one environment: its image repository (ECR), the IAM role its pods
 * assume through IRSA, its CloudWatch log group and its DNS name.
 *
 * Construct ids are a public contract (renaming one replaces the resource): Repository/Resource,
 * Repository/Lifecycle, WorkloadRole/Resource, WorkloadRole/Policy (only once a permission is granted),
 * Logs/Resource, Dns/Resource.
 *
 * The workload role starts with no permission. Callers ask for one by intent, aws-cdk-lib style:
 * `grantSecretsRead()` for the service's own secrets, `addToRolePolicy(statement)` for anything else;
 * every statement lands in one inline policy (`WorkloadRole/Policy`) built with `aws_iam_policy_document`.
 */
export class ServiceModule extends Construct {
  /** URL to push and pull the service's images, e.g. `111111111111.dkr.ecr.eu-west-1.amazonaws.com/payments-dev`. */
  public readonly repositoryUrl: string;
  /** ARN of the workload role; annotate the service account with it (`eks.amazonaws.com/role-arn`). */
  public readonly roleArn: string;
  /** Name of the service's log group. */
  public readonly logGroupName: string;
  /** The service's fully-qualified hostname. */
  public readonly fqdn: string;
  /** Who may assume the workload role: one service account in one namespace. */
  public readonly workload: { readonly namespace: string; readonly serviceAccount: string };

  private readonly props: ServiceModuleProps;
  private readonly roleScope: Construct;
  private readonly role: IamRole;
  private readonly statements: DataAwsIamPolicyDocumentStatement[] = [];
  private policyDocument?: DataAwsIamPolicyDocument;

  constructor(scope: Construct, id: string, props: ServiceModuleProps) {
    super(scope, id);
    validate(props);
    this.props = props;
    const { name, environment: env } = props;
    const namespace = props.workload?.namespace ?? name;
    const serviceAccount = props.workload?.serviceAccount ?? name;
    this.workload = { namespace, serviceAccount };
    checkWorkloadIsOwn(this, scope);
    const lifecycle = props.preventDestroy ? { preventDestroy: true } : undefined;

    // Image repository: immutable tags, scanned on push, encrypted, with a lifecycle policy.
    const repoScope = new Construct(this, 'Repository');
    const repository = new EcrRepository(repoScope, 'Resource', {
      name: repositoryName(name, env),
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: [
        props.repository?.kmsKeyArn ? { encryptionType: 'KMS', kmsKey: props.repository.kmsKeyArn } : { encryptionType: 'AES256' },
      ],
      lifecycle,
    });
    const lifecycleDoc = new DataAwsEcrLifecyclePolicyDocument(repoScope, 'LifecycleDocument', {
      rule: [
        {
          priority: 1,
          description: 'Expire untagged images',
          selection: [
            {
              tagStatus: 'untagged',
              countType: 'sinceImagePushed',
              countUnit: 'days',
              countNumber: props.repository?.untaggedExpiryDays ?? DEFAULTS.untaggedExpiryDays,
            },
          ],
          action: [{ type: 'expire' }],
        },
        {
          priority: 2,
          description: 'Keep the last tagged images',
          selection: [{ tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: props.repository?.keepTaggedImages ?? DEFAULTS.keepTaggedImages }],
          action: [{ type: 'expire' }],
        },
      ],
    });
    new EcrLifecyclePolicy(repoScope, 'Lifecycle', { repository: repository.name, policy: lifecycleDoc.json });

    // Workload role: assumable only by the service's Kubernetes service account, through the cluster's OIDC provider.
    const roleScope = new Construct(this, 'WorkloadRole');
    const trust = irsaTrustPolicy(roleScope, 'TrustPolicy', {
      oidcProviderArn: props.cluster.oidcProviderArn,
      oidcIssuer: props.cluster.oidcIssuer,
      namespace,
      serviceAccount,
    });
    const role = new IamRole(roleScope, 'Resource', {
      name: workloadRoleName(name, env),
      description: `Workload role of ${name} in ${env} (IRSA: ${namespace}/${serviceAccount})`,
      assumeRolePolicy: trust.json,
      maxSessionDuration: 3600,
    });
    this.roleScope = roleScope;
    this.role = role;

    // Log group: retention always set; KMS when asked.
    const logs = new CloudwatchLogGroup(new Construct(this, 'Logs'), 'Resource', {
      name: logGroupName(name, env),
      retentionInDays: props.logs?.retentionDays ?? DEFAULTS.logRetentionDays,
      kmsKeyId: props.logs?.kmsKeyArn,
      lifecycle,
    });

    // DNS: the service's hostname points at the environment's ingress.
    const target = props.dns.target;
    const record = new Route53Record(new Construct(this, 'Dns'), 'Resource', {
      zoneId: props.dns.zoneId,
      name: props.dns.hostname,
      ...(target.type === 'alias'
        ? { type: 'A', alias: { name: target.dnsName, zoneId: target.zoneId, evaluateTargetHealth: true } }
        : { type: 'CNAME', ttl: 300, records: [target.target] }),
    });

    this.repositoryUrl = repository.repositoryUrl;
    this.roleArn = role.arn;
    this.logGroupName = logs.name;
    this.fqdn = record.fqdn;

    const outputs: Record<string, [string, string]> = {
      repository_url: [this.repositoryUrl, 'ECR repository URL'],
      role_arn: [this.roleArn, 'IRSA workload role ARN'],
      log_group_name: [this.logGroupName, 'CloudWatch log group'],
      fqdn: [this.fqdn, 'Service hostname'],
    };
    const outputScope = new Construct(this, 'Outputs');
    for (const [key, [value, description]] of Object.entries(outputs)) {
      const output = new TerraformOutput(outputScope, key, { value, description });
      output.overrideLogicalId(`${name.replace(/-/g, '_')}_${key}`);
    }
  }

  /**
   * Adds one statement to the workload role's inline policy (created on first use). Give every
   * statement a unique `sid` naming its intent; resources should be exact ARNs.
   */
  public addToRolePolicy(statement: DataAwsIamPolicyDocumentStatement): void {
    const label = `ServiceModule "${this.props.name}"`;
    if (!statement.sid) {
      throw new ConfigError([{ source: label, field: 'addToRolePolicy', message: 'got a statement without a sid — name its intent, e.g. "ReadOwnSecrets"' }], `${label}: invalid policy statement`);
    }
    if (this.statements.some((s) => s.sid === statement.sid)) {
      throw new ConfigError([{ source: label, field: 'addToRolePolicy', value: statement.sid, message: 'is a sid the workload policy already has — each intent is granted once' }], `${label}: invalid policy statement`);
    }
    this.statements.push(statement);
    if (!this.policyDocument) {
      this.policyDocument = new DataAwsIamPolicyDocument(this.roleScope, 'PolicyDocument', { statement: [] });
      new IamRolePolicy(this.roleScope, 'Policy', { name: 'workload', role: this.role.name, policy: this.policyDocument.json });
    }
    this.policyDocument.putStatement([...this.statements]);
  }

  /**
   * Lets the service's pods (and its namespaced SecretStore, which authenticates as this role) read its
   * own secrets and nothing else: `secretsmanager:GetSecretValue` and `DescribeSecret` on
   * `arn:aws:secretsmanager:<region>:<account>:secret:<env>/<service>/*`, plus `kms:Decrypt` on the
   * customer-managed key when one is named, only when Secrets Manager asks (`kms:ViaService`).
   */
  public grantSecretsRead(options: { readonly kmsKeyArn?: string } = {}): void {
    const { aws, name, environment } = this.props;
    if (!aws) {
      const label = `ServiceModule "${name}"`;
      throw new ConfigError([{ source: label, field: 'aws', message: 'is not set — grantSecretsRead needs the account and region of the secrets' }], `${label}: cannot grant secrets read`);
    }
    this.addToRolePolicy({
      sid: 'ReadOwnSecrets',
      effect: 'Allow',
      actions: [...SECRET_READ_ACTIONS],
      resources: [`arn:aws:secretsmanager:${aws.region}:${aws.accountId}:secret:${environment}/${name}/*`],
    });
    if (options.kmsKeyArn) {
      this.addToRolePolicy({
        sid: 'DecryptOwnSecrets',
        effect: 'Allow',
        actions: ['kms:Decrypt'],
        resources: [options.kmsKeyArn],
        condition: [{ test: 'StringEquals', variable: 'kms:ViaService', values: [`secretsmanager.${aws.region}.amazonaws.com`] }],
      });
    }
  }
}

/** What reading one secret takes (no listing, no writing). */
export const SECRET_READ_ACTIONS = ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'] as const;

/**
 * Two services with the same namespace and service account would share one identity: either could
 * assume the other's role and read its secrets. Fail synth when a sibling already claims it.
 */
function checkWorkloadIsOwn(module: ServiceModule, scope: Construct): void {
  const mine = module.workload;
  for (const other of scope.node.children) {
    if (other === module || !(other instanceof ServiceModule)) continue;
    if (other.workload.namespace === mine.namespace && other.workload.serviceAccount === mine.serviceAccount) {
      const label = `ServiceModule "${module.node.id}"`;
      throw new ConfigError(
        [
          {
            source: label,
            field: 'workload',
            value: `${mine.namespace}/${mine.serviceAccount}`,
            message: `is also the namespace and service account of "${other.node.id}" — each service needs its own service account (set workload.serviceAccount), or it could read the other's secrets`,
          },
        ],
        `${label}: shares its service account`
      );
    }
  }
}

/** Checks every prop and throws one error listing every problem (unresolved tokens are not checked). */
function validate(props: ServiceModuleProps): void {
  const label = `ServiceModule "${typeof props?.name === 'string' ? props.name : '?'}"`;
  const problems: Problem[] = [];
  const { hostname, zoneName } = props?.dns ?? {};
  if (
    typeof hostname === 'string' &&
    typeof zoneName === 'string' &&
    !Token.isUnresolved(hostname) &&
    !Token.isUnresolved(zoneName) &&
    hostname !== zoneName &&
    !hostname.endsWith(`.${zoneName}`)
  ) {
    problems.push({ source: label, field: 'dns.hostname', value: hostname, message: `is outside the zone "${zoneName}" — use a name ending in ".${zoneName}"` });
  }
  validateProps(label, propsSchema, props, problems, (v) => Token.isUnresolved(v));
}
