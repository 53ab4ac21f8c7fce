import { ExternalSecret, SecretStore } from '@kubernetes-models/external-secrets/external-secrets.io/v1beta1';
import { type KubernetesObject } from '@platform/helm-release-module';
import { LABELS } from './argo-cd';
import { type GitOpsService } from './types';
import { validated } from './validate';

/**
 * The API version the objects are emitted with. ESO ≥ 0.17 serves only `v1`; the installed
 * `@kubernetes-models/external-secrets` (0.5.2, the last CommonJS release) has only the `v1beta1`
 * models, whose ExternalSecret and SecretStore spec fields used here are identical in `v1`.
 * So each object is validated as `v1beta1` and emitted as `v1` (a known limit: a field that exists
 * only in `v1` cannot be set, and one removed in `v1` would not be caught).
 */
export const EXTERNAL_SECRETS_API_VERSION = 'external-secrets.io/v1';

/** Default `refreshInterval` of an ExternalSecret. */
export const DEFAULT_REFRESH_INTERVAL = '1h';

/** Secrets Manager prefix a service's secrets live under: `<env>/<service>/`. */
export function secretPrefix(environment: string, service: string): string {
  return `${environment}/${service}/`;
}

function asV1(object: KubernetesObject): KubernetesObject {
  return { ...object, apiVersion: EXTERNAL_SECRETS_API_VERSION };
}

/** Name of a service's own SecretStore, in the service's namespace: `<service>-secrets-manager`. */
export function secretStoreName(service: string): string {
  return `${service}-secrets-manager`;
}

/** The labels every object a service owns carries: part-of, environment, service, team. */
function serviceLabels(service: GitOpsService, environment: string): Record<string, string> {
  return {
    [LABELS.partOf]: 'platform',
    [LABELS.environment]: environment,
    [LABELS.service]: service.name,
    [LABELS.team]: service.team,
  };
}

/**
 * The service's own SecretStore for AWS Secrets Manager in the environment's region, in the service's
 * namespace, authenticated with the service's own service account token (IRSA: the workload role in its
 * `eks.amazonaws.com/role-arn` annotation, which may read only `<env>/<service>/*`). No store is shared
 * between services, so an ExternalSecret in one namespace cannot read another service's secrets.
 * Namespaced stores ignore `serviceAccountRef.namespace`: the account is always the store's own namespace's.
 */
export function buildSecretStore(service: GitOpsService, options: { readonly environment: string; readonly region: string }): KubernetesObject {
  return asV1(
    validated(
      new SecretStore({
        metadata: {
          name: secretStoreName(service.name),
          namespace: service.namespace,
          labels: serviceLabels(service, options.environment),
        },
        spec: {
          provider: {
            aws: {
              service: 'SecretsManager',
              region: options.region,
              auth: { jwt: { serviceAccountRef: { name: service.serviceAccount ?? service.name } } },
            },
          },
        },
      })
    )
  );
}

/**
 * One ExternalSecret per Secret the service declares: each key read from `<env>/<service>/<key>`
 * (optionally one JSON property of it) through the service's own SecretStore, into a Secret the ExternalSecret
 * owns (`creationPolicy: Owner`: deleting the ExternalSecret deletes the Secret).
 */
export function buildExternalSecrets(
  service: GitOpsService,
  options: { readonly environment: string }
): KubernetesObject[] {
  const prefix = secretPrefix(options.environment, service.name);
  return (service.secrets ?? []).map((secret) => {
    const extra: string[] = [];
    for (const d of secret.data) {
      if (d.key.startsWith('/') || d.key.split('/').includes('..')) {
        extra.push(`data key "${d.key}" leaves the service's prefix ${prefix} — use a name below it, e.g. "database"`);
      }
    }
    return asV1(
      validated(
        new ExternalSecret({
          metadata: {
            name: secret.name,
            namespace: service.namespace,
            labels: serviceLabels(service, options.environment),
          },
          spec: {
            refreshInterval: secret.refreshInterval ?? DEFAULT_REFRESH_INTERVAL,
            secretStoreRef: { kind: 'SecretStore', name: secretStoreName(service.name) },
            target: { name: secret.name, creationPolicy: 'Owner' },
            data: secret.data.map((d) => ({
              secretKey: d.secretKey,
              remoteRef: { key: `${prefix}${d.key}`, ...(d.property ? { property: d.property } : {}) },
            })),
          },
        }),
        extra
      )
    );
  });
}
