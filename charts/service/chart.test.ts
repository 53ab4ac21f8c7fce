/**
 * The service chart, checked with the real pinned binaries from .tools/bin (scripts/setup-tools.sh):
 *   - `helm lint --strict` and `helm template` for every environment, every rendered manifest
 *     validated offline against the Kubernetes schemas of kubernetes-models;
 *   - values.schema.json rejecting bad values (helm exits non-zero and names the field);
 *   - per-environment properties of the rendered output;
 *   - the helm-unittest suites in tests/ (must pass) and a deliberately failing suite in
 *     test-fixtures/ (must fail), so a passing run means something.
 * Helm runs without network or user state: no chart dependencies, HELM_*_HOME in a temp dir.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { environmentOfTier, environmentWaves, generatedEnvironmentName } from '../../packages/testing/src/env-fixture';
import { toolPath } from '../../packages/testing/src/tools';

const CHART_DIR = __dirname;
/** Every environment of envs/ (each needs its values-<env>.yaml), with its tier. */
const ENVIRONMENTS = environmentWaves();
const ENVS = ENVIRONMENTS.map((e) => e.name);
type Env = string;
/** The first non-production and the first production environment, in promotion order. */
const NON_PROD = environmentOfTier('non-production');
const PROD = environmentOfTier('production');
const RELEASE = 'orders';
const NAMESPACE = 'orders';

/** Per-service values as the ApplicationSet passes them (ci/), and the chart's version. */
const TEST_SERVICE = path.join(CHART_DIR, 'ci', 'test-service.yaml');
const DIGEST_SERVICE = path.join(CHART_DIR, 'ci', 'digest-service.yaml');
const chartYaml = readYaml(path.join(CHART_DIR, 'Chart.yaml'));
const testService = readYaml(TEST_SERVICE);

// ---------------------------------------------------------------------------------------------
// Helpers

interface Json {
  [key: string]: unknown;
}

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  /** `# Source:` template of the document, for messages. */
  source: string;
  body: Json;
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  /** stdout + stderr, for assertions on messages. */
  output: string;
}

function readYaml(file: string): Json {
  return parse(readFileSync(file, 'utf8')) as Json;
}

/** Value at a dot-separated path (keys may contain no dots). */
function at(value: unknown, dotted: string): unknown {
  return dotted
    .split('.')
    .reduce<unknown>((v, key) => (v !== null && typeof v === 'object' ? (v as Json)[key] : undefined), value);
}

let tmp: string;
let env: NodeJS.ProcessEnv;

function run(tool: 'helm' | 'helm-unittest', args: string[]): Run {
  const result = spawnSync(toolPath(tool), args, { cwd: tmp, env, encoding: 'utf8', timeout: 60_000 });
  if (result.error) throw result.error;
  return {
    status: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    output: `${result.stdout}\n${result.stderr}`,
  };
}

function valuesArgs(envName: Env | undefined, serviceValues: string, extra: string[] = []): string[] {
  const files = [...(envName ? [path.join(CHART_DIR, `values-${envName}.yaml`)] : []), serviceValues, ...extra];
  return files.flatMap((f) => ['-f', f]);
}

function template(envName: Env | undefined, serviceValues: string, extra: string[] = []): Run {
  return run('helm', [
    'template',
    RELEASE,
    CHART_DIR,
    '--namespace',
    NAMESPACE,
    ...valuesArgs(envName, serviceValues, extra),
  ]);
}

/** A values file in the temp dir (the chart's folder is never written to). */
let valuesFileCount = 0;
function writeValues(values: Json): string {
  const file = path.join(tmp, `values-${++valuesFileCount}.yaml`);
  writeFileSync(file, stringify(values));
  return file;
}

/** Splits `helm template` output into manifests; a YAML error or an empty document fails. */
function parseManifests(output: string): Manifest[] {
  return parseAllDocuments(output).flatMap((doc) => {
    if (doc.errors.length > 0)
      throw new Error(`rendered YAML does not parse: ${doc.errors.map((e) => e.message).join('; ')}`);
    const body = doc.toJS() as Json | null;
    if (body === null) return [];
    const source = /# Source: (\S+)/.exec(doc.commentBefore ?? '')?.[1] ?? '(unknown template)';
    const metadata = body.metadata as Manifest['metadata'] | undefined;
    if (typeof body.apiVersion !== 'string' || typeof body.kind !== 'string' || !metadata?.name) {
      throw new Error(`${source}: a manifest without apiVersion, kind or metadata.name`);
    }
    return [{ apiVersion: body.apiVersion, kind: body.kind, metadata, source, body }];
  });
}

