import { awsRegion, dnsName, hostedZoneId, kmsKeyArn, kubernetesName, retentionDays, serviceName } from '@platform/config';
import { z } from 'zod';

/** Where the service's DNS name points: the environment's ingress load balancer. */
export type IngressTarget =
  | {
      /** An alias A record to a load balancer. */
      readonly type: 'alias';
      /** DNS name of the load balancer. */
      readonly dnsName: string;
      /** Canonical hosted zone ID of the load balancer. */
      readonly zoneId: string;
    }
  | {
      /** A CNAME record. */
      readonly type: 'cname';
      /** Name the CNAME points at. */
      readonly target: string;
    };

export interface ServiceModuleProps {
  /** Service name, DNS-label style (3–32 lower-case letters, digits, hyphens); part of every physical name. */
  readonly name: string;
  /** Environment name (e.g. `dev`); part of every physical name. */
  readonly environment: string;
  /**
   * Account and region the service runs in: the ARNs of its secrets (`grantSecretsRead`).
   * @default - none: `grantSecretsRead` throws
   */
  readonly aws?: {
    /** 12-digit account ID. */
    readonly accountId: string;
    /** Region code, e.g. `eu-west-1`. */
    readonly region: string;
  };
  /** The EKS cluster's OIDC identity, for the workload role's IRSA trust policy. */
  readonly cluster: {
    /** ARN of the cluster's IAM OIDC provider. */
    readonly oidcProviderArn: string;
    /** The issuer without `https://`, e.g. `oidc.eks.eu-west-1.amazonaws.com/id/ABC123`. */
    readonly oidcIssuer: string;
  };
  /**
   * Who may assume the workload role.
   * @default - namespace and service account both named after the service
   */
  readonly workload?: {
    /** @default - the service name */
    readonly namespace?: string;
    /** @default - the service name */
    readonly serviceAccount?: string;
  };
  /** The service's DNS record in the environment's hosted zone. */
  readonly dns: {
    /** ID of the environment's hosted zone. */
    readonly zoneId: string;
    /** Name of that zone; `hostname` must lie inside it. */
    readonly zoneName: string;
    /** The service's fully-qualified hostname. */
    readonly hostname: string;
    /** The ingress the name points at. */
    readonly target: IngressTarget;
  };
  /**
   * The service's CloudWatch log group.
   * @default - 30 days retention, encrypted with the CloudWatch Logs service key
   */
  readonly logs?: {
    /** @default 30 */
    readonly retentionDays?: number;
    /** KMS key for the log group. @default - CloudWatch Logs service-managed encryption */
    readonly kmsKeyArn?: string;
  };
  /**
   * The service's ECR repository.
   * @default - AES256 encryption, keep 30 tagged images, expire untagged images after 7 days
   */
  readonly repository?: {
    /** KMS key for image encryption. @default - AES256 */
    readonly kmsKeyArn?: string;
    /** How many tagged images to keep. @default 30 */
    readonly keepTaggedImages?: number;
    /** Untagged images expire after this many days. @default 7 */
    readonly untaggedExpiryDays?: number;
  };
  /**
   * Make Terraform refuse to destroy the repository and the log group (`prevent_destroy`).
   * @default false
   */
  readonly preventDestroy?: boolean;
}

export const DEFAULTS = {
  logRetentionDays: 30,
  keepTaggedImages: 30,
  untaggedExpiryDays: 7,
} as const;

const oidcIssuer = z
  .string()
  .regex(/^oidc\.eks\.[a-z0-9-]+\.amazonaws\.com\/id\/[A-Z0-9]{8,64}$/, 'is not an EKS OIDC issuer — use "oidc.eks.<region>.amazonaws.com/id/<ID>" without https://');

/** Shape and value checks for the props; the hostname-in-zone rule is checked separately. */
export const propsSchema = z.strictObject({
  name: serviceName,
  environment: z.string().regex(/^[a-z][a-z0-9]{1,15}$/, 'is not an environment name — use 2–16 lower-case letters and digits'),
  aws: z.strictObject({ accountId: z.string().regex(/^\d{12}$/, 'is not an AWS account ID — use the 12-digit ID'), region: awsRegion }).optional(),
  cluster: z.strictObject({
    oidcProviderArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/.+$/, 'is not an IAM OIDC provider ARN — use "arn:aws:iam::<account>:oidc-provider/<issuer>"'),
    oidcIssuer,
  }),
  workload: z
    .strictObject({ namespace: kubernetesName('namespace').optional(), serviceAccount: kubernetesName('service account').optional() })
    .optional(),
  dns: z.strictObject({
    zoneId: hostedZoneId,
    zoneName: dnsName,
    hostname: dnsName,
    target: z.discriminatedUnion('type', [
      z.strictObject({ type: z.literal('alias'), dnsName, zoneId: hostedZoneId }),
      z.strictObject({ type: z.literal('cname'), target: dnsName }),
    ]),
  }),
  logs: z.strictObject({ retentionDays: retentionDays.optional(), kmsKeyArn: kmsKeyArn.optional() }).optional(),
  repository: z
    .strictObject({
      kmsKeyArn: kmsKeyArn.optional(),
      keepTaggedImages: z.number().int('must be a whole number').min(1, 'must be at least 1').max(1000, 'must be at most 1000').optional(),
      untaggedExpiryDays: z.number().int('must be a whole number').min(1, 'must be at least 1').max(365, 'must be at most 365').optional(),
    })
    .optional(),
  preventDestroy: z.boolean().optional(),
});
