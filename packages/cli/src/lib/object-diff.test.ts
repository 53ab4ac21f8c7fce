import * as path from 'node:path';
import { environmentSchema, loadEnvironments, type EnvironmentConfig } from '@platform/config';
import { formatObjectChanges, renderObjectDiff, type ObjectChange } from '@platform/plan-report';
import { repoRoot } from '@platform/testing';
import { PlatformStack } from '@platform/stacks/platform-stack';
import { Testing } from 'cdktf';
import { diffFields, diffStackObjects, isSecretField } from './object-diff';
import { type SynthesizedJson } from './semantic-diff';

/**
 * Real synth pairs: the platform stack of an environment from envs/ (the first one that has a service
 * with an image tag and a secret), synthesized as it is and after one edit of its configuration.
 * Service names added here are generated, never an environment's.
 */
const envs = loadEnvironments(path.join(repoRoot, 'envs'), { root: repoRoot });
const env = envs.find((e) => e.services.some((s) => s.imageTag && (s.secrets ?? []).length > 0))!;
const service = env.services.find((s) => s.imageTag && (s.secrets ?? []).length > 0)!;
const stackId = `${env.name}-platform`;

type Service = EnvironmentConfig['services'][number];

function synthPlatform(config: EnvironmentConfig): SynthesizedJson {
  return JSON.parse(Testing.synth(new PlatformStack(Testing.app(), config))) as SynthesizedJson;
}

function withServices(services: Service[]): EnvironmentConfig {
  // Through the schema, so the edited configuration is one an environment file could hold.
  const { name, file, ...data } = env;
  return { ...environmentSchema.parse({ ...data, services }), name, file };
}

const base = synthPlatform(env);

function objectDiff(head: EnvironmentConfig): ObjectChange[] {
  const diffs = diffStackObjects(new Map([[stackId, base]]), new Map([[stackId, synthPlatform(head)]]));
  expect(diffs.map((d) => d.stack)).toEqual([stackId]);
  return [...diffs[0]!.changes];
}

const label = (c: ObjectChange): string => `${c.action} ${c.kind} ${c.namespace ? `${c.namespace}/` : ''}${c.name}`;

