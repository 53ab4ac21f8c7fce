import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ConfigError, loadEnvironments, type EnvironmentConfig } from '@platform/config';
import { addHelmProvider, configureStackFactory } from '@platform/stack-factory';
import { expectFileSnapshot, expectNoStaleSnapshots, firstEnvironment, generatedEnvironmentName, repoRoot, stackSnapshot, stackSnapshotFile, toolPath } from '@platform/testing';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { Release } from '@cdktf/provider-helm/lib/release';
import { formatAffected, toReport } from '@platform/cli/src/commands/affected';
import { diffSynthesized } from '@platform/cli/src/lib/semantic-diff';
import { GitOpsObjects } from '@platform/gitops-module';
import { Testing, TerraformStack } from 'cdktf';
import { parse, parseDocument, stringify } from 'yaml';
import { definePlatform } from './app';
import { gitOpsServices, PlatformStack } from './platform-stack';
import { ServicesStack } from './services-stack';

const envs = loadEnvironments(path.join(repoRoot, 'envs'), { root: repoRoot });
const envNamed = (name: string): EnvironmentConfig => envs.find((e) => e.name === name)!;
const FIRST = firstEnvironment();

interface Tf {
  data: Record<string, Record<string, Record<string, unknown>>>;
  provider: Record<string, Array<Record<string, unknown>>>;
  resource: Record<string, Record<string, Record<string, unknown>>>;
  output: Record<string, { value: string }>;
}

function synthPlatform(env: EnvironmentConfig): { stack: PlatformStack; tf: Tf; json: string } {
  const stack = new PlatformStack(Testing.app(), env);
  const json = Testing.synth(stack);
  return { stack, tf: JSON.parse(json) as Tf, json };
}

function release(tf: Tf, prefix: string): Record<string, unknown> {
  return Object.entries(tf.resource.helm_release!).find(([id]) => id.startsWith(prefix))![1];
}

function objectsOf(tf: Tf): Array<{ kind: string; metadata: { name: string; namespace?: string }; spec: Record<string, unknown> }> {
  return (parse((release(tf, 'GitOps').values as string[])[0]!) as { objects: [] }).objects;
}

interface Element {
  readonly service: string;
  readonly namespace: string;
  readonly helmValues: { image: { repository: string }; serviceAccount: { roleArn: string } };
}

function elementsOf(tf: Tf): Element[] {
  const appSet = objectsOf(tf).find((o) => o.kind === 'ApplicationSet')!;
  return (appSet.spec.generators as Array<{ list: { elements: Element[] } }>)[0]!.list.elements;
}