// Offline Kubernetes schema validation: every rendered apiVersion/kind maps to a kubernetes-models
// class; an unmapped kind is a failure (add it here, with its model), never a skip.
interface Validatable {
  validate(): void;
}
function model<T>(ctor: new (data?: T) => Validatable): (body: Json) => Validatable {
  return (body) => new ctor(body as unknown as T);
}
const MODELS: Record<string, (body: Json) => Validatable> = {
  'apps/v1/Deployment': model(Deployment),
  'autoscaling/v2/HorizontalPodAutoscaler': model(HorizontalPodAutoscaler),
  'batch/v1/Job': model(Job),
  'networking.k8s.io/v1/Ingress': model(Ingress),
  'policy/v1/PodDisruptionBudget': model(PodDisruptionBudget),
  'v1/Pod': model(Pod),
  'v1/Service': model(Service),
  'v1/ServiceAccount': model(ServiceAccount),
};

/** Schema problems of the manifests: one message per invalid or unknown manifest. */
function schemaProblems(manifests: Manifest[]): string[] {
  return manifests.flatMap((m) => {
    const where = `${m.source} (${m.apiVersion} ${m.kind} ${m.metadata.name})`;
    const create = MODELS[`${m.apiVersion}/${m.kind}`];
    if (!create) return [`${where}: no kubernetes-models class for this apiVersion/kind`];
    try {
      create(m.body).validate();
      return [];
    } catch (error) {
      return [`${where}: ${(error as Error).message}`];
    }
  });
}

function find(manifests: Manifest[], kind: string, name?: string): Manifest | undefined {
  return manifests.find((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
}

function get(manifests: Manifest[], kind: string, name?: string): Manifest {
  const found = find(manifests, kind, name);
  if (!found)
    throw new Error(
      `no ${kind}${name ? ` ${name}` : ''} in: ${manifests.map((m) => `${m.kind}/${m.metadata.name}`).join(', ')}`,
    );
  return found;
}

/** Pod specs of every workload (Deployment, Job, bare Pod), with where they come from. */
function podSpecs(manifests: Manifest[]): { where: string; spec: Json }[] {
  return manifests.flatMap((m) => {
    const spec = m.kind === 'Pod' ? at(m.body, 'spec') : at(m.body, 'spec.template.spec');
    const isWorkload = m.kind === 'Pod' || m.kind === 'Deployment' || m.kind === 'Job';
    return spec && isWorkload ? [{ where: `${m.kind}/${m.metadata.name}`, spec: spec as Json }] : [];
  });
}

/** Counts of a JUnit report written by helm-unittest. */
function junitTotals(xml: string): { tests: number; failures: number; errors: number; suites: number } {
  const totals = { tests: 0, failures: 0, errors: 0, suites: 0 };
  for (const match of xml.matchAll(/<testsuite\s[^>]*>/g)) {
    const attr = (name: string) => Number(new RegExp(`\\s${name}="(\\d+)"`).exec(match[0])?.[1] ?? NaN);
    totals.suites += 1;
    totals.tests += attr('tests');
    totals.failures += attr('failures');
    totals.errors += attr('errors');
  }
  return totals;
}

// ---------------------------------------------------------------------------------------------

beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'service-chart-'));
  for (const dir of ['cache', 'config', 'data', 'plugins']) mkdirSync(path.join(tmp, 'helm', dir), { recursive: true });
  env = {
    PATH: process.env.PATH,
    HOME: tmp,
    TMPDIR: tmp,
    HELM_CACHE_HOME: path.join(tmp, 'helm', 'cache'),
    HELM_CONFIG_HOME: path.join(tmp, 'helm', 'config'),
    HELM_DATA_HOME: path.join(tmp, 'helm', 'data'),
    HELM_PLUGINS: path.join(tmp, 'helm', 'plugins'),
    // No cluster is ever contacted: lint, template and helm-unittest render locally.
    KUBECONFIG: path.join(tmp, 'no-kubeconfig'),
    NO_COLOR: '1',
  };
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const EXPECTED_LABELS = {
  'app.kubernetes.io/name': 'orders',
  'app.kubernetes.io/instance': RELEASE,
  'app.kubernetes.io/version': String(at(testService, 'image.tag')),
  'app.kubernetes.io/managed-by': 'Helm',
  'helm.sh/chart': `service-${String(chartYaml.version)}`,
  team: String(testService.team),
};