describe('offline object diff on real synth pairs', () => {
  test('GIVEN the same configuration WHEN diffed THEN no object changes', () => {
    expect(diffStackObjects(new Map([[stackId, base]]), new Map([[stackId, synthPlatform(env)]]))).toEqual([]);
  });

  test('GIVEN a service added with an image tag and a secret WHEN diffed THEN its Namespace, Application and ExternalSecret are added and the shared objects name the changed fields', () => {
    const name = 'objdiff-ledger';
    const added: Service = {
      name,
      hostname: `${name}.${env.dns.zoneName}`,
      imageTag: '0.9.1',
      secrets: [{ name: `${name}-db`, data: [{ secretKey: 'DB_PASSWORD', key: 'database', property: 'password' }] }],
    } as Service;
    const changes = objectDiff(withServices([...env.services, added]));

    expect(changes.map(label)).toEqual([
      `added Application argocd/${name}-${env.name}`,
      `added ExternalSecret ${name}/${name}-db`,
      `added Namespace ${name}`,
      `added SecretStore ${name}/${name}-secrets-manager`,
      'changed AppProject argocd/services',
    ]);
    const app = changes.find((c) => c.kind === 'Application')!;
    expect(app.generatedBy).toBe('ApplicationSet argocd/services');
    const project = changes.find((c) => c.kind === 'AppProject')!;
    expect(project.fields).toEqual([{ path: `spec.destinations[namespace=${name}].server`, new: 'https://kubernetes.default.svc' }, { path: `spec.destinations[namespace=${name}].namespace`, new: name }]);
    // The new service reads its secrets through its own store, as its own service account.
    expect(changes.find((c) => c.kind === 'SecretStore')!.action).toBe('added');
    // The ApplicationSet's list elements are shown as the Application, not as a change of the set.
    expect(changes.some((c) => c.kind === 'ApplicationSet')).toBe(false);
  });

  test('GIVEN a secret added to an existing service WHEN diffed THEN exactly one ExternalSecret is added, and the Application lists the Secret it mounts', () => {
    const extra = { name: `${service.name}-objdiff-api`, data: [{ secretKey: 'API_TOKEN', key: 'api', property: 'token' }] };
    const services = env.services.map((s) => (s.name === service.name ? { ...s, secrets: [...(s.secrets ?? []), extra] } : s));
    const changes = objectDiff(withServices(services as Service[]));

    const namespace = service.namespace ?? service.name;
    expect(changes.map(label)).toEqual([`added ExternalSecret ${namespace}/${extra.name}`, `changed Application argocd/${service.name}-${env.name}`]);
    expect(changes[1]!.fields).toEqual([
      { path: 'spec.source.helm.values.externalSecrets', new: extra.name },
    ]);
  });

  test('GIVEN a changed image tag WHEN diffed THEN only that service Application changes, in spec.source.helm.values.image.tag, old → new', () => {
    const services = env.services.map((s) => (s.name === service.name ? { ...s, imageTag: `${s.imageTag}-objdiff` } : s));
    const changes = objectDiff(withServices(services as Service[]));

    expect(changes.map(label)).toEqual([`changed Application argocd/${service.name}-${env.name}`]);
    expect(changes[0]!.fields).toEqual([{ path: 'spec.source.helm.values.image.tag', old: service.imageTag, new: `${service.imageTag}-objdiff` }]);
    expect(formatObjectChanges(changes)).toEqual([
      `      ~ Application argocd/${service.name}-${env.name} (from ApplicationSet argocd/services)`,
      `          spec.source.helm.values.image.tag: ${service.imageTag} → ${service.imageTag}-objdiff`,
    ]);
  });

  test('GIVEN a service removed WHEN diffed THEN its Application, ExternalSecrets and Namespace are removed', () => {
    const changes = objectDiff(withServices(env.services.filter((s) => s.name !== service.name) as Service[]));
    const namespace = service.namespace ?? service.name;
    const sharesNamespace = env.services.some((s) => s.name !== service.name && (s.namespace ?? s.name) === namespace);

    const removed = changes.filter((c) => c.action === 'removed').map(label);
    expect(removed).toEqual(
      [
        `removed Application argocd/${service.name}-${env.name}`,
        ...(service.secrets ?? []).map((s) => `removed ExternalSecret ${namespace}/${s.name}`),
        ...(sharesNamespace ? [] : [`removed Namespace ${namespace}`]),
        ...((service.secrets ?? []).length > 0 ? [`removed SecretStore ${namespace}/${service.name}-secrets-manager`] : []),
      ].sort((a, b) => a.slice(8).localeCompare(b.slice(8))),
    );
    expect(changes.filter((c) => c.action === 'added')).toEqual([]);
    // What the removal does in the cluster is said, read from the manifests.
    expect(changes.find((c) => c.kind === 'Application')!.note).toBe('what it deployed keeps running, orphaned (no resources finalizer): delete it deliberately');
    for (const secret of service.secrets ?? []) {
      expect(changes.find((c) => c.kind === 'ExternalSecret' && c.name === secret.name)!.note).toBe(`its Secret ${secret.name} is deleted too (creationPolicy: Owner)`);
    }
    if (!sharesNamespace) expect(changes.find((c) => c.kind === 'Namespace')!.note).toBe('Helm keeps it in the cluster (helm.sh/resource-policy: keep)');
  });

  test('GIVEN an upstream chart version bump WHEN diffed THEN the release shows as a HelmRelease object with its version field', () => {
    const bumped = { ...env, platformCharts: { ...env.platformCharts, argoCd: { version: '99.0.0' } } };
    const changes = objectDiff(bumped);
    expect(changes.map(label)).toEqual(['changed HelmRelease argocd/argocd']);
    expect(changes[0]!.fields).toEqual([{ path: 'version', old: env.platformCharts.argoCd.version, new: '99.0.0' }]);
  });

  test('GIVEN the diff WHEN rendered for a comment THEN each stack has a section and each object a line with its fields in code spans', () => {
    const services = env.services.map((s) => (s.name === service.name ? { ...s, imageTag: '7.7.7' } : s));
    const changes = objectDiff(withServices(services as Service[]));
    const markdown = renderObjectDiff([{ stack: stackId, changes }]);
    expect(markdown).toContain(`#### \`${stackId}\` — 1 changed`);
    expect(markdown).toContain(`- ✏️ **changed** \`Application argocd/${service.name}-${env.name}\``);
    expect(markdown).toContain(`  - \`spec.source.helm.values.image.tag\`: \`${service.imageTag}\` → \`7.7.7\``);
  });
});

describe('masking secret-looking fields', () => {
  test('GIVEN a Secret object or a secret-looking key WHEN diffed THEN the values are masked; references and ExternalSecret key names are shown', () => {
    expect(diffFields({ kind: 'Secret' }, { stringData: { url: 'postgres://a' } }, { stringData: { url: 'postgres://b' } })).toEqual([
      { path: 'stringData.url', old: '***', new: '***', masked: true },
    ]);
    expect(diffFields({ kind: 'HelmRelease' }, { values: { auth: { password: 'hunter2' } } }, { values: { auth: { password: 'hunter3' } } })).toEqual([
      { path: 'values.auth.password', old: '***', new: '***', masked: true },
    ]);
    expect(isSecretField({ kind: 'ExternalSecret' }, ['spec', 'data', { by: 'secretKey', value: 'X' }, 'secretKey'])).toBe(false);
    expect(isSecretField({ kind: 'ExternalSecret' }, ['spec', 'data', 0, 'remoteRef', 'key'])).toBe(false);
    expect(isSecretField({ kind: 'HelmRelease' }, ['values', 'existingSecret'])).toBe(false);
    expect(isSecretField({ kind: 'HelmRelease' }, ['values', 'github', 'token'])).toBe(true);
  });
});
