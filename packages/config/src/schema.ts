import { z } from 'zod';
import { keyIssues } from './rules/keys';

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
// 3–56 characters: the backup bucket appends "-backup" and S3 allows 63.
const S3_BUCKET = /^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,54}[a-z0-9]$/;
const TAG_VALUE = /^[\p{L}\p{N}\s_.:/=+\-@]{1,256}$/u;

export const awsRegion = z.string().regex(AWS_REGION, 'is not an AWS region — use a region code such as "eu-west-1"');
export const kmsKeyArn = z.string().regex(KMS_KEY_ARN, 'is not a KMS key ARN — use "arn:aws:kms:<region>:<account>:key/<id>"');
/** The state bucket's backups: replicated into another region (or account), every version locked. */
export const stateBackupSchema = z.strictObject({
  /** Region of the backup bucket; must differ from state.region. */
  region: awsRegion,
  /** Account of the backup bucket, when backups go to a separate backup account. */
  accountId: z.string().regex(/^\d{12}$/, 'is not an AWS account ID — use the 12-digit ID in quotes').optional(),
  /** S3 Object Lock of each backup version. Defaults to COMPLIANCE for 30 days. */
  objectLock: z
    .strictObject({
      mode: z.enum(['GOVERNANCE', 'COMPLIANCE'], { error: 'must be "GOVERNANCE" or "COMPLIANCE"' }),
      days: z.number().int('must be a whole number').min(1, 'must be at least 1').max(3650, 'must be at most 3650'),
    })
    .optional(),
});

/** Encryption at rest of logs or images: the service's default, or a customer-managed KMS key. */
export const keyEncryption = z.enum(['default', 'kms'], { error: 'must be "default" or "kms"' });
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

// ── GitOps, Helm charts and External Secrets ──────────────────────────────────────────────────

/** An exact SemVer 2 version: charts are always pinned, never a range, "latest", "1.x" or "v1.2.3". */
export const EXACT_SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;
export const chartVersion = z
  .string()
  .regex(EXACT_SEMVER, 'is not an exact chart version — pin one such as "8.3.8" (no ranges, "latest", "1.x" or "v" prefix)');

/** Image tags the service chart accepts (1–63 of A–Z a–z 0–9 _ . -), never the mutable "latest". */
const IMAGE_TAG = /^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/;
/** A Kubernetes label value for the `team` label (the service chart's pattern). */
const TEAM_LABEL = /^[a-z][a-z0-9-]{1,30}[a-z0-9]$/;
/** Secret keys become environment variables (the chart mounts the Secret with envFrom). */
const ENV_VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/** A Secrets Manager name below `<env>/<service>/`: Secrets Manager's characters, no leading slash, no "..". */
const SECRETS_MANAGER_KEY = /^(?!\/)(?!.*\.\.)[A-Za-z0-9/_+=.@-]{1,256}$/;
const JSON_PROPERTY = /^[A-Za-z0-9_.-]{1,256}$/;
const GO_DURATION = /^([0-9]+(h|m|s))+$/;
const GIT_URL = /^(https:\/\/[A-Za-z0-9.-]+(:[0-9]+)?\/[^\s]+|ssh:\/\/[^\s]+|git@[A-Za-z0-9.-]+:[^\s]+)$/;
const GIT_REVISION = /^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._/-]{0,254}$/;

export const teamLabel = z
  .string()
  .regex(TEAM_LABEL, 'is not a team label — use 3–32 lower-case letters, digits and hyphens, starting with a letter');