test('the schema check is real: an invalid manifest and an unmapped kind are reported', () => {
  const rendered = template(NON_PROD, TEST_SERVICE);
  expect(rendered.status).toBe(0);
  const deployment = get(parseManifests(rendered.stdout), 'Deployment');
  (deployment.body.spec as Json).replicas = 'three';
  const widget: Manifest = {
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name: 'w' },
    source: 'test',
    body: {},
  };
  const problems = schemaProblems([deployment, widget]);
  expect(problems).toHaveLength(2);
  expect(problems[0]).toMatch(/Deployment orders.*replicas must be integer/);
  expect(problems[1]).toContain('no kubernetes-models class');
});

/** values.yaml with values-<env>.yaml over it (mappings merged), as helm layers them. */
function envValues(envName: Env): Json {
  const merge = (a: Json, b: Json): Json => {
    const out: Json = { ...a };
    for (const [k, v] of Object.entries(b)) {
      const prev = out[k];
      out[k] = prev && typeof prev === 'object' && !Array.isArray(prev) && v && typeof v === 'object' && !Array.isArray(v) ? merge(prev as Json, v as Json) : v;
    }
    return out;
  };
  return merge(readYaml(path.join(CHART_DIR, 'values.yaml')), readYaml(path.join(CHART_DIR, `values-${envName}.yaml`)));
}

test.each(ENVIRONMENTS)('values-$name.yaml exists and names its environment and tier ($tier) as envs/$name.yaml does', ({ name, tier }) => {
  const values = readYaml(path.join(CHART_DIR, `values-${name}.yaml`));
  expect({ environment: values.environment, tier: values.tier }).toEqual({ environment: name, tier });
});

