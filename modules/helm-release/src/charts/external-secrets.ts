import { type ChartDefinition } from '../types';

/** Namespace and service account of the External Secrets Operator controller (the IRSA subject). */
export const EXTERNAL_SECRETS_NAMESPACE = 'external-secrets';
export const EXTERNAL_SECRETS_SERVICE_ACCOUNT = 'external-secrets';

/**
 * The values of the external-secrets chart that the platform sets — a subset of the chart's values.yaml.
 * A key missing here is a compile error.
 */
export interface ExternalSecretsValues {
  /** Install the external-secrets.io CRDs with the chart. */
  readonly installCRDs?: boolean;
  readonly replicaCount?: number;
  readonly leaderElect?: boolean;
  readonly serviceAccount?: {
    readonly create?: boolean;
    /** Fixed so the IRSA trust policy can name it (`system:serviceaccount:<ns>:<name>`). */
    readonly name?: string;
    /** Set `eks.amazonaws.com/role-arn` to the controller's IRSA role. */
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly webhook?: { readonly replicaCount?: number };
  readonly certController?: { readonly replicaCount?: number };
}

/** External Secrets Operator from its chart repository, at an exact version (from `platformCharts.externalSecrets.version`). */
export function externalSecretsChart(version: string): ChartDefinition<ExternalSecretsValues> {
  return {
    repository: 'https://charts.external-secrets.io',
    chart: 'external-secrets',
    version,
    defaults: {
      installCRDs: true,
      serviceAccount: { create: true, name: EXTERNAL_SECRETS_SERVICE_ACCOUNT },
    },
  };
}