/** One Kubernetes Secret that External Secrets Operator fills from AWS Secrets Manager for a service. */
export const serviceSecretSchema = z.strictObject({
  /** Name of the Kubernetes Secret in the service's namespace; the service chart mounts it whole (envFrom). */
  name: kubernetesName('Secret'),
  /** How often External Secrets Operator re-reads Secrets Manager (Go duration). Defaults to "1h". */
  refreshInterval: z
    .string()
    .regex(GO_DURATION, 'is not a refresh interval — use a Go duration such as "1h", "15m" or "1h30m"')
    .optional(),
  /** The Secret's keys, each read from one Secrets Manager secret under `<env>/<service>/`. */
  data: z
    .array(
      z.strictObject({
        /** Key in the Kubernetes Secret; becomes an environment variable of the pods. */
        secretKey: z
          .string()
          .regex(ENV_VAR_NAME, 'is not usable as an environment variable — use letters, digits and _, not starting with a digit'),
        /** Secrets Manager secret name below `<env>/<service>/`, e.g. "database" for "dev/payments/database". */
        key: z
          .string()
          .regex(
            SECRETS_MANAGER_KEY,
            'is not a Secrets Manager name below <env>/<service>/ — use letters, digits and / _ + = . @ -, without a leading "/" or ".."'
          ),
        /** JSON property of the secret value to take (dots descend). Omit to take the whole value. */
        property: z
          .string()
          .regex(JSON_PROPERTY, 'is not a JSON property — use letters, digits, _ . - (dots descend into nested objects)')
          .optional(),
      })
    )
    .min(1, 'is empty — list at least one key for the Secret'),
});

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
  /**
   * Image tag Argo CD deploys (an immutable tag pushed to the service's ECR repository). Leave it out
   * until the first image exists: a service without a tag gets no Argo CD Application yet.
   */
  imageTag: z
    .string()
    .regex(IMAGE_TAG, 'is not an image tag — use 1–63 letters, digits, _ . -, starting and ending with a letter or digit')
    .refine((t) => t !== 'latest', { message: 'is the mutable tag "latest" — pin an immutable tag such as "1.4.2"' })
    .optional(),
  /** Owning team, set as the `team` label of the workload. Defaults to `tags.team`. */
  team: teamLabel.optional(),
  /** Kubernetes Secrets External Secrets Operator fills from Secrets Manager (`<env>/<service>/…`); the chart mounts them. */
  secrets: z.array(serviceSecretSchema).max(20, 'lists more than 20 Secrets — the service chart mounts at most 20').optional(),
});

/** GitHub `<org>/<repo>`: the exact subject prefix the CI roles trust (no wildcards). */
const GITHUB_REPOSITORY = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;

/** Where CI runs: the repository whose GitHub Actions OIDC tokens the CI roles trust (modules/ci-identity). */
export const githubSchema = z.strictObject({
  /** `<org>/<repo>` of this repository, e.g. "acme-platform/platform-infra"; the CI roles trust `repo:<org>/<repo>:…` exactly. */
  repository: z
    .string()
    .regex(GITHUB_REPOSITORY, 'is not a GitHub repository — use "<org>/<repo>", e.g. "acme-platform/platform-infra" (no wildcards, no URL)'),
  /**
   * The account's IAM OIDC provider for token.actions.githubusercontent.com: `create` it with the
   * bootstrap, or `lookup` the one the account baseline already owns (one provider per URL per account).
   */
  oidcProvider: z.enum(['create', 'lookup'], { error: 'must be "create" (the bootstrap creates it) or "lookup" (the account baseline owns it)' }),
});

/** Most promotion waves an organisation can have: each wave is one stage of the apply pipeline. */
export const MAX_WAVES = 6;

/** Where an environment sits in the promotion order (the apply pipeline applies wave 1, then 2, …). */
export const promotionSchema = z.strictObject({
  /** Wave number: 1 applies first; environments of one wave apply side by side; waves are contiguous from 1. */
  wave: z
    .number()
    .int('must be a whole number — use 1 for the first wave')
    .min(1, 'must be at least 1 — waves count from 1')
    .max(MAX_WAVES, `must be at most ${MAX_WAVES} — the apply pipeline has at most ${MAX_WAVES} waves`),
});