// Layering as in Argo CD: values.yaml, then values-<env>.yaml, then the per-service values.
describe.each(ENVS)('environment %s with ci/test-service.yaml', (envName) => {
  let manifests: Manifest[];

  beforeAll(() => {
    const result = template(envName, TEST_SERVICE);
    if (result.status !== 0) throw new Error(`helm template failed (exit ${result.status}):\n${result.output}`);
    writeFileSync(path.join(tmp, `rendered-${envName}.yaml`), result.stdout);
    manifests = parseManifests(result.stdout);
  });

  test('helm lint --strict passes', () => {
    const result = run('helm', [
      'lint',
      '--strict',
      CHART_DIR,
      '--namespace',
      NAMESPACE,
      ...valuesArgs(envName, TEST_SERVICE),
    ]);
    expect(result.output).toContain('0 chart(s) failed');
    expect(result.status).toBe(0);
  });

  test('every rendered manifest is valid against the Kubernetes schemas', () => {
    expect(manifests.length).toBeGreaterThan(0);
    expect(schemaProblems(manifests)).toEqual([]);
  });

  test('renders the expected resources, hooks included', () => {
    const values = envValues(envName);
    const expected = [
      'Deployment/orders',
      'Service/orders',
      'ServiceAccount/orders',
      'Ingress/orders',
      ...(at(values, 'autoscaling.enabled') === true ? ['HorizontalPodAutoscaler/orders'] : []),
      ...(at(values, 'podDisruptionBudget.enabled') === true ? ['PodDisruptionBudget/orders'] : []),
      'ServiceAccount/orders-migrations',
      'Job/orders-migrations',
      'Pod/orders-test-connection',
    ];
    expect(manifests.map((m) => `${m.kind}/${m.metadata.name}`).sort()).toEqual(expected.sort());
  });

  test('every resource carries the six standard labels', () => {
    for (const m of manifests) {
      expect({ resource: `${m.kind}/${m.metadata.name}`, labels: m.metadata.labels }).toEqual({
        resource: `${m.kind}/${m.metadata.name}`,
        labels: expect.objectContaining(EXPECTED_LABELS),
      });
    }
  });

  test('the ServiceAccount carries the IRSA role ARN from the per-service values', () => {
    const sa = get(manifests, 'ServiceAccount', 'orders');
    expect(sa.metadata.annotations?.['eks.amazonaws.com/role-arn']).toBe(at(testService, 'serviceAccount.roleArn'));
    expect(at(get(manifests, 'Deployment').body, 'spec.template.spec.serviceAccountName')).toBe('orders');
  });

  test('the Ingress serves ingress.host over TLS', () => {
    const ingress = get(manifests, 'Ingress').body;
    expect(at(ingress, 'spec.rules')).toEqual([expect.objectContaining({ host: at(testService, 'ingress.host') })]);
    expect(at(ingress, 'spec.tls')).toEqual([expect.objectContaining({ hosts: [at(testService, 'ingress.host')] })]);
  });

  test('every pod is hardened and mounts the ExternalSecret-created Secrets by reference', () => {
    const pods = podSpecs(manifests);
    expect(pods.map((p) => p.where).sort()).toEqual([
      'Deployment/orders',
      'Job/orders-migrations',
      'Pod/orders-test-connection',
    ]);
    for (const { where, spec } of pods) {
      expect({
        where,
        runAsNonRoot: at(spec, 'securityContext.runAsNonRoot'),
        seccomp: at(spec, 'securityContext.seccompProfile.type'),
      }).toEqual({
        where,
        runAsNonRoot: true,
        seccomp: 'RuntimeDefault',
      });
      for (const container of spec.containers as Json[]) {
        expect({ where, securityContext: container.securityContext }).toEqual({
          where,
          securityContext: expect.objectContaining({
            runAsNonRoot: true,
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ['ALL'] },
            seccompProfile: { type: 'RuntimeDefault' },
          }),
        });
      }
    }
    const secretRefs = (testService.externalSecrets as string[]).map((name) => ({ secretRef: { name } }));
    for (const kind of ['Deployment', 'Job']) {
      expect(at(get(manifests, kind).body, 'spec.template.spec.containers.0.envFrom')).toEqual(secretRefs);
    }
  });

  test('the migration Job is a pre-install,pre-upgrade hook with the exact annotations', () => {
    expect(get(manifests, 'Job', 'orders-migrations').metadata.annotations).toEqual({
      'helm.sh/hook': 'pre-install,pre-upgrade',
      'helm.sh/hook-weight': '-5',
      'helm.sh/hook-delete-policy': 'before-hook-creation',
    });
  });

  test('the test hook fetches the readiness path through the Service', () => {
    const pod = get(manifests, 'Pod', 'orders-test-connection');
    expect(pod.metadata.annotations?.['helm.sh/hook']).toBe('test');
    expect(at(pod.body, 'spec.containers.0.command')).toEqual(['wget', '-qO-', '-T', '10', 'http://orders:80/readyz']);
    expect(at(pod.body, 'spec.containers.0.image')).toMatch(/^busybox:\d+\.\d+\.\d+$/);
  });
});

