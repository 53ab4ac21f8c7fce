import { z } from 'zod';

/**
 * The environment schema: what one `envs/<env>.yaml`, merged over `envs/_base.yaml`, must hold.
 * Every message here completes the sentence "<field>: <value> …" and says what is allowed.
 */

/** CloudWatch Logs accepts only these retention periods (days). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const AWS_REGION =
  /^(us|eu|ap|ca|sa|me|af|il|mx)(-gov)?-(north|south|east|west|central|northeast|northwest|southeast|southwest)-\d$/;
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const SERVICE_NAME = /^[a-z][a-z0-9-]{1,30}[a-z0-9]$/;
const K8S_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[A-Za-z0-9/_-]+$/;
const S3_BUCKET = /^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const TAG_VALUE = /^[\p{L}\p{N}\s_.:/=+\-@]{1,256}$/u;

export const awsRegion = z.string().regex(AWS_REGION, 'is not an AWS region — use a region code such as "eu-west-1"');
export const kmsKeyArn = z.string().regex(KMS_KEY_ARN, 'is not a KMS key ARN — use "arn:aws:kms:<region>:<account>:key/<id>"');
export const dnsName = z
  .string()
  .regex(
    DNS_NAME,
    'is not a lower-case DNS name — use letters, digits and hyphens in dot-separated labels, e.g. "api.dev.example.com"'
  );
const tagValue = (what: string) =>
  z.string().regex(TAG_VALUE, `is not a valid ${what} — use 1–256 letters, digits, spaces or _ . : / = + - @`);

export const retentionDays = z
  .number()
  .int()
  .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
    message: `is not a CloudWatch Logs retention period — use one of ${LOG_RETENTION_DAYS.join(', ')}`,
  });

export const serviceName = z
  .string()
  .regex(SERVICE_NAME, 'is not a service name — use 3–32 lower-case letters, digits and hyphens, starting with a letter');
export const kubernetesName = (what: string) =>
  z.string().regex(K8S_NAME, `is not a Kubernetes ${what} name — use up to 63 lower-case letters, digits and hyphens`);
export const hostedZoneId = z.string().regex(/^Z[A-Z0-9]{1,31}$/, 'is not a Route53 hosted zone ID — use the ID that starts with "Z"');

export const serviceSchema = z.strictObject({
  /** Service name: DNS-label style, used in every physical name. */
  name: serviceName,
  /** Fully-qualified hostname; must lie inside the environment's DNS zone. */
  hostname: dnsName,
  /** Kubernetes namespace of the workload. Defaults to the service name. */
  namespace: kubernetesName('namespace').optional(),
  /** Kubernetes service account the workload runs as. Defaults to the service name. */
  serviceAccount: kubernetesName('service account').optional(),
  /** Log retention for this service, overriding `logs.retentionDays`. */
  logRetentionDays: retentionDays.optional(),
});

