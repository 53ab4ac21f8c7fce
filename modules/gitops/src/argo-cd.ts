import { ApplicationSet, AppProject, type IApplicationSet } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1';
import { resourceName } from '@platform/naming';
import { type KubernetesObject } from '@platform/helm-release-module';
import { type AutoSync, type GitOpsService, type ServiceChartValues } from './types';
import { validated } from './validate';

/** The in-cluster API server, as Argo CD names the cluster it runs in. */
export const IN_CLUSTER = 'https://kubernetes.default.svc';
/** Deleting an Application with this finalizer deletes its resources too (cascade). The platform never sets it. */
export const RESOURCES_FINALIZER = 'resources-finalizer.argocd.argoproj.io';
/** Helm leaves an object with this annotation in place when its release is uninstalled or replaced. */
export const KEEP_ON_UNINSTALL = { 'helm.sh/resource-policy': 'keep' } as const;
/** Argo CD's built-in project, which any Application may name unless it is locked down. */
export const DEFAULT_PROJECT = 'default';
/** Label keys the platform puts on what it generates. */
export const LABELS = {
  partOf: 'app.kubernetes.io/part-of',
  managedBy: 'app.kubernetes.io/managed-by',
  environment: 'platform.acme-platform.io/environment',
  service: 'platform.acme-platform.io/service',
  team: 'platform.acme-platform.io/team',
} as const;

/** Retry of a failed sync: 10 s, 20 s, 40 s, 80 s, 160 s (capped at 5 min). */
export const SYNC_RETRY = { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '5m' } } as const;

export interface ServicesProjectProps {
  /** Project name. */
  readonly name: string;
  /** Namespace Argo CD runs in. */
  readonly argoCdNamespace: string;
  /** Environment name, for the description and labels. */
  readonly environment: string;
  /** The only Git repository the project's Applications may use. */
  readonly repoUrl: string;
  /** The only namespaces they may deploy to. */
  readonly namespaces: readonly string[];
}

/**
 * The AppProject of the services: sources limited to this repository, destinations to the services'
 * namespaces in this cluster, cluster-scoped resources to Namespace (for CreateNamespace=true), and no
 * Argo CD or External Secrets objects from a service chart (those are the platform's, installed here).
 */
export function buildServicesProject(props: ServicesProjectProps): KubernetesObject {
  return validated(
    new AppProject({
      metadata: {
        name: props.name,
        namespace: props.argoCdNamespace,
        labels: { [LABELS.partOf]: 'platform', [LABELS.environment]: props.environment },
        // Replacing or uninstalling the objects release must not delete the project its Applications belong to.
        annotations: { ...KEEP_ON_UNINSTALL },
      },
      spec: {
        description: `Services of ${props.environment}, deployed from charts/service by the ${props.name} ApplicationSet`,
        sourceRepos: [props.repoUrl],
        destinations: [...new Set(props.namespaces)].sort().map((namespace) => ({ server: IN_CLUSTER, namespace })),
        clusterResourceWhitelist: [{ group: '', kind: 'Namespace' }],
        namespaceResourceBlacklist: [
          { group: 'argoproj.io', kind: '*' },
          { group: 'external-secrets.io', kind: '*' },
          { group: 'generators.external-secrets.io', kind: '*' },
        ],
      },
    })
  );
}

export interface ServicesApplicationSetProps {
  /** ApplicationSet name. */
  readonly name: string;
  /** Namespace Argo CD runs in. */
  readonly argoCdNamespace: string;
  /** Project of the generated Applications. */
  readonly project: string;
  /** Environment name: selects `values-<env>.yaml` and suffixes the Application names. */
  readonly environment: string;
  /** Git repository holding the chart, and the revision to track. */
  readonly repo: { readonly url: string; readonly targetRevision: string; readonly chartPath: string };
  /** Automated sync (prune/selfHeal) or manual. */
  readonly autoSync: AutoSync;
  /** The services; those without an image tag get no Application yet. */
  readonly services: readonly GitOpsService[];
}

/** One element of the list generator: the template's parameters for one service. */
export interface ServiceElement {
  readonly appName: string;
  readonly service: string;
  readonly namespace: string;
  readonly team: string;
  readonly helmValues: ServiceChartValues;
}

