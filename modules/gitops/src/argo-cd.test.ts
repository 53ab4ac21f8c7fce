import { ApplicationSet } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1';
import { ConfigError } from '@platform/config';
import { buildLockedDefaultProject, buildServicesApplicationSet, buildServicesProject, IN_CLUSTER, type ServicesApplicationSetProps } from './argo-cd';
import { type GitOpsService } from './types';
import { validated } from './validate';

const payments: GitOpsService = {
  name: 'payments',
  namespace: 'payments',
  team: 'platform',
  imageRepository: '111111111111.dkr.ecr.eu-west-1.amazonaws.com/payments-envone',
  imageTag: '1.5.0',
  host: 'payments.envone.acme-platform.io',
  roleArn: 'arn:aws:iam::111111111111:role/payments-envone-workload',
  secrets: [{ name: 'payments-database', data: [{ secretKey: 'DATABASE_URL', key: 'database', property: 'url' }] }],
};
const checkout: GitOpsService = {
  name: 'checkout',
  namespace: 'shop',
  team: 'shop',
  imageRepository: '111111111111.dkr.ecr.eu-west-1.amazonaws.com/checkout-envone',
  imageTag: '2.1.0',
  host: 'checkout.envone.acme-platform.io',
  roleArn: 'arn:aws:iam::111111111111:role/checkout-envone-workload',
  serviceAccount: 'checkout-api',
};

const appSetProps = (over: Partial<ServicesApplicationSetProps> = {}): ServicesApplicationSetProps => ({
  name: 'services',
  argoCdNamespace: 'argocd',
  project: 'services',
  environment: 'envone',
  repo: { url: 'https://github.com/acme-platform/platform-infra.git', targetRevision: 'main', chartPath: 'charts/service' },
  autoSync: { prune: true, selfHeal: true },
  services: [payments, checkout],
  ...over,
});

type AppSetSpec = ApplicationSet['spec'];
const specOf = (o: unknown) => (o as { spec: AppSetSpec }).spec;

describe('buildServicesProject', () => {
  it('GIVEN the repository and the services namespaces WHEN built THEN sources and destinations are limited to them', () => {
    const project = buildServicesProject({
      name: 'services',
      argoCdNamespace: 'argocd',
      environment: 'envone',
      repoUrl: 'https://github.com/acme-platform/platform-infra.git',
      namespaces: ['shop', 'payments', 'shop'],
    });
    expect(project).toMatchObject({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      metadata: { name: 'services', namespace: 'argocd' },
      spec: {
        sourceRepos: ['https://github.com/acme-platform/platform-infra.git'],
        destinations: [
          { server: IN_CLUSTER, namespace: 'payments' },
          { server: IN_CLUSTER, namespace: 'shop' },
        ],
        clusterResourceWhitelist: [{ group: '', kind: 'Namespace' }],
      },
    });
    expect((project.spec as { namespaceResourceBlacklist: unknown[] }).namespaceResourceBlacklist).toEqual(
      expect.arrayContaining([{ group: 'external-secrets.io', kind: '*' }, { group: 'argoproj.io', kind: '*' }])
    );
  });
});