export const environmentSchema = z.strictObject({
  /** Where CI runs (see githubSchema). */
  github: githubSchema,
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
      .regex(S3_BUCKET, 'is not a state bucket name — use 3–56 lower-case letters, digits, dots and hyphens (the backup bucket appends "-backup")'),
    region: awsRegion,
    /** DynamoDB table for state locking; omit only when `useLockfile` is on. */
    lockTable: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{3,255}$/, 'is not a DynamoDB table name — use 3–255 letters, digits, _ . -')
      .optional(),
    /** S3 native state locking (Terraform ≥ 1.10, OpenTofu ≥ 1.10). */
    useLockfile: z.boolean(),
    /** Where the state's backups live: another region (or account), Object Lock (modules/state-backend). */
    backup: stateBackupSchema,
  }),
  /** Terraform refuses to destroy stateful resources (image repositories, log groups) while this is on. */
  preventDestroy: z.boolean(),
  /**
   * `production` environments must keep their safeguards: preventDestroy on (or a written
   * preventDestroyOptOut), KMS keys for logs and images, and no automated pruning unless
   * gitops.autoSync says prune: true explicitly.
   */
  tier: z.enum(['production', 'non-production'], { error: 'must be "production" or "non-production"' }),
  /** The environment's place in the promotion order, e.g. `{ wave: 2 }`: `platform promote` and the apply pipeline follow it. */
  promotion: promotionSchema,
  /** Why a production environment runs without prevent_destroy (listed in every synth summary). */
  preventDestroyOptOut: z.string().trim().min(20, 'must explain the exception in at least 20 characters').optional(),
  logs: z.strictObject({
    retentionDays,
    /** `kms`: a customer-managed key; the environment's own key (created in code) unless kmsKeyArn names one. */
    encryption: keyEncryption.optional(),
    kmsKeyArn: kmsKeyArn.optional(),
  }),
  ecr: z.strictObject({
    /** How many tagged images each repository keeps. */
    keepTaggedImages: z.number().int().min(1, 'must be at least 1').max(1000, 'must be at most 1000'),
    /** Untagged images expire after this many days. */
    untaggedExpiryDays: z.number().int().min(1, 'must be at least 1').max(365, 'must be at most 365'),
    /** `kms`: a customer-managed key; the environment's own key (created in code) unless kmsKeyArn names one. */
    encryption: keyEncryption.optional(),
    kmsKeyArn: kmsKeyArn.optional(),
  }),
  /** Secrets Manager: the customer-managed key the services' secrets are encrypted with, if not the AWS-managed one. */
  secretsManager: z.strictObject({ kmsKeyArn: kmsKeyArn.optional() }).optional(),
  /** How Argo CD deploys the services: the repository it syncs and whether it syncs on its own. */
  gitops: z.strictObject({
    /** This repository, as Argo CD clones it. */
    repoUrl: z.string().regex(GIT_URL, 'is not a Git repository URL — use "https://host/org/repo.git" or "git@host:org/repo.git"'),
    /** Branch, tag or commit the environment's Applications track, e.g. "main". */
    targetRevision: z
      .string()
      .regex(GIT_REVISION, 'is not a Git revision — use a branch, tag or commit such as "main" or "v1.4.0"'),
    /** Automated sync with its prune/selfHeal switches, or `false`: changes wait for a manual sync. */
    autoSync: z.union([z.literal(false), z.strictObject({ prune: z.boolean(), selfHeal: z.boolean() })], {
      error: 'must be false (manual sync) or a mapping { prune: true|false, selfHeal: true|false }',
    }),
  }),
  /** Pinned versions of the platform's Helm charts, installed by the environment's platform stack. */
  platformCharts: z.strictObject({
    argoCd: z.strictObject({ version: chartVersion }),
    externalSecrets: z.strictObject({ version: chartVersion }),
    /** Stakater Reloader: rolls pods when a Secret they read changes (secret rotation, docs/gitops.md). */
    reloader: z.strictObject({ version: chartVersion }),
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
  if (env.tier === 'production') {
    if (env.preventDestroy !== true && env.preventDestroyOptOut === undefined) {
      issues.push({ path: ['preventDestroy'], value: env.preventDestroy, message: 'must be true in a production environment — set preventDestroy: true, or explain the exception in preventDestroyOptOut' });
    }
    for (const section of ['logs', 'ecr'] as const) {
      const block = env[section] as Record<string, unknown> | undefined;
      if (block && typeof block === 'object' && !block.kmsKeyArn && block.encryption !== 'kms') {
        issues.push({ path: [section], message: `has no kmsKeyArn — a production environment encrypts ${section === 'logs' ? 'logs' : 'images'} with a customer-managed KMS key; set ${section}.encryption: kms (the environment's own key) or ${section}.kmsKeyArn` });
      }
    }
  } else if (env.preventDestroyOptOut !== undefined) {
    issues.push({ path: ['preventDestroyOptOut'], message: 'only applies to a production environment (tier: production) — remove it' });
  }
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
  issues.push(...secretIssues(services, env.tags));
  issues.push(...serviceCollisionIssues(services, env));
  issues.push(...keyIssues(env));
  return issues;
}

/** Where an OIDC issuer lives: `oidc.eks.<region>.amazonaws.com/id/<ID>`. */
const OIDC_REGION = /^oidc\.eks\.([a-z0-9-]+)\.amazonaws\.com\//;
/** A secret key that starts with what the platform already prefixes: `<env>/<service>/`. */
const ENV_SEGMENT = /^[a-z][a-z0-9]{1,15}$/;

/**
 * Services of one environment that would collide when deployed (one hostname, one workload identity),
 * DNS records DNS cannot hold (a CNAME at the zone apex), an OIDC issuer in another region than the
 * environment's, and secret keys that repeat the `<env>/<service>/` prefix the platform adds.
 */
function serviceCollisionIssues(services: unknown[], env: Record<string, unknown>): CrossFieldIssue[] {
  const issues: CrossFieldIssue[] = [];
  const zone = (env.dns as Record<string, unknown> | undefined)?.zoneName;
  const ingressType = (env.ingress as Record<string, unknown> | undefined)?.type;
  const region = (env.aws as Record<string, unknown> | undefined)?.region;
  const issuer = (env.cluster as Record<string, unknown> | undefined)?.oidcIssuer;
  if (typeof issuer === 'string' && typeof region === 'string') {
    const issuerRegion = OIDC_REGION.exec(issuer)?.[1];
    if (issuerRegion && issuerRegion !== region) {
      issues.push({
        path: ['cluster', 'oidcIssuer'],
        value: issuer,
        message: `is in region ${issuerRegion}, but the environment is in ${region} (aws.region) — use the OIDC issuer of the environment's own cluster in ${region}`,
      });
    }
  }
  const hostnames = new Map<string, number>();
  const identities = new Map<string, number>();
  services.forEach((svc, i) => {
    if (!svc || typeof svc !== 'object') return;
    const { name, hostname, namespace, serviceAccount, secrets } = svc as Record<string, unknown>;
    if (typeof hostname === 'string') {
      const first = hostnames.get(hostname);
      if (first !== undefined) {
        issues.push({
          path: ['services', i, 'hostname'],
          value: hostname,
          message: `is also the hostname of services[${first}] — one DNS record points at one service; give this service its own hostname`,
        });
      } else hostnames.set(hostname, i);
      if (ingressType === 'cname' && hostname === zone) {
        issues.push({
          path: ['services', i, 'hostname'],
          value: hostname,
          message: 'is the zone apex, where DNS allows no CNAME record (ingress.type: cname) — use a name below the zone, or an alias ingress (type: alias)',
        });
      }
    }
    if (typeof name === 'string') {
      const ns = typeof namespace === 'string' ? namespace : name;
      const sa = typeof serviceAccount === 'string' ? serviceAccount : name;
      const id = `${ns}/${sa}`;
      const first = identities.get(id);
      if (first !== undefined) {
        issues.push({
          path: ['services', i, typeof serviceAccount === 'string' ? 'serviceAccount' : 'name'],
          value: typeof serviceAccount === 'string' ? serviceAccount : name,
          message: `gives the service account "${sa}" in namespace "${ns}", which services[${first}] already uses — each service needs its own service account (its IAM role trusts exactly one); set services[${i}].serviceAccount`,
        });
      } else identities.set(id, i);
      if (!Array.isArray(secrets)) return;
      secrets.forEach((secret, j) => {
        const data = (secret as Record<string, unknown> | undefined)?.data;
        if (!Array.isArray(data)) return;
        data.forEach((entry, k) => {
          const key = (entry as Record<string, unknown> | undefined)?.key;
          if (typeof key !== 'string') return;
          const [first, second, ...rest] = key.split('/');
          if (first !== undefined && ENV_SEGMENT.test(first) && second === name && rest.length > 0) {
            issues.push({
              path: ['services', i, 'secrets', j, 'data', k, 'key'],
              value: key,
              message: `repeats the "<env>/${name}/" prefix the platform adds (External Secrets would read "<env>/${name}/${key}") — write only the part below it, e.g. ${JSON.stringify(rest.join('/'))}`,
            });
          }
        });
      });
    }
  });
  return issues;
}

/** External Secrets rules: Secret names unique per namespace, keys unique per Secret, a team label for every service. */
function secretIssues(services: unknown[], tags: unknown): CrossFieldIssue[] {
  const issues: CrossFieldIssue[] = [];
  const owners = new Map<string, string>();
  const baseTeam = (tags as Record<string, unknown> | undefined)?.team;
  services.forEach((svc, i) => {
    if (!svc || typeof svc !== 'object') return;
    const { name, namespace, secrets, team, imageTag } = svc as Record<string, unknown>;
    if (imageTag !== undefined && team === undefined && typeof baseTeam === 'string' && !TEAM_LABEL.test(baseTeam)) {
      issues.push({
        path: ['services', i],
        message: `has no team and tags.team "${baseTeam}" is not a valid team label — set services[${i}].team (3–32 lower-case letters, digits and hyphens)`,
      });
    }
    if (!Array.isArray(secrets)) return;
    const ns = typeof namespace === 'string' ? namespace : name;
    secrets.forEach((secret, j) => {
      if (!secret || typeof secret !== 'object') return;
      const { name: secretName, data } = secret as Record<string, unknown>;
      if (typeof secretName === 'string' && typeof ns === 'string') {
        const id = `${ns}/${secretName}`;
        const first = owners.get(id);
        if (first !== undefined) {
          issues.push({
            path: ['services', i, 'secrets', j, 'name'],
            value: secretName,
            message: `is used twice in namespace "${ns}" (also ${first}) — Secret names must be unique per namespace`,
          });
        } else owners.set(id, `services[${i}].secrets[${j}]`);
      }
      if (!Array.isArray(data)) return;
      const keys = new Map<string, number>();
      data.forEach((entry, k) => {
        const secretKey = (entry as Record<string, unknown> | undefined)?.secretKey;
        if (typeof secretKey !== 'string') return;
        const firstKey = keys.get(secretKey);
        if (firstKey !== undefined) {
          issues.push({
            path: ['services', i, 'secrets', j, 'data', k, 'secretKey'],
            value: secretKey,
            message: `is used twice in this Secret (also data[${firstKey}]) — each key of a Secret must be unique`,
          });
        } else keys.set(secretKey, k);
      });
    });
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
/** One Kubernetes Secret of a service, filled from Secrets Manager by External Secrets Operator. */
export type ServiceSecretConfig = z.output<typeof serviceSecretSchema>;
