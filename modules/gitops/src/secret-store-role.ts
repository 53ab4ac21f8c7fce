import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { ConfigError, type Problem } from '@platform/config';
import { resourceName } from '@platform/naming';
import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { secretPrefix } from './external-secrets';

export interface SecretStoreRoleProps {
  /** Environment name; part of the role name and of every secret prefix. */
  readonly environment: string;
  /** Account and region of the environment's Secrets Manager. */
  readonly aws: { readonly accountId: string; readonly region: string };
  /** The cluster's IAM OIDC provider, for the trust policy. */
  readonly cluster: { readonly oidcProviderArn: string; readonly oidcIssuer: string };
  /** The External Secrets Operator controller's service account: the only principal that may assume the role. */
  readonly serviceAccount: { readonly namespace: string; readonly name: string };
  /**
   * Services whose secrets the role may read, each under `<env>/<service>/*`.
   * @default - none: the role can read no secret
   */
  readonly services?: readonly string[];
}

/** Actions External Secrets Operator needs to read one secret (no listing, no writing). */
export const SECRET_READ_ACTIONS = ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'] as const;

/**
 * The IRSA role of the External Secrets Operator controller in one environment: assumable only by the
 * controller's service account through the cluster's OIDC provider, and allowed to read only the
 * secrets under `<env>/<service>/` of the environment's services, in the environment's account and region.
 *
 * Construct ids: Resource (the role), TrustPolicy, ReadPolicyDocument, ReadPolicy.
 */
export class SecretStoreRole extends Construct {
  /** ARN of the role, for the controller service account's `eks.amazonaws.com/role-arn` annotation. */
  public readonly roleArn: string;
  /** Name of the role, e.g. `external-secrets-dev-irsa`. */
  public readonly roleName: string;
  /** Secrets Manager ARNs the role may read (with a trailing `*` for the random suffix). */
  public readonly readableSecretArns: readonly string[];

  constructor(scope: Construct, id: string, props: SecretStoreRoleProps) {
    super(scope, id);
    validate(props, `SecretStoreRole "${this.node.path}"`);
    const { namespace, name } = props.serviceAccount;
    const issuer = props.cluster.oidcIssuer;
    const trust = new DataAwsIamPolicyDocument(this, 'TrustPolicy', {
      statement: [
        {
          sid: 'ExternalSecretsControllerWebIdentity',
          effect: 'Allow',
          actions: ['sts:AssumeRoleWithWebIdentity'],
          principals: [{ type: 'Federated', identifiers: [props.cluster.oidcProviderArn] }],
          condition: [
            { test: 'StringEquals', variable: `${issuer}:sub`, values: [`system:serviceaccount:${namespace}:${name}`] },
            { test: 'StringEquals', variable: `${issuer}:aud`, values: ['sts.amazonaws.com'] },
          ],
        },
      ],
    });
    this.roleName = resourceName('external-secrets', props.environment, 'irsa');
    const role = new IamRole(this, 'Resource', {
      name: this.roleName,
      description: `External Secrets Operator in ${props.environment}: reads ${props.environment}/<service>/* from Secrets Manager (IRSA: ${namespace}/${name})`,
      assumeRolePolicy: trust.json,
      maxSessionDuration: 3600,
    });

    const services = [...new Set(props.services ?? [])].sort();
    this.readableSecretArns = services.map(
      (svc) => `arn:aws:secretsmanager:${props.aws.region}:${props.aws.accountId}:secret:${secretPrefix(props.environment, svc)}*`
    );
    if (this.readableSecretArns.length > 0) {
      const read = new DataAwsIamPolicyDocument(this, 'ReadPolicyDocument', {
        statement: [
          {
            sid: 'ReadServiceSecrets',
            effect: 'Allow',
            actions: [...SECRET_READ_ACTIONS],
            resources: [...this.readableSecretArns],
          },
        ],
      });
      new IamRolePolicy(this, 'ReadPolicy', { name: 'read-service-secrets', role: role.name, policy: read.json });
    }
    this.roleArn = role.arn;
  }
}

function validate(props: SecretStoreRoleProps, label: string): void {
  const problems: Problem[] = [];
  const check = (field: string, value: unknown, ok: boolean, message: string) => {
    if (typeof value === 'string' && Token.isUnresolved(value)) return;
    if (!ok) problems.push({ source: label, field, value, message });
  };
  check('environment', props.environment, /^[a-z][a-z0-9]{1,15}$/.test(props.environment ?? ''), 'is not an environment name — use 2–16 lower-case letters and digits');
  check('aws.accountId', props.aws?.accountId, /^\d{12}$/.test(props.aws?.accountId ?? ''), 'is not an AWS account ID — use the 12-digit ID');
  check('aws.region', props.aws?.region, /^[a-z]{2}(-gov)?-[a-z]+-\d$/.test(props.aws?.region ?? ''), 'is not an AWS region — use a region code such as "eu-west-1"');
  check(
    'cluster.oidcProviderArn',
    props.cluster?.oidcProviderArn,
    /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/.+$/.test(props.cluster?.oidcProviderArn ?? ''),
    'is not an IAM OIDC provider ARN — use "arn:aws:iam::<account>:oidc-provider/<issuer>"'
  );
  (props.services ?? []).forEach((svc, i) =>
    check(`services[${i}]`, svc, /^[a-z][a-z0-9-]{1,30}[a-z0-9]$/.test(svc), 'is not a service name — use 3–32 lower-case letters, digits and hyphens')
  );
  if (problems.length > 0) {
    throw new ConfigError(problems, `${label}: ${problems.length} invalid prop${problems.length === 1 ? '' : 's'}`);
  }
}