describe('buildServicesApplicationSet', () => {
  it('GIVEN two services WHEN built THEN the list generator has one element per service with the chart values', () => {
    const spec = specOf(buildServicesApplicationSet(appSetProps()));
    expect(spec.goTemplate).toBe(true);
    expect(spec.goTemplateOptions).toEqual(['missingkey=error']);
    expect(spec.generators[0]!.list!.elements).toEqual([
      {
        appName: 'payments-envone',
        service: 'payments',
        namespace: 'payments',
        team: 'platform',
        helmValues: {
          service: { name: 'payments' },
          team: 'platform',
          image: { repository: '111111111111.dkr.ecr.eu-west-1.amazonaws.com/payments-envone', tag: '1.5.0' },
          ingress: { host: 'payments.envone.acme-platform.io' },
          serviceAccount: { roleArn: 'arn:aws:iam::111111111111:role/payments-envone-workload' },
          externalSecrets: ['payments-database'],
        },
      },
      expect.objectContaining({
        appName: 'checkout-envone',
        namespace: 'shop',
        helmValues: expect.objectContaining({
          serviceAccount: { roleArn: 'arn:aws:iam::111111111111:role/checkout-envone-workload', name: 'checkout-api' },
          externalSecrets: [],
        }),
      }),
    ]);
  });

  it('GIVEN an environment WHEN built THEN the template is a Helm source at the chart path with values-<env>.yaml then the element values', () => {
    const { template } = specOf(buildServicesApplicationSet(appSetProps({ environment: 'envtwo' })));
    expect(template.metadata.name).toBe('{{ .appName }}');
    expect(template.spec).toMatchObject({
      project: 'services',
      source: {
        repoURL: 'https://github.com/acme-platform/platform-infra.git',
        targetRevision: 'main',
        path: 'charts/service',
        helm: { releaseName: '{{ .service }}', valueFiles: ['values-envtwo.yaml'], values: '{{ toJson .helmValues }}' },
      },
      destination: { server: IN_CLUSTER, namespace: '{{ .namespace }}' },
    });
  });

  it('GIVEN automated sync with prune and selfHeal WHEN built THEN the policy automates, creates namespaces, retries with backoff — and deleting an Application never cascades', () => {
    const { template } = specOf(buildServicesApplicationSet(appSetProps()));
    expect(template.spec.syncPolicy).toEqual({
      automated: { prune: true, selfHeal: true },
      syncOptions: ['CreateNamespace=true'],
      retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '5m' } },
    });
    expect(template.metadata).not.toHaveProperty('finalizers');
  });

  it('GIVEN any sync setting WHEN built THEN the ApplicationSet preserves the resources of the Applications it deletes and Helm keeps it on uninstall', () => {
    for (const autoSync of [{ prune: true, selfHeal: true }, { prune: false, selfHeal: false }, false] as const) {
      const appSet = buildServicesApplicationSet(appSetProps({ autoSync }));
      expect(specOf(appSet).syncPolicy).toEqual({ preserveResourcesOnDeletion: true });
      expect(appSet.metadata.annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
    }
  });

  it('GIVEN automated sync without prune WHEN built THEN selfHeal stays and deleting an Application orphans its resources', () => {
    const { template } = specOf(buildServicesApplicationSet(appSetProps({ autoSync: { prune: false, selfHeal: true } })));
    expect(template.spec.syncPolicy!.automated).toEqual({ prune: false, selfHeal: true });
    expect(template.metadata).not.toHaveProperty('finalizers');
  });

  it('GIVEN manual sync (envthree) WHEN built THEN there is no automated policy, but namespaces and retry remain', () => {
    const { template } = specOf(buildServicesApplicationSet(appSetProps({ environment: 'envthree', autoSync: false })));
    expect(template.spec.syncPolicy).not.toHaveProperty('automated');
    expect(template.spec.syncPolicy).toMatchObject({ syncOptions: ['CreateNamespace=true'], retry: { limit: 5 } });
    expect(template.metadata).not.toHaveProperty('finalizers');
  });

  it('GIVEN a service without an image tag WHEN built THEN it gets no Application yet', () => {
    const spec = specOf(buildServicesApplicationSet(appSetProps({ services: [{ ...payments, imageTag: undefined }, checkout] })));
    expect(spec.generators[0]!.list!.elements!.map((e: { service: string }) => e.service)).toEqual(['checkout']);
  });
});

describe('buildLockedDefaultProject', () => {
  it('GIVEN the Argo CD namespace WHEN built THEN the default project allows no source, no destination and no kind, and is kept on uninstall', () => {
    const project = buildLockedDefaultProject({ argoCdNamespace: 'argocd', environment: 'envone' });
    expect(project).toMatchObject({ apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject', metadata: { name: 'default', namespace: 'argocd', annotations: { 'helm.sh/resource-policy': 'keep' } } });
    expect(project.spec).toEqual({
      description: expect.stringMatching(/^Locked/),
      sourceRepos: [],
      destinations: [],
      clusterResourceWhitelist: [],
      namespaceResourceBlacklist: [{ group: '*', kind: '*' }],
    });
  });
});

describe('validated', () => {
  it('GIVEN an Application template the schema rejects WHEN validated THEN a ConfigError names the object and the field', () => {
    const broken = new ApplicationSet({
      metadata: { name: 'broken', namespace: 'argocd' },
      spec: {
        generators: [],
        template: { metadata: {}, spec: { project: 'p', destination: {}, syncPolicy: { retry: { limit: 'five' as unknown as number } } } },
      },
    });
    let error: unknown;
    try {
      validated(broken);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/^ApplicationSet argocd\/broken is invalid \(1 problem\)/);
    expect((error as ConfigError).problems).toEqual([
      expect.objectContaining({
        source: 'ApplicationSet argocd/broken',
        field: 'spec.template.spec.syncPolicy.retry.limit',
        message: 'must be integer (schema of argoproj.io/v1alpha1 ApplicationSet)',
      }),
    ]);
  });
});
