import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { Release } from '@cdktf/provider-helm/lib/release';
import { toolPath } from '@platform/testing';
import { TerraformStack, Testing } from 'cdktf';
import { parse, parseAllDocuments } from 'yaml';
import { PLATFORM_OBJECTS_CHART_DIR } from '@platform/helm-release-module';
import { GitOpsObjects, type GitOpsObjectsProps } from './gitops-objects';
import { type GitOpsService } from './types';

const payments: GitOpsService = {
  name: 'payments',
  namespace: 'payments',
  team: 'platform',
  imageRepository: '111111111111.dkr.ecr.eu-west-1.amazonaws.com/payments-envone',
  imageTag: '1.5.0',
  host: 'payments.envone.acme-platform.io',
  roleArn: 'arn:aws:iam::111111111111:role/payments-envone-workload',
  secrets: [{ name: 'payments-database', data: [{ secretKey: 'DATABASE_PASSWORD', key: 'database', property: 'password' }] }],
};
const checkout: GitOpsService = {
  name: 'checkout',
  namespace: 'shop',
  team: 'shop',
  imageRepository: '111111111111.dkr.ecr.eu-west-1.amazonaws.com/checkout-envone',
  imageTag: '2.1.0',
  host: 'checkout.envone.acme-platform.io',
  roleArn: 'arn:aws:iam::111111111111:role/checkout-envone-workload',
};

interface Built {
  readonly gitOps: GitOpsObjects;
  readonly release: Record<string, unknown>;
  readonly valuesYaml: string;
}

function build(over: Partial<GitOpsObjectsProps> = {}): Built {
  const stack = new TerraformStack(Testing.app(), 'test');
  new HelmProvider(stack, 'helm', {});
  const operator = new Release(stack, 'Operator', { name: 'operator', chart: 'operator' });
  const gitOps = new GitOpsObjects(stack, 'GitOps', {
    environment: 'envone',
    repo: { url: 'https://github.com/acme-platform/platform-infra.git', targetRevision: 'main' },
    autoSync: { prune: true, selfHeal: true },
    services: [payments, checkout],
    secretStore: { region: 'eu-west-1' },
    dependsOn: [operator],
    ...over,
  });
  const tf = JSON.parse(Testing.synth(stack)) as { resource: { helm_release: Record<string, Record<string, unknown>> } };
  const [, release] = Object.entries(tf.resource.helm_release).find(([id]) => id.startsWith('GitOps'))!;
  return { gitOps, release, valuesYaml: (release.values as string[])[0]! };
}

function helmTemplate(valuesYaml: string): unknown[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'platform-objects-'));
  const file = path.join(dir, 'values.yaml');
  writeFileSync(file, valuesYaml);
  const out = execFileSync(toolPath('helm'), ['template', 'platform-objects', PLATFORM_OBJECTS_CHART_DIR, '-f', file], { encoding: 'utf8', stdio: 'pipe' });
  return parseAllDocuments(out)
    .map((d) => d.toJS() as unknown)
    .filter((d) => d !== null);
}