describe('PlatformStack', () => {
  it('GIVEN envs/ WHEN the platform snapshot files are listed THEN each belongs to an environment (none left of a removed one)', () => {
    const files = envs.map((env) => stackSnapshotFile(new PlatformStack(Testing.app(), env).node.id));
    expectNoStaleSnapshots(path.dirname(files[0]!), '-platform.yaml', files);
  });

  describe.each(envs.map((e) => e.name))('in %s', (name) => {
    const env = envNamed(name);
    const { stack, tf, json } = synthPlatform(env);

    it('GIVEN the environment file WHEN synthesized THEN the whole stack matches its reviewed snapshot file, one YAML document per Kubernetes object', () => {
      expectFileSnapshot(stackSnapshot(json, stack.node.id), stackSnapshotFile(stack.node.id));
    });

    it('GIVEN the stack WHEN synthesized THEN it is <env>-platform with its own state key', () => {
      expect(stack.node.id).toBe(`${name}-platform`);
      expect(stack.state.key).toBe(`${name}/platform.tfstate`);
    });

    it("GIVEN the environment's cluster WHEN synthesized THEN Helm authenticates with aws eks get-token as the provider's role, no static credential", () => {
      const [helm] = tf.provider.helm!;
      expect(helm).toEqual({
        kubernetes: {
          host: '${data.aws_eks_cluster.eks_cluster.endpoint}',
          cluster_ca_certificate: '${base64decode(data.aws_eks_cluster.eks_cluster.certificate_authority[0].data)}',
          exec: {
            api_version: 'client.authentication.k8s.io/v1beta1',
            command: 'aws',
            // `--role-arn var.aws_role_arn` unless CI plans with it empty (evaluated by a real engine in
            // packages/stack-factory/src/aws-role.test.ts).
            args: `\${concat(["eks","get-token","--cluster-name","${env.cluster.name}","--region","${env.aws.region}","--output","json"], var.aws_role_arn == "" ? [] : ["--role-arn", var.aws_role_arn])}`,
          },
        },
      });
      expect(tf.data.aws_eks_cluster!.eks_cluster).toEqual({ name: env.cluster.name });
    });

    it('GIVEN platformCharts WHEN synthesized THEN Argo CD and External Secrets are installed at the pinned versions', () => {
      expect(release(tf, 'ArgoCd')).toMatchObject({
        name: 'argocd',
        namespace: 'argocd',
        chart: 'argo-cd',
        version: env.platformCharts.argoCd.version,
        atomic: true,
      });
      expect(release(tf, 'ExternalSecrets')).toMatchObject({
        name: 'external-secrets',
        namespace: 'external-secrets',
        chart: 'external-secrets',
        version: env.platformCharts.externalSecrets.version,
      });
    });

    it('GIVEN the External Secrets controller WHEN synthesized THEN it has no IAM role: it reads no secret as itself', () => {
      expect(tf.resource.aws_iam_role).toBeUndefined();
      expect(tf.output?.secret_store_role_arn).toBeUndefined();
      const values = (release(tf, 'ExternalSecrets').values as string[] | undefined)?.[0];
      expect(values ?? '').not.toContain('eks.amazonaws.com/role-arn');
    });

    it("GIVEN services with secrets WHEN synthesized THEN each has its own SecretStore in its namespace, authenticating as its own service account, and no ClusterSecretStore exists", () => {
      const objects = objectsOf(tf);
      expect(objects.filter((o) => o.kind === 'ClusterSecretStore')).toEqual([]);
      const withSecrets = gitOpsServices(env).filter((s) => (s.secrets ?? []).length > 0);
      const stores = objects.filter((o) => o.kind === 'SecretStore');
      expect(stores.map((o) => `${o.metadata.namespace}/${o.metadata.name}`).sort()).toEqual(withSecrets.map((s) => `${s.namespace}/${s.name}-secrets-manager`).sort());
      for (const svc of withSecrets) {
        const store = stores.find((o) => o.metadata.namespace === svc.namespace && o.metadata.name === `${svc.name}-secrets-manager`)!;
        expect(store.spec).toEqual({
          provider: { aws: { service: 'SecretsManager', region: env.aws.region, auth: { jwt: { serviceAccountRef: { name: svc.serviceAccount ?? svc.name } } } } },
        });
        const externalSecrets = objects.filter((o) => o.kind === 'ExternalSecret' && o.metadata.namespace === svc.namespace);
        for (const es of externalSecrets) expect(es.spec.secretStoreRef).toEqual({ kind: 'SecretStore', name: `${svc.name}-secrets-manager` });
      }
    });

    it(`GIVEN preventDestroy ${String(env.preventDestroy)} WHEN synthesized THEN the operator and GitOps releases are ${env.preventDestroy ? '' : 'not '}protected from destroy`, () => {
      for (const prefix of ['ArgoCd', 'ExternalSecrets', 'Reloader', 'GitOps']) {
        if (env.preventDestroy) expect(release(tf, prefix).lifecycle).toEqual({ prevent_destroy: true });
        else expect(release(tf, prefix)).not.toHaveProperty('lifecycle');
      }
    });

    it('GIVEN the GitOps objects WHEN synthesized THEN nothing they hold can cascade a deletion to workloads', () => {
      const objects = objectsOf(tf) as Array<{ kind: string; metadata: { name: string; annotations?: Record<string, string> }; spec: Record<string, unknown> }>;
      const appSet = objects.find((o) => o.kind === 'ApplicationSet')!;
      expect(appSet.spec.syncPolicy).toEqual({ preserveResourcesOnDeletion: true });
      expect((appSet.spec.template as { metadata: Record<string, unknown> }).metadata).not.toHaveProperty('finalizers');
      for (const o of objects.filter((x) => ['Namespace', 'AppProject', 'ApplicationSet'].includes(x.kind))) {
        expect(o.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
      }
      const defaultProject = objects.find((o) => o.kind === 'AppProject' && o.metadata.name === 'default')!;
      expect(defaultProject.spec).toMatchObject({ sourceRepos: [], destinations: [] });
    });

    it('GIVEN platformCharts.reloader WHEN synthesized THEN Stakater Reloader is installed at the pinned version, rolling only on Secrets, in every namespace', () => {
      expect(release(tf, 'Reloader')).toMatchObject({
        name: 'reloader',
        namespace: 'reloader',
        repository: 'https://stakater.github.io/stakater-charts',
        chart: 'reloader',
        version: env.platformCharts.reloader.version,
        atomic: true,
      });
      expect(parse((release(tf, 'Reloader').values as string[])[0]!)).toEqual({ reloader: { watchGlobally: true, ignoreConfigMaps: true, reloadOnCreate: true } });
    });

    it("GIVEN a service with secrets WHEN charts/service renders the ApplicationSet's values THEN its Deployment names those Secrets for Reloader", () => {
      const chart = path.join(repoRoot, 'charts', 'service');
      const dir = mkdtempSync(path.join(tmpdir(), 'service-rotation-'));
      for (const element of elementsOf(tf) as Array<Element & { helmValues: { externalSecrets: string[] } }>) {
        const file = path.join(dir, `${element.service}.json`);
        writeFileSync(file, JSON.stringify(element.helmValues));
        const out = execFileSync(toolPath('helm'), ['template', element.service, chart, '--namespace', element.namespace, '-f', path.join(chart, `values-${name}.yaml`), '-f', file, '--show-only', 'templates/deployment.yaml'], { encoding: 'utf8' });
        const deployment = parse(out) as { metadata: { annotations?: Record<string, string> } };
        if (element.helmValues.externalSecrets.length === 0) expect(deployment.metadata.annotations).toBeUndefined();
        else expect(deployment.metadata.annotations?.['secret.reloader.stakater.com/reload']).toBe(element.helmValues.externalSecrets.join(','));
      }
    });

    it('GIVEN the operators WHEN synthesized THEN the GitOps objects are installed after both (their CRDs exist first)', () => {
      const ids = Object.keys(tf.resource.helm_release!);
      expect(release(tf, 'GitOps').depends_on).toEqual([
        `helm_release.${ids.find((id) => id.startsWith('ArgoCd'))}`,
        `helm_release.${ids.find((id) => id.startsWith('ExternalSecrets'))}`,
      ]);
    });

    it("GIVEN the environment's sync setting WHEN synthesized THEN the Applications sync automatically or wait for a manual sync", () => {
      const appSet = objectsOf(tf).find((o) => o.kind === 'ApplicationSet')!;
      const syncPolicy = (appSet.spec.template as { spec: { syncPolicy: Record<string, unknown> } }).spec.syncPolicy;
      if (env.gitops.autoSync === false) expect(syncPolicy).not.toHaveProperty('automated');
      else expect(syncPolicy.automated).toEqual(env.gitops.autoSync);
    });

    it('GIVEN the services stack of the same environment WHEN both are synthesized THEN the role ARNs and image repositories the ApplicationSet passes name what ServicesStack creates', () => {
      const services = JSON.parse(Testing.synth(new ServicesStack(Testing.app(), env))) as Tf;
      const roleNames = Object.values(services.resource.aws_iam_role!).map((r) => r.name);
      const repoNames = Object.values(services.resource.aws_ecr_repository!).map((r) => r.name);
      for (const element of elementsOf(tf)) {
        const roleName = element.helmValues.serviceAccount.roleArn.match(/^arn:aws:iam::\d{12}:role\/(.+)$/)![1];
        expect(roleNames).toContain(roleName);
        const repoName = element.helmValues.image.repository.match(/^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com\/(.+)$/)![1];
        expect(repoNames).toContain(repoName);
      }
    });

    it(`GIVEN each service's values from the ApplicationSet WHEN charts/service is rendered by helm with values-${name}.yaml THEN the chart accepts them`, () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'service-values-'));
      const chart = path.join(repoRoot, 'charts', 'service');
      for (const element of elementsOf(tf)) {
        const file = path.join(dir, `${element.service}.json`);
        writeFileSync(file, JSON.stringify(element.helmValues));
        const out = execFileSync(
          toolPath('helm'),
          ['template', element.service, chart, '--namespace', element.namespace, '-f', path.join(chart, `values-${name}.yaml`), '-f', file],
          { encoding: 'utf8' }
        );
        expect(out).toContain(`kind: Deployment`);
      }
    });

  });

  it('GIVEN a service without a team WHEN mapped THEN it takes the tags.team of the environment', () => {
    const env = envNamed(FIRST);
    expect(gitOpsServices(env).find((s) => s.name === 'payments')!.team).toBe(env.tags.team);
  });

  it('GIVEN every environment WHEN the platform is defined THEN each gets an <env>-platform stack', () => {
    const app = Testing.app();
    definePlatform(app, envs);
    const ids = app.node.children.map((c) => c.node.id);
    for (const env of envs) expect(ids).toContain(`${env.name}-platform`);
  });
});

