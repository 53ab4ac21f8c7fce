import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { ConfigError, type EnvironmentConfig } from '@platform/config';
import { repositoryUrl, workloadRoleArn as namedWorkloadRoleArn } from '@platform/naming';
import { addHelmProvider, EnvironmentStack } from '@platform/stack-factory';
import { type Construct } from 'constructs';
import { GitOpsObjects, type GitOpsService } from '@platform/gitops-module';
import {
  argoCdChart,
  EXTERNAL_SECRETS_NAMESPACE,
  externalSecretsChart,
  HelmRelease,
  RELOADER_NAMESPACE,
  reloaderChart,
  type ReloaderValues,
  type ArgoCdValues,
  type ExternalSecretsValues,
} from '@platform/helm-release-module';

/** Stack name within an environment; the stack id is `<env>-platform`, its state `<env>/platform.tfstate`. */
export const PLATFORM_STACK = 'platform';

/** Namespace and release name of Argo CD. */
export const ARGOCD_NAMESPACE = 'argocd';

/** The service chart Argo CD deploys, as a path in this repository (and on disk, for the synth-time check). */
export const SERVICE_CHART_PATH = 'charts/service';
const SERVICE_CHART_DIR = path.resolve(__dirname, '..', SERVICE_CHART_PATH);

/** What people and tools read from a platform stack. */
export interface PlatformOutputs {
  /** Argo CD's namespace (where the ApplicationSet lives). */
  readonly argoCdNamespace: string;
}

/**
 * ARN of a service's IRSA workload role. ServicesStack creates the role under the name
 * `workloadRoleName(service, env)` with the default path, so the ARN is known without reading that
 * stack's state: the platform stack plans on its own, in any order (see docs/gitops.md).
 */
export function workloadRoleArn(env: EnvironmentConfig, service: string): string {
  return namedWorkloadRoleArn(env.aws.accountId, service, env.name);
}

/** URL of a service's ECR repository (created by ServicesStack), without a tag. */
export function imageRepositoryUrl(env: EnvironmentConfig, service: string): string {
  return repositoryUrl(env.aws.accountId, env.aws.region, service, env.name);
}

/** The services of an environment file as the GitOps objects see them. */
export function gitOpsServices(env: EnvironmentConfig): GitOpsService[] {
  return env.services.map((svc) => ({
    name: svc.name,
    namespace: svc.namespace ?? svc.name,
    team: svc.team ?? env.tags.team,
    imageRepository: imageRepositoryUrl(env, svc.name),
    imageTag: svc.imageTag,
    host: svc.hostname,
    roleArn: workloadRoleArn(env, svc.name),
    serviceAccount: svc.serviceAccount,
    secrets: svc.secrets,
  }));
}

/**
 * The environment's delivery platform in its EKS cluster: Argo CD, External Secrets Operator and
 * Stakater Reloader (Helm releases at the versions pinned in `platformCharts`), and the GitOps objects — AppProject,
 * ApplicationSet, one SecretStore per service with secrets, ExternalSecrets — installed after the
 * operators (their CRDs) through the platform-objects chart. Argo CD then deploys every service from
 * charts/service; Terraform never deploys a service itself.
 */
export class PlatformStack extends EnvironmentStack implements PlatformOutputs {
  public readonly argoCdNamespace = ARGOCD_NAMESPACE;
  /** The Argo CD release. */
  public readonly argoCd: HelmRelease<ArgoCdValues>;
  /** The External Secrets Operator release. */
  public readonly externalSecrets: HelmRelease<ExternalSecretsValues>;
  /** Stakater Reloader: rolls a service's pods when External Secrets refreshes one of its Secrets. */
  public readonly reloader: HelmRelease<ReloaderValues>;
  /** The GitOps objects and their release. */
  public readonly gitOps: GitOpsObjects;

  constructor(scope: Construct, env: EnvironmentConfig) {
    super(scope, env, PLATFORM_STACK);
    // Every Application lists values-<env>.yaml; without the file each sync would fail in the cluster.
    const valuesFile = `values-${env.name}.yaml`;
    if (!existsSync(path.join(SERVICE_CHART_DIR, valuesFile))) {
      throw new ConfigError(
        [
          {
            source: SERVICE_CHART_PATH,
            field: valuesFile,
            message: `is missing — add it (what ${env.name} changes over values.yaml) before deploying services to ${env.name}`,
          },
        ],
        `${env.file}: the service chart has no values file for ${env.name}`
      );
    }
    addHelmProvider(this);
    const services = gitOpsServices(env);

    this.argoCd = new HelmRelease(this, 'ArgoCd', {
      chart: argoCdChart(env.platformCharts.argoCd.version),
      name: 'argocd',
      namespace: ARGOCD_NAMESPACE,
      environment: env.name,
    });
    this.externalSecrets = new HelmRelease(this, 'ExternalSecrets', {
      chart: externalSecretsChart(env.platformCharts.externalSecrets.version),
      name: 'external-secrets',
      namespace: EXTERNAL_SECRETS_NAMESPACE,
      environment: env.name,
      // No IRSA role: the controller reads no secret as itself. Each service's SecretStore authenticates
      // as that service's own workload role (see GitOpsObjects).
    });

    this.reloader = new HelmRelease(this, 'Reloader', {
      chart: reloaderChart(env.platformCharts.reloader.version),
      name: 'reloader',
      namespace: RELOADER_NAMESPACE,
      environment: env.name,
    });

    this.gitOps = new GitOpsObjects(this, 'GitOps', {
      environment: env.name,
      repo: { url: env.gitops.repoUrl, targetRevision: env.gitops.targetRevision, chartPath: SERVICE_CHART_PATH },
      autoSync: env.gitops.autoSync,
      services,
      secretStore: { region: env.aws.region },
      argoCdNamespace: ARGOCD_NAMESPACE,
      dependsOn: [this.argoCd.release, this.externalSecrets.release],
    });

    // Replacing one of these releases (a construct-id rename is enough) uninstalls it first: Terraform
    // refuses to, where the environment protects its stateful resources.
    if (env.preventDestroy) {
      for (const release of [this.argoCd, this.externalSecrets, this.reloader, this.gitOps.release]) release.release.lifecycle = { preventDestroy: true };
    }

  }
}
