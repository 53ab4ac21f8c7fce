import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { ConfigError, type EnvironmentConfig } from '@platform/config';
import { oidcProviderArn, repositoryUrl, workloadRoleArn as namedWorkloadRoleArn } from '@platform/naming';
import { addHelmProvider, EnvironmentStack } from '@platform/stack-factory';
import { TerraformOutput } from 'cdktf';
import { type Construct } from 'constructs';
import { GitOpsObjects, SecretStoreRole, type GitOpsService } from '@platform/gitops-module';
import {
  argoCdChart,
  EXTERNAL_SECRETS_NAMESPACE,
  EXTERNAL_SECRETS_SERVICE_ACCOUNT,
  externalSecretsChart,
  HelmRelease,
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
  /** ARN of the External Secrets controller's IRSA role. */
  readonly secretStoreRoleArn: string;
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
 * The environment's delivery platform in its EKS cluster: Argo CD and External Secrets Operator
 * (Helm releases at the versions pinned in `platformCharts`), the operator's IRSA role, and the GitOps
 * objects — AppProject, ApplicationSet, ClusterSecretStore, ExternalSecrets — installed after the
 * operators (their CRDs) through the platform-objects chart. Argo CD then deploys every service from
 * charts/service; Terraform never deploys a service itself.
 */
export class PlatformStack extends EnvironmentStack implements PlatformOutputs {
  public readonly secretStoreRoleArn: string;
  public readonly argoCdNamespace = ARGOCD_NAMESPACE;
  /** The Argo CD release. */
  public readonly argoCd: HelmRelease<ArgoCdValues>;
  /** The External Secrets Operator release. */
  public readonly externalSecrets: HelmRelease<ExternalSecretsValues>;
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

    const role = new SecretStoreRole(this, 'SecretStoreRole', {
      environment: env.name,
      aws: { accountId: env.aws.accountId, region: env.aws.region },
      cluster: { oidcProviderArn: oidcProviderArn(env.aws.accountId, env.cluster.oidcIssuer), oidcIssuer: env.cluster.oidcIssuer },
      serviceAccount: { namespace: EXTERNAL_SECRETS_NAMESPACE, name: EXTERNAL_SECRETS_SERVICE_ACCOUNT },
      services: services.filter((s) => (s.secrets ?? []).length > 0).map((s) => s.name),
    });
    this.secretStoreRoleArn = role.roleArn;

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
      values: { serviceAccount: { annotations: { 'eks.amazonaws.com/role-arn': role.roleArn } } },
    });

    this.gitOps = new GitOpsObjects(this, 'GitOps', {
      environment: env.name,
      repo: { url: env.gitops.repoUrl, targetRevision: env.gitops.targetRevision, chartPath: SERVICE_CHART_PATH },
      autoSync: env.gitops.autoSync,
      services,
      secretStore: {
        region: env.aws.region,
        serviceAccount: { name: EXTERNAL_SECRETS_SERVICE_ACCOUNT, namespace: EXTERNAL_SECRETS_NAMESPACE },
      },
      argoCdNamespace: ARGOCD_NAMESPACE,
      dependsOn: [this.argoCd.release, this.externalSecrets.release],
    });

    new TerraformOutput(this, 'secret_store_role_arn', {
      value: this.secretStoreRoleArn,
      description: 'IRSA role of the External Secrets Operator controller',
    });
  }
}