/** The per-service values charts/service receives (the ApplicationSet's layer over values-<env>.yaml). */
export function serviceChartValues(svc: GitOpsService & { readonly imageTag: string }): ServiceChartValues {
  return {
    service: { name: svc.name },
    team: svc.team,
    image: { repository: svc.imageRepository, tag: svc.imageTag },
    ingress: { host: svc.host },
    serviceAccount: { roleArn: svc.roleArn, ...(svc.serviceAccount ? { name: svc.serviceAccount } : {}) },
    externalSecrets: (svc.secrets ?? []).map((s) => s.name),
  };
}

/**
 * The ApplicationSet that generates one Application per service of the environment, from a list
 * generator (one element per service) and one template: Helm source at the chart path with
 * `valueFiles: [values-<env>.yaml]` and the element's values (rendered with Go templates' `toJson`),
 * the service's namespace as destination, CreateNamespace=true, retry with backoff, and automated
 * prune/selfHeal when the environment allows it.
 *
 * Deleting it can never cascade to workloads: `preserveResourcesOnDeletion` keeps every generated
 * Application's resources when the ApplicationSet (or an Application) is deleted, no Application carries
 * the resources finalizer, and Helm keeps the ApplicationSet itself when its release is uninstalled or
 * replaced (`helm.sh/resource-policy: keep`). Removing a service from the environment file therefore
 * orphans its workload; deleting it is a deliberate step (docs/gitops.md).
 */
export function buildServicesApplicationSet(props: ServicesApplicationSetProps): KubernetesObject {
  const elements: ServiceElement[] = props.services
    .filter((s): s is GitOpsService & { imageTag: string } => typeof s.imageTag === 'string')
    .map((svc) => ({
      appName: resourceName(svc.name, props.environment),
      service: svc.name,
      namespace: svc.namespace,
      team: svc.team,
      helmValues: serviceChartValues(svc),
    }));
  const automated = props.autoSync === false ? undefined : { prune: props.autoSync.prune, selfHeal: props.autoSync.selfHeal };
  const spec: IApplicationSet['spec'] = {
    goTemplate: true,
    goTemplateOptions: ['missingkey=error'],
    generators: [{ list: { elements } }],
    template: {
      metadata: {
        name: '{{ .appName }}',
        labels: {
          [LABELS.partOf]: props.name,
          [LABELS.environment]: props.environment,
          [LABELS.service]: '{{ .service }}',
          [LABELS.team]: '{{ .team }}',
        },
      },
      spec: {
        project: props.project,
        source: {
          repoURL: props.repo.url,
          targetRevision: props.repo.targetRevision,
          path: props.repo.chartPath,
          helm: {
            releaseName: '{{ .service }}',
            valueFiles: [`values-${props.environment}.yaml`],
            values: '{{ toJson .helmValues }}',
          },
        },
        destination: { server: IN_CLUSTER, namespace: '{{ .namespace }}' },
        syncPolicy: {
          ...(automated ? { automated } : {}),
          syncOptions: ['CreateNamespace=true'],
          retry: { limit: SYNC_RETRY.limit, backoff: { ...SYNC_RETRY.backoff } },
        },
        revisionHistoryLimit: 10,
      },
    },
    syncPolicy: { preserveResourcesOnDeletion: true },
  };
  return validated(
    new ApplicationSet({
      metadata: {
        name: props.name,
        namespace: props.argoCdNamespace,
        labels: { [LABELS.partOf]: 'platform', [LABELS.environment]: props.environment },
        annotations: { ...KEEP_ON_UNINSTALL },
      },
      spec,
    })
  );
}

/**
 * Argo CD's `default` project, locked down: no source repository, no destination, no cluster-scoped and
 * no namespaced kind, so an Application that names it (by mistake or on purpose) can deploy nothing.
 * Argo CD creates the project when it starts; the objects release takes it over (`take_ownership`) and
 * keeps it on uninstall, so Argo CD never recreates it open.
 */
export function buildLockedDefaultProject(props: { readonly argoCdNamespace: string; readonly environment: string }): KubernetesObject {
  return validated(
    new AppProject({
      metadata: {
        name: DEFAULT_PROJECT,
        namespace: props.argoCdNamespace,
        labels: { [LABELS.partOf]: 'platform', [LABELS.environment]: props.environment },
        annotations: { ...KEEP_ON_UNINSTALL },
      },
      spec: {
        description: 'Locked: Applications must use a platform project (e.g. services), never default',
        sourceRepos: [],
        destinations: [],
        clusterResourceWhitelist: [],
        namespaceResourceBlacklist: [{ group: '*', kind: '*' }],
      },
    })
  );
}