export const environmentSchema = z.strictObject({
  aws: z.strictObject({
    accountId: z
      .string()
      .regex(/^\d{12}$/, 'is not an AWS account ID — use the 12-digit ID in quotes, e.g. "123456789012"'),
    region: awsRegion,
    /** Role Terraform assumes in the environment's account. */
    deployRoleName: z
      .string()
      .regex(/^[\w+=,.@-]{1,64}$/, 'is not an IAM role name — use up to 64 letters, digits or + = , . @ _ -'),
  }),
  tags: z.strictObject({
    team: tagValue('team tag'),
    costCenter: tagValue('cost-centre tag'),
  }),
  dns: z.strictObject({
    /** The environment's public hosted zone, e.g. "dev.example.com". */
    zoneName: dnsName,
    zoneId: hostedZoneId,
  }),
  ingress: z.discriminatedUnion(
    'type',
    [
      z.strictObject({
        type: z.literal('alias'),
        /** DNS name of the ingress load balancer. */
        dnsName: dnsName,
        /** Hosted zone ID of the load balancer (the ELB's canonical zone). */
        zoneId: z
          .string()
          .regex(/^Z[A-Z0-9]{1,31}$/, "is not a hosted zone ID — use the load balancer's canonical zone ID"),
      }),
      z.strictObject({
        type: z.literal('cname'),
        target: dnsName,
      }),
    ],
    { error: 'must have type "alias" (with dnsName and zoneId) or "cname" (with target)' }
  ),
  cluster: z.strictObject({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/, 'is not an EKS cluster name'),
    /** OIDC issuer of the cluster, without https://, e.g. "oidc.eks.eu-west-1.amazonaws.com/id/ABC123". */
    oidcIssuer: z
      .string()
      .regex(
        /^oidc\.eks\.[a-z0-9-]+\.amazonaws\.com\/id\/[A-Z0-9]{8,64}$/,
        'is not an EKS OIDC issuer — use "oidc.eks.<region>.amazonaws.com/id/<ID>" without https://'
      ),
  }),
  state: z.strictObject({
    bucket: z
      .string()
      .regex(S3_BUCKET, 'is not an S3 bucket name — use 3–63 lower-case letters, digits, dots and hyphens'),
    region: awsRegion,
    /** DynamoDB table for state locking; omit only when `useLockfile` is on. */
    lockTable: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{3,255}$/, 'is not a DynamoDB table name — use 3–255 letters, digits, _ . -')
      .optional(),
    /** S3 native state locking (Terraform ≥ 1.10, OpenTofu ≥ 1.10). */
    useLockfile: z.boolean(),
  }),
  /** Terraform refuses to destroy stateful resources (image repositories, log groups) while this is on. */
  preventDestroy: z.boolean(),
  logs: z.strictObject({
    retentionDays,
    kmsKeyArn: kmsKeyArn.optional(),
  }),
  ecr: z.strictObject({
    /** How many tagged images each repository keeps. */
    keepTaggedImages: z.number().int().min(1, 'must be at least 1').max(1000, 'must be at most 1000'),
    /** Untagged images expire after this many days. */
    untaggedExpiryDays: z.number().int().min(1, 'must be at least 1').max(365, 'must be at most 365'),
    kmsKeyArn: kmsKeyArn.optional(),
  }),
  services: z.array(serviceSchema),
});

/** A rule that spans several fields, checked on the merged data even when other fields are invalid. */
export interface CrossFieldIssue {
  readonly path: ReadonlyArray<string | number>;
  readonly value?: unknown;
  readonly message: string;
}

/**
 * Rules no single field can express. Reads the raw merged data defensively (any field may be missing
 * or of the wrong type), so their findings join the per-field problems in one report.
 */
export function crossFieldIssues(raw: unknown): CrossFieldIssue[] {
  const issues: CrossFieldIssue[] = [];
  const env = (raw ?? {}) as Record<string, unknown>;
  const state = env.state as Record<string, unknown> | undefined;
  if (state && typeof state === 'object' && !state.lockTable && state.useLockfile !== true) {
    issues.push({
      path: ['state'],
      message: 'has no state locking — set state.lockTable (DynamoDB) or state.useLockfile: true (S3 native), or both',
    });
  }
  const zone = (env.dns as Record<string, unknown> | undefined)?.zoneName;
  const services = Array.isArray(env.services) ? (env.services as unknown[]) : [];
  const seen = new Map<string, number>();
  services.forEach((svc, i) => {
    if (!svc || typeof svc !== 'object') return;
    const { name, hostname } = svc as Record<string, unknown>;
    if (typeof name === 'string') {
      const first = seen.get(name);
      if (first !== undefined) {
        issues.push({
          path: ['services', i, 'name'],
          value: name,
          message: `is used twice (also services[${first}]) — service names must be unique in an environment`,
        });
      } else seen.set(name, i);
    }
    if (
      typeof zone === 'string' &&
      typeof hostname === 'string' &&
      hostname !== zone &&
      !hostname.endsWith(`.${zone}`)
    ) {
      issues.push({
        path: ['services', i, 'hostname'],
        value: hostname,
        message: `is outside the zone "${zone}" — use a name ending in ".${zone}"`,
      });
    }
  });
  return issues;
}

/** One environment's validated settings (base and environment file merged, defaults applied). */
export interface EnvironmentConfig extends z.output<typeof environmentSchema> {
  /** Environment name, from the file name (`envs/<name>.yaml`). */
  readonly name: string;
  /** Repository-relative path of the environment file, for messages. */
  readonly file: string;
}
export type ServiceConfig = z.output<typeof serviceSchema>;