describe('GitOpsObjects', () => {
  it('GIVEN two services WHEN synthesized THEN the objects are namespaces, the locked default project, the services project, application set, external secrets, then one store per service with secrets', () => {
    const { gitOps } = build();
    expect(gitOps.objects.map((o) => `${o.apiVersion} ${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`)).toEqual([
      'v1 Namespace /payments',
      'v1 Namespace /shop',
      'argoproj.io/v1alpha1 AppProject argocd/default',
      'argoproj.io/v1alpha1 AppProject argocd/services',
      'argoproj.io/v1alpha1 ApplicationSet argocd/services',
      'external-secrets.io/v1 ExternalSecret payments/payments-database',
      'external-secrets.io/v1 SecretStore payments/payments-secrets-manager',
    ]);
    expect(gitOps.objects[0]!.metadata.annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
  });

  it('GIVEN the operator releases WHEN synthesized THEN the objects release is local, installed after them, into the existing argocd namespace', () => {
    const { release } = build();
    expect(release).toMatchObject({
      name: 'platform-objects',
      namespace: 'argocd',
      create_namespace: false,
      depends_on: ['helm_release.Operator'],
      atomic: true,
      wait: true,
      version: '0.1.0',
    });
    expect(release.chart).toMatch(/^assets\/GitOps_Release_Chart_[0-9A-F]+\/[0-9A-F]+$/);
    expect(release).not.toHaveProperty('repository');
  });

  it("GIVEN Argo CD's own default project WHEN the release installs THEN it takes ownership of it, and every project, the application set and the namespaces are kept on uninstall", () => {
    const { gitOps, release } = build();
    expect(release.take_ownership).toBe(true);
    const kept = gitOps.objects.filter((o) => o.metadata.annotations?.['helm.sh/resource-policy'] === 'keep').map((o) => `${o.kind} ${o.metadata.name}`);
    expect(kept).toEqual(['Namespace payments', 'Namespace shop', 'AppProject default', 'AppProject services', 'ApplicationSet services']);
  });

  it('GIVEN the synthesized values WHEN parsed back THEN they hold exactly the built objects', () => {
    const { gitOps, valuesYaml } = build();
    expect(parse(valuesYaml)).toEqual({ objects: gitOps.objects });
  });

  it('GIVEN the synthesized values WHEN rendered by the real helm with charts/platform-objects THEN the manifests are exactly the objects', () => {
    const { gitOps, valuesYaml } = build();
    expect(helmTemplate(valuesYaml)).toEqual(gitOps.objects);
  });

  it('GIVEN a Kubernetes Secret among the objects WHEN rendered by helm THEN the chart schema rejects it', () => {
    expect(() => helmTemplate('objects:\n  - apiVersion: v1\n    kind: Secret\n    metadata:\n      name: leaked\n')).toThrow(/objects\/0/);
  });

  it('GIVEN no services WHEN synthesized THEN only the projects and an empty application set are installed — no store at all', () => {
    const { gitOps } = build({ services: [] });
    expect(gitOps.objects.map((o) => o.kind)).toEqual(['AppProject', 'AppProject', 'ApplicationSet']);
  });

  it('GIVEN any services WHEN synthesized THEN there is no ClusterSecretStore: no store is shared between namespaces', () => {
    const { gitOps } = build();
    expect(gitOps.objects.filter((o) => o.kind === 'ClusterSecretStore')).toEqual([]);
  });

  it('GIVEN two services sharing a namespace and service account WHEN constructed THEN synth fails naming both', () => {
    const cart: GitOpsService = { ...checkout, name: 'cart', serviceAccount: 'checkout' };
    expect(() => build({ services: [checkout, cart] })).toThrow(/services\[1\]\.serviceAccount "shop\/checkout" is also the namespace and service account of "checkout"/);
  });

  it('GIVEN the same service twice WHEN constructed THEN synth fails naming it', () => {
    expect(() => build({ services: [payments, payments] })).toThrow(/services\[1\]\.name "payments" is used twice/);
  });

  it('GIVEN two services in one namespace declaring the same Secret WHEN constructed THEN synth fails on the duplicate object', () => {
    const a: GitOpsService = { ...checkout, name: 'cart', secrets: [{ name: 'shop-db', data: [{ secretKey: 'A', key: 'db' }] }] };
    const b: GitOpsService = { ...checkout, secrets: [{ name: 'shop-db', data: [{ secretKey: 'B', key: 'db' }] }] };
    expect(() => build({ services: [a, b] })).toThrow(/would create ExternalSecret shop\/shop-db twice/);
  });

  it('GIVEN an object the operator schema rejects WHEN constructed THEN synth fails naming the object, not the cluster', () => {
    const bad = { ...payments, secrets: [{ name: 'broken', refreshInterval: 60, data: [{ secretKey: 'A', key: 'db' }] }] } as unknown as GitOpsService;
    expect(() => build({ services: [bad] })).toThrow(/ExternalSecret payments\/broken is invalid[\s\S]*spec\.refreshInterval .*must be string/);
  });
});