describe('per-environment properties', () => {
  function render(envName: Env): Manifest[] {
    const result = template(envName, TEST_SERVICE);
    expect(result.status).toBe(0);
    return parseManifests(result.stdout);
  }
  function envVar(manifests: Manifest[], name: string): unknown {
    const vars = at(get(manifests, 'Deployment').body, 'spec.template.spec.containers.0.env') as {
      name: string;
      value: string;
    }[];
    return vars.find((v) => v.name === name)?.value;
  }

  test.each(ENVS)('%s: replicas, log level and ENVIRONMENT come from its values file; an HPA owns the replica count when enabled', (envName) => {
    const m = render(envName);
    const values = envValues(envName);
    const deployment = get(m, 'Deployment').body;
    expect(envVar(m, 'ENVIRONMENT')).toBe(envName);
    expect(envVar(m, 'LOG_LEVEL')).toBe(values.logLevel);
    if (at(values, 'autoscaling.enabled') === true) {
      expect(at(deployment, 'spec.replicas')).toBeUndefined();
      expect(at(get(m, 'HorizontalPodAutoscaler').body, 'spec.minReplicas')).toBe(at(values, 'autoscaling.minReplicas'));
    } else {
      expect(at(deployment, 'spec.replicas')).toBe(values.replicaCount);
      expect(find(m, 'HorizontalPodAutoscaler')).toBeUndefined();
    }
    expect(find(m, 'PodDisruptionBudget') !== undefined).toBe(at(values, 'podDisruptionBudget.enabled') === true);
  });

  test.each(ENVIRONMENTS.filter((e) => e.tier === 'production').map((e) => e.name))(
    '%s (production tier): at least 2 replicas, PDB matching the pods, zone spread',
    (envName) => {
      const m = render(envName);
      const deployment = get(m, 'Deployment').body;
      const floor = at(deployment, 'spec.replicas') ?? at(get(m, 'HorizontalPodAutoscaler').body, 'spec.minReplicas');
      expect(floor).toBeGreaterThanOrEqual(2);
      expect(at(get(m, 'PodDisruptionBudget').body, 'spec.selector.matchLabels')).toEqual(
        at(deployment, 'spec.selector.matchLabels'),
      );
      expect(at(deployment, 'spec.template.spec.topologySpreadConstraints.0.topologyKey')).toBe(
        'topology.kubernetes.io/zone',
      );
    },
  );

  test.each(ENVIRONMENTS.filter((e) => e.tier === 'non-production').map((e) => e.name))(
    'the production tier has at least the capacity of %s (HPA ceiling and memory)',
    (envName) => {
      const toMi = (q: unknown) => {
        const [, n, unit] = /^([0-9.]+)(Mi|Gi)$/.exec(String(q)) ?? [];
        return Number(n) * (unit === 'Gi' ? 1024 : 1);
      };
      const prod = envValues(PROD);
      const other = envValues(envName);
      const ceiling = (v: Json) => (at(v, 'autoscaling.enabled') === true ? at(v, 'autoscaling.maxReplicas') : v.replicaCount) as number;
      expect(ceiling(prod)).toBeGreaterThanOrEqual(ceiling(other));
      expect(toMi(at(prod, 'resources.limits.memory'))).toBeGreaterThanOrEqual(toMi(at(other, 'resources.limits.memory')));
    },
  );

  test.each(ENVS)('%s: a digest-pinned internal service without migrations renders valid manifests', (envName) => {
    const result = template(envName, DIGEST_SERVICE);
    expect(result.status).toBe(0);
    const m = parseManifests(result.stdout);
    expect(schemaProblems(m)).toEqual([]);
    expect(find(m, 'Ingress')).toBeUndefined();
    expect(find(m, 'Job')).toBeUndefined();
    expect(find(m, 'ServiceAccount')).toBeUndefined();
    const pod = at(get(m, 'Deployment').body, 'spec.template.spec') as Json;
    expect(pod.serviceAccountName).toBe('ledger-worker-irsa');
    expect(at(pod, 'containers.0.image')).toMatch(
      /^123456789012\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/ledger-worker@sha256:[0-9a-f]{64}$/,
    );
    expect(at(pod, 'containers.0.envFrom')).toBeUndefined();
  });
});

