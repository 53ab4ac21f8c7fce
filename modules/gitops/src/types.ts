/** One service as the GitOps objects see it: what its Application and ExternalSecrets are built from. */
export interface GitOpsService {
  /** Service name (`service.name` in the chart). */
  readonly name: string;
  /** Namespace of the workload (the Application's destination). */
  readonly namespace: string;
  /** Owning team (`team` in the chart). */
  readonly team: string;
  /** Image repository without tag (`image.repository`), e.g. the service's ECR repository URL. */
  readonly imageRepository: string;
  /**
   * Image tag to deploy (`image.tag`).
   * @default - no Application is generated for the service until it has a tag
   */
  readonly imageTag?: string;
  /** Public hostname (`ingress.host`). */
  readonly host: string;
  /** ARN of the service's IRSA workload role (`serviceAccount.roleArn`). */
  readonly roleArn: string;
  /**
   * Kubernetes service account name (`serviceAccount.name`).
   * @default - the chart's default: the service name
   */
  readonly serviceAccount?: string;
  /**
   * Kubernetes Secrets filled from Secrets Manager (`<env>/<service>/<key>`) and mounted by the chart.
   * @default - none
   */
  readonly secrets?: readonly GitOpsSecret[];
}

/** A Kubernetes Secret External Secrets Operator keeps in sync with Secrets Manager. */
export interface GitOpsSecret {
  /** Name of the Kubernetes Secret (and of its ExternalSecret). */
  readonly name: string;
  /**
   * How often the operator re-reads Secrets Manager (Go duration).
   * @default "1h"
   */
  readonly refreshInterval?: string;
  /** The Secret's keys. */
  readonly data: ReadonlyArray<{
    /** Key in the Kubernetes Secret. */
    readonly secretKey: string;
    /** Secrets Manager name below `<env>/<service>/`. */
    readonly key: string;
    /** JSON property of the secret value. @default - the whole value */
    readonly property?: string;
  }>;
}

/** How the environment's Applications sync: automated (with prune/selfHeal) or `false` for manual. */
export type AutoSync = false | { readonly prune: boolean; readonly selfHeal: boolean };

/** Per-service values the ApplicationSet passes to charts/service (its layer 3, after values-<env>.yaml). */
export interface ServiceChartValues {
  readonly service: { readonly name: string };
  readonly team: string;
  readonly image: { readonly repository: string; readonly tag: string };
  readonly ingress: { readonly host: string };
  readonly serviceAccount: { readonly roleArn: string; readonly name?: string };
  readonly externalSecrets: readonly string[];
}
