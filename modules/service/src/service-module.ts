import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DataAwsEcrLifecyclePolicyDocument } from '@cdktf/provider-aws/lib/data-aws-ecr-lifecycle-policy-document';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { EcrLifecyclePolicy } from '@cdktf/provider-aws/lib/ecr-lifecycle-policy';
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { Route53Record } from '@cdktf/provider-aws/lib/route53-record';
import { type Problem, validateProps } from '@platform/config';
import { logGroupName, repositoryName, workloadRoleName } from '@platform/naming';
import { TerraformOutput, Token } from 'cdktf';
import { Construct } from 'constructs';
import { DEFAULTS, propsSchema, type ServiceModuleProps } from './props';

export { type IngressTarget, type ServiceModuleProps } from './props';

/**
 * A service in our platform, in one environment: its image repository (ECR), the IAM role its pods
 * assume through IRSA, its CloudWatch log group and its DNS name.
 *
 * Construct ids are a public contract (renaming one replaces the resource): Repository/Resource,
 * Repository/Lifecycle, WorkloadRole/Resource, Logs/Resource, Dns/Resource.
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

  constructor(scope: Construct, id: string, props: ServiceModuleProps) {
    super(scope, id);
    validate(props);
    const { name, environment: env } = props;
    const namespace = props.workload?.namespace ?? name;
    const serviceAccount = props.workload?.serviceAccount ?? name;
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
    const trust = new DataAwsIamPolicyDocument(roleScope, 'TrustPolicy', {
      statement: [
        {
          sid: 'ServiceAccountWebIdentity',
          effect: 'Allow',
          actions: ['sts:AssumeRoleWithWebIdentity'],
          principals: [{ type: 'Federated', identifiers: [props.cluster.oidcProviderArn] }],
          condition: [
            { test: 'StringEquals', variable: `${props.cluster.oidcIssuer}:sub`, values: [`system:serviceaccount:${namespace}:${serviceAccount}`] },
            { test: 'StringEquals', variable: `${props.cluster.oidcIssuer}:aud`, values: ['sts.amazonaws.com'] },
          ],
        },
      ],
    });
    const role = new IamRole(roleScope, 'Resource', {
      name: workloadRoleName(name, env),
      description: `Workload role of ${name} in ${env} (IRSA: ${namespace}/${serviceAccount})`,
      assumeRolePolicy: trust.json,
      maxSessionDuration: 3600,
    });

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
