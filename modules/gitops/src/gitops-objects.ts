import { ConfigError, type Problem } from '@platform/config';
import { type ITerraformDependable, type TerraformProvider } from 'cdktf';
import { Construct } from 'constructs';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import {
  HelmRelease,
  platformObjectsChart,
  type KubernetesObject,
  type PlatformObjectsValues,
} from '@platform/helm-release-module';
import { buildLockedDefaultProject, buildServicesApplicationSet, buildServicesProject, KEEP_ON_UNINSTALL, LABELS } from './argo-cd';
import { buildExternalSecrets, buildSecretStore } from './external-secrets';
import { type AutoSync, type GitOpsService } from './types';
import { describeObject, validated } from './validate';

export interface GitOpsObjectsProps {
  /** Environment name: selects `values-<env>.yaml`, names Applications, prefixes secrets. */
  readonly environment: string;
  /** Where Argo CD takes the service chart from. */
  readonly repo: {
    /** Git repository URL (this repository). */
    readonly url: string;
    /** Branch, tag or commit to track. */
    readonly targetRevision: string;
    /** Path of the service chart in the repository. @default "charts/service" */
    readonly chartPath?: string;
  };
  /** Automated sync with prune/selfHeal, or `false` for manual sync. */
  readonly autoSync: AutoSync;
  /** The environment's services. */
  readonly services: readonly GitOpsService[];
  /** Secrets Manager of the environment: each service with secrets gets its own SecretStore there. */
  readonly secretStore: {
    /** Region of Secrets Manager (the environment's region). */
    readonly region: string;
  };
  /**
   * Namespace Argo CD runs in (its AppProject and ApplicationSet live there).
   * @default "argocd"
   */
  readonly argoCdNamespace?: string;
  /** The operator releases whose CRDs the objects need (Argo CD, External Secrets): installed first. */
  readonly dependsOn: ITerraformDependable[];
  /** Helm provider. @default - the stack's default `helm` provider */
  readonly provider?: TerraformProvider;
}

/** Names of the objects this construct creates. */
export const GITOPS_NAMES = {
  project: 'services',
  applicationSet: 'services',
  release: 'platform-objects',
  chartPath: 'charts/service',
  argoCdNamespace: 'argocd',
} as const;

/**
 * The GitOps objects of one environment, built from typed models and validated at synth, then installed
 * by a Helm release of the local charts/platform-objects chart that depends on the operator releases:
 *
 * - the services' Namespaces (kept on uninstall), so ExternalSecrets can land before Argo CD syncs;
 * - Argo CD's `default` AppProject, locked down (no sources, no destinations);
 * - the AppProject and ApplicationSet (one Application per service with an image tag), kept on
 *   uninstall, generating Applications whose deletion never cascades (preserveResourcesOnDeletion);
 * - per service with secrets, its own SecretStore in its namespace (authenticating as the service's own
 *   IRSA role) and its ExternalSecrets. There is no ClusterSecretStore.
 *
 * Why a Helm release rather than `kubernetes_manifest`: see docs/gitops.md ("Installing custom resources").
 *
 * Construct ids: Release (the platform-objects HelmRelease).
 */
export class GitOpsObjects extends Construct {
  /** Every object, in install order, as the chart renders it. */
  public readonly objects: readonly KubernetesObject[];
  /** The platform-objects release. */
  public readonly release: HelmRelease<PlatformObjectsValues>;

  constructor(scope: Construct, id: string, props: GitOpsObjectsProps) {
    super(scope, id);
    const label = `GitOpsObjects "${this.node.path}"`;
    checkServices(props.services, label);
    const env = props.environment;
    const argoCdNamespace = props.argoCdNamespace ?? GITOPS_NAMES.argoCdNamespace;
    const namespaces = [...new Set(props.services.map((s) => s.namespace))].sort();

    const objects: KubernetesObject[] = [
      ...namespaces.map((name) =>
        validated(
          new Namespace({
            metadata: {
              name,
              labels: { [LABELS.partOf]: 'platform', [LABELS.environment]: env },
              // Uninstalling the objects must never delete a namespace with workloads in it.
              annotations: { ...KEEP_ON_UNINSTALL },
            },
          })
        )
      ),
      buildLockedDefaultProject({ argoCdNamespace, environment: env }),
      buildServicesProject({ name: GITOPS_NAMES.project, argoCdNamespace, environment: env, repoUrl: props.repo.url, namespaces }),
      buildServicesApplicationSet({
        name: GITOPS_NAMES.applicationSet,
        argoCdNamespace,
        project: GITOPS_NAMES.project,
        environment: env,
        repo: { url: props.repo.url, targetRevision: props.repo.targetRevision, chartPath: props.repo.chartPath ?? GITOPS_NAMES.chartPath },
        autoSync: props.autoSync,
        services: props.services,
      }),
      // Helm installs kinds it does not know in alphabetical order (ExternalSecret before SecretStore);
      // the list follows it so that the objects read in the order they are applied.
      ...props.services.flatMap((svc) => buildExternalSecrets(svc, { environment: env })),
      ...props.services
        .filter((svc) => (svc.secrets ?? []).length > 0)
        .map((svc) => buildSecretStore(svc, { environment: env, region: props.secretStore.region })),
    ];
    checkUnique(objects, label);
    this.objects = objects;

    this.release = new HelmRelease(this, 'Release', {
      chart: platformObjectsChart(),
      name: GITOPS_NAMES.release,
      namespace: argoCdNamespace,
      // The namespace belongs to the Argo CD release, which is installed first.
      createNamespace: false,
      values: { objects },
      dependsOn: props.dependsOn,
      provider: props.provider,
    });
    // Argo CD creates the `default` project on start; the release adopts it to lock it down.
    this.release.release.takeOwnership = true;
  }
}

function checkServices(services: readonly GitOpsService[], label: string): void {
  const problems: Problem[] = [];
  const seen = new Set<string>();
  const identities = new Map<string, string>();
  services.forEach((svc, i) => {
    if (seen.has(svc.name)) {
      problems.push({ source: label, field: `services[${i}].name`, value: svc.name, message: 'is used twice — service names must be unique' });
    }
    seen.add(svc.name);
    // One service account = one IRSA role = one service's secrets; sharing it would share the secrets.
    const identity = `${svc.namespace}/${svc.serviceAccount ?? svc.name}`;
    const first = identities.get(identity);
    if (first !== undefined) {
      problems.push({
        source: label,
        field: `services[${i}].serviceAccount`,
        value: identity,
        message: `is also the namespace and service account of "${first}" — give each service its own service account`,
      });
    } else identities.set(identity, svc.name);
  });
  if (problems.length > 0) throw new ConfigError(problems, `${label}: ${problems.length} invalid prop${problems.length === 1 ? '' : 's'}`);
}

/** Two objects with the same kind, namespace and name would make Helm fail at apply: fail synth instead. */
function checkUnique(objects: readonly KubernetesObject[], label: string): void {
  const seen = new Set<string>();
  const problems: Problem[] = [];
  for (const o of objects) {
    const id = `${o.apiVersion} ${describeObject(o)}`;
    if (seen.has(id)) problems.push({ source: label, field: 'objects', message: `would create ${describeObject(o)} twice — give each Secret a unique name in its namespace` });
    seen.add(id);
  }
  if (problems.length > 0) throw new ConfigError(problems, `${label}: ${problems.length} duplicate object${problems.length === 1 ? '' : 's'}`);
}