describe('values.schema.json rejects bad values', () => {
  function withoutImageRepository(): string {
    const values = structuredClone(testService);
    delete (values.image as Json).repository;
    return writeValues(values);
  }

  // env: the values-<env>.yaml layered under the case ('none': left out); default the first non-production one.
  const cases: { name: string; env?: Env | 'none'; service?: () => string; values?: Json; field: string }[] = [
    { name: 'replicaCount: "three"', values: { replicaCount: 'three' }, field: '/replicaCount' },
    { name: 'a missing image.repository', service: withoutImageRepository, field: "missing property 'repository'" },
    {
      name: 'an unknown top-level key (typo "replicas")',
      values: { replicas: 3 },
      field: "additional properties 'replicas' not allowed",
    },
    { name: 'no environment or tier (values-<env>.yaml left out)', env: 'none', field: "missing properties 'environment', 'tier'" },
    { name: 'an environment name that is not a DNS label', values: { environment: 'Not_An_Env' }, field: '/environment' },
    { name: 'an unknown tier', values: { tier: 'gold' }, field: '/tier' },
    { name: 'the mutable image tag "latest"', values: { image: { tag: 'latest' } }, field: '/image/tag' },
    { name: 'a malformed image digest', values: { image: { digest: 'sha256:abc' } }, field: '/image/digest' },
    {
      name: 'a repository with a tag in it',
      values: { image: { repository: 'nginx:1.27' } },
      field: '/image/repository',
    },
    { name: 'an upper-case team', values: { team: 'Payments' }, field: '/team' },
    {
      name: 'a host that is not a DNS name',
      values: { ingress: { host: 'https://orders.example.com' } },
      field: '/ingress/host',
    },
    {
      name: 'a role ARN that is not an IAM role',
      values: { serviceAccount: { roleArn: 'orders-role' } },
      field: '/serviceAccount/roleArn',
    },
    {
      name: 'an invalid Secret name in externalSecrets',
      values: { externalSecrets: ['Orders_DB'] },
      field: '/externalSecrets/0',
    },
    { name: 'an unknown logLevel', values: { logLevel: 'verbose' }, field: '/logLevel' },
    {
      name: 'migrations enabled without a command',
      values: { migrations: { command: [] } },
      field: '/migrations/command',
    },
    {
      name: 'a memory request without unit syntax',
      values: { resources: { requests: { memory: '1 GB' } } },
      field: '/resources/requests/memory',
    },
    { name: 'a production-tier environment with a single replica', env: PROD, values: { replicaCount: 1 }, field: '/replicaCount' },
    {
      name: 'a production-tier environment with a single-replica HPA floor',
      env: PROD,
      values: { autoscaling: { minReplicas: 1 } },
      field: '/autoscaling/minReplicas',
    },
    {
      name: 'a production-tier environment without a PodDisruptionBudget',
      env: PROD,
      values: { podDisruptionBudget: { enabled: false } },
      field: '/podDisruptionBudget/enabled',
    },
  ];

  test.each(cases)('$name', ({ env: envName = NON_PROD, service, values, field }) => {
    const result = template(
      envName === 'none' ? undefined : envName,
      service ? service() : TEST_SERVICE,
      values ? [writeValues(values)] : [],
    );
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("values don't meet the specifications of the schema");
    expect(result.stderr).toContain(field);
  });

  test('the same layering without the bad value renders (control)', () => {
    expect(template(NON_PROD, TEST_SERVICE).status).toBe(0);
    expect(template(PROD, TEST_SERVICE, [writeValues({ replicaCount: 2 })]).status).toBe(0);
  });

  test('any environment name is accepted: a generated one renders with the environment and tier it is given', () => {
    const name = generatedEnvironmentName('chart');
    const result = template(NON_PROD, TEST_SERVICE, [writeValues({ environment: name, tier: 'non-production' })]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`value: "${name}"`);
  });

  test('an HPA floor above its ceiling fails the render with a clear message', () => {
    const result = template(NON_PROD, TEST_SERVICE, [
      writeValues({ autoscaling: { enabled: true, minReplicas: 5, maxReplicas: 3 } }),
    ]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('autoscaling.minReplicas (5) must not exceed autoscaling.maxReplicas (3)');
  });
});

describe('helm-unittest', () => {
  function suiteFiles(folder: string): string[] {
    return readdirSync(path.join(CHART_DIR, folder)).filter((f) => f.endsWith('_test.yaml'));
  }
  /** Number of `- it:` tests declared in the suite files of a folder. */
  function declaredTests(folder: string): number {
    return suiteFiles(folder).reduce(
      (n, f) => n + (readYaml(path.join(CHART_DIR, folder, f)).tests as unknown[]).length,
      0,
    );
  }

  test('the suites in tests/ pass', () => {
    const report = path.join(tmp, 'unittest.xml');
    const result = run('helm-unittest', ['--strict', '--color=false', '-t', 'JUnit', '-o', report, CHART_DIR]);
    if (result.status !== 0) throw new Error(`helm-unittest failed (exit ${result.status}):\n${result.output}`);
    const totals = junitTotals(readFileSync(report, 'utf8'));
    expect(totals).toEqual({
      tests: declaredTests('tests'),
      failures: 0,
      errors: 0,
      suites: suiteFiles('tests').length,
    });
    expect(totals.tests).toBeGreaterThanOrEqual(30);
  });

  test('a deliberately failing suite (test-fixtures/) fails the run', () => {
    const report = path.join(tmp, 'unittest-must-fail.xml');
    const result = run('helm-unittest', [
      '--strict',
      '--color=false',
      '-t',
      'JUnit',
      '-o',
      report,
      '-f',
      'test-fixtures/*_test.yaml',
      CHART_DIR,
    ]);
    expect(result.status).not.toBe(0);
    expect(result.status).not.toBeNull();
    expect(result.output).toContain('MUST FAIL');
    expect(result.output).toContain('arn:aws:iam::000000000000:role/not-the-configured-role');
    expect(junitTotals(readFileSync(report, 'utf8'))).toEqual({
      tests: declaredTests('test-fixtures'),
      failures: 1,
      errors: 0,
      suites: 1,
    });
  });
});