describe('renaming the GitOps construct', () => {
  it('GIVEN the objects release under a new construct id WHEN `platform affected` compares the synth THEN it warns of destroy-and-recreate, and the objects it would uninstall are kept', () => {
    const env = envs[0]!;
    const synthWith = (id: string): Record<string, unknown> => {
      const stack = new TerraformStack(Testing.app(), `${env.name}-platform`);
      new HelmProvider(stack, 'helm', {});
      const operator = new Release(stack, 'Operator', { name: 'operator', chart: 'operator' });
      new GitOpsObjects(stack, id, {
        environment: env.name,
        repo: { url: env.gitops.repoUrl, targetRevision: env.gitops.targetRevision },
        autoSync: env.gitops.autoSync,
        services: gitOpsServices(env),
        secretStore: { region: env.aws.region },
        dependsOn: [operator],
      });
      return JSON.parse(Testing.synth(stack)) as Record<string, unknown>;
    };
    const id = `${env.name}-platform`;
    const base = new Map([[id, synthWith('GitOps')]]);
    const head = new Map([[id, synthWith('ServiceDelivery')]]);
    const scope = { mode: 'full' as const, reason: 'test', environments: [env.name], unchangedEnvironments: [] };
    const report = toReport('base', '0'.repeat(40), diffSynthesized(base, head), scope, base, head);
    const lines = formatAffected(report);
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^warning: ${id}: helm_release\\.GitOps_Release_\\w+ disappears while helm_release\\.ServiceDelivery_Release_\\w+ appears — Terraform will destroy and recreate`)));
    // What that destroy would uninstall: every object that could take workloads with it stays.
    const [, objectsRelease] = Object.entries((synthWith('GitOps').resource as Tf['resource']).helm_release!).find(([key]) => key.startsWith('GitOps'))!;
    const values = parse((objectsRelease.values as string[])[0]!) as { objects: Array<{ kind: string; metadata: { annotations?: Record<string, string> } }> };
    for (const o of values.objects.filter((x) => ['Namespace', 'AppProject', 'ApplicationSet'].includes(x.kind))) expect(o.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
  });
});

describe('PlatformStack without a values file', () => {
  it('GIVEN an environment charts/service has no values-<env>.yaml for WHEN constructed THEN synth fails naming the file', () => {
    const name = generatedEnvironmentName('no-values');
    const fresh: EnvironmentConfig = { ...envNamed(FIRST), name, file: `envs/${name}.yaml` };
    expect(() => new PlatformStack(Testing.app(), fresh)).toThrow(`charts/service: values-${name}.yaml is missing — add it`);
  });
});

describe('addHelmProvider', () => {
  it('GIVEN a stack that already has the Helm provider WHEN asked again THEN the same provider is returned', () => {
    const stack = new PlatformStack(Testing.app(), envNamed(FIRST));
    expect(addHelmProvider(stack)).toBe(addHelmProvider(stack));
  });

  it('GIVEN factory options that omit the AWS provider WHEN a platform stack is built THEN it fails saying why', () => {
    const app = Testing.app();
    configureStackFactory(app, { omitAwsProvider: true });
    expect(() => new PlatformStack(app, envNamed(FIRST))).toThrow(`stack "${FIRST}-platform" has no AWS provider`);
  });
});

describe('environment file fields for GitOps', () => {
  /** Writes envs/_base.yaml and a changed copy of envs/dev.yaml into a temp dir and loads it. */
  function load(change: (dev: Record<string, unknown>) => void): string[] {
    const dir = mkdtempSync(path.join(tmpdir(), 'envs-'));
    copyFileSync(path.join(repoRoot, 'envs', '_base.yaml'), path.join(dir, '_base.yaml'));
    const dev = parseDocument(readFileSync(path.join(repoRoot, 'envs', `${FIRST}.yaml`), 'utf8')).toJS() as Record<string, unknown>;
    change(dev);
    writeFileSync(path.join(dir, `${FIRST}.yaml`), stringify(dev));
    try {
      loadEnvironments(dir, { root: dir });
      return [];
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      return err.problems.map((p) => `${p.field}: ${p.message}`);
    }
  }
  type Svc = Record<string, unknown> & { secrets?: Array<Record<string, unknown> & { data: Array<Record<string, unknown>> }> };
  const svc = (dev: Record<string, unknown>, i: number) => (dev.services as Svc[])[i]!;

  it('GIVEN the repository envs WHEN loaded THEN they are valid', () => {
    expect(load(() => undefined)).toEqual([]);
  });

  it.each<[string, (dev: Record<string, unknown>) => void, RegExp]>([
    ['a chart version range', (d) => (d.platformCharts = { argoCd: { version: '^8.3.0' } }), /^platformCharts\.argoCd\.version: is not an exact chart version/],
    ['"latest" as chart version', (d) => (d.platformCharts = { externalSecrets: { version: 'latest' } }), /^platformCharts\.externalSecrets\.version: is not an exact chart version/],
    ['autoSync: manual', (d) => (d.gitops = { autoSync: 'manual' }), /^gitops\.autoSync: must be false \(manual sync\) or a mapping/],
    ['a repoUrl that is not Git', (d) => (d.gitops = { repoUrl: 'github.com/acme' }), /^gitops\.repoUrl: is not a Git repository URL/],
    ['the image tag "latest"', (d) => (svc(d, 0).imageTag = 'latest'), /^services\[0\]\.imageTag: is the mutable tag "latest"/],
    ['an invalid team label', (d) => (svc(d, 1).team = 'Shop Team'), /^services\[1\]\.team: is not a team label/],
    ['a Secrets Manager key with a leading slash', (d) => (svc(d, 0).secrets![0]!.data[0]!.key = '/db'), /^services\[0\]\.secrets\[0\]\.data\[0\]\.key: is not a Secrets Manager name below <env>\/<service>\//],
    ['a secret key that is no env var', (d) => (svc(d, 0).secrets![0]!.data[0]!.secretKey = 'database-url'), /^services\[0\]\.secrets\[0\]\.data\[0\]\.secretKey: is not usable as an environment variable/],
    ['a refresh interval in words', (d) => (svc(d, 0).secrets![0]!.refreshInterval = 'hourly'), /^services\[0\]\.secrets\[0\]\.refreshInterval: is not a refresh interval/],
    ['a Secret without keys', (d) => (svc(d, 0).secrets![0]!.data = []), /^services\[0\]\.secrets\[0\]\.data: is empty — list at least one key/],
    [
      'a duplicate key in one Secret',
      (d) => svc(d, 0).secrets![0]!.data.push({ secretKey: 'DATABASE_URL', key: 'other' }),
      /^services\[0\]\.secrets\[0\]\.data\[2\]\.secretKey: is used twice in this Secret \(also data\[0\]\)/,
    ],
    [
      'the same Secret name twice in a namespace',
      (d) => (svc(d, 1).secrets = [{ name: 'shop-db', data: [{ secretKey: 'A', key: 'a' }] }, { name: 'shop-db', data: [{ secretKey: 'B', key: 'b' }] }]),
      /^services\[1\]\.secrets\[1\]\.name: is used twice in namespace "shop" \(also services\[1\]\.secrets\[0\]\)/,
    ],
  ])('GIVEN %s WHEN loaded THEN the error names the field and what is allowed', (_what, change, expected) => {
    expect(load(change)).toEqual([expect.stringMatching(expected)]);
  });
});
