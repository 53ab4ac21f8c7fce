import * as path from 'node:path';
import { environmentSchema, loadEnvironments, type EnvironmentConfig } from '@platform/config';
import { PlatformStack } from '@platform/stacks/platform-stack';
import { Testing } from 'cdktf';
import { parseAllDocuments } from 'yaml';
import { SNAPSHOT_MAX_LINE, stackSnapshot } from './synth';
import { repoRoot } from './tools';

/** The platform stack of an environment from envs/ (the first with a service that has an image tag). */
const envs = loadEnvironments(path.join(repoRoot, 'envs'), { root: repoRoot });
const env = envs.find((e) => e.services.some((s) => s.imageTag))!;
const service = env.services.find((s) => s.imageTag)!;

function snapshotOf(config: EnvironmentConfig): string {
  const stack = new PlatformStack(Testing.app(), config);
  return stackSnapshot(Testing.synth(stack), stack.node.id);
}

/** Lines only in `b`, and lines only in `a` (a multiset difference: enough to size a diff). */
function lineDiff(a: string, b: string): { added: string[]; removed: string[] } {
  const count = (text: string) => text.split('\n').reduce((m, l) => m.set(l, (m.get(l) ?? 0) + 1), new Map<string, number>());
  const ca = count(a);
  const cb = count(b);
  const only = (x: Map<string, number>, y: Map<string, number>) => [...x].flatMap(([l, n]) => Array<string>(Math.max(0, n - (y.get(l) ?? 0))).fill(l));
  return { added: only(cb, ca), removed: only(ca, cb) };
}

describe('stackSnapshot', () => {
  const base = snapshotOf(env);

  test('GIVEN a platform stack WHEN rendered THEN each Kubernetes object is its own YAML document, headed by kind/namespace/name, and no line is longer than the limit', () => {
    expect(base.split('\n').every((l) => l.length <= SNAPSHOT_MAX_LINE)).toBe(true);
    const docs = parseAllDocuments(base);
    expect(docs.every((d) => d.errors.length === 0)).toBe(true);
    const objects = base.split('\n').filter((l) => / objects\[\d+\]: /.test(l));
    expect(objects.some((l) => l.endsWith(': ApplicationSet argocd/services'))).toBe(true);
    expect(objects.length).toBe(docs.length - 1 - base.split('\n').filter((l) => /^--- # helm_release\.\S+ values\[\d+\]$/.test(l)).length);
    // The release values are not an escaped string any more.
    expect(base).not.toMatch(/\\n/);
    expect(base).toContain('(YAML below: helm_release.');
  });

  test('GIVEN a secret added to one service WHEN rendered THEN the snapshot diff is the new ExternalSecret document plus its name in the ApplicationSet', () => {
    const secret = { name: `${service.name}-snapshot-api`, data: [{ secretKey: 'API_TOKEN', key: 'api', property: 'token' }] };
    const { name, file, ...data } = env;
    const services = env.services.map((s) => (s === service ? { ...s, secrets: [...(s.secrets ?? []), secret] } : s));
    const head = snapshotOf({ ...environmentSchema.parse({ ...data, services }), name, file });

    const { added, removed } = lineDiff(base, head);
    expect(removed.length).toBeLessThanOrEqual(3);
    expect(added.length).toBeLessThan(40);
    expect(added).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`objects\\[\\d+\\]: ExternalSecret ${service.namespace ?? service.name}/${secret.name}$`)), expect.stringContaining('secretKey: API_TOKEN')]));
    expect(added.every((l) => l.length <= SNAPSHOT_MAX_LINE)).toBe(true);
  });

  test('GIVEN the same stack twice WHEN rendered THEN the text is identical (stable order)', () => {
    expect(snapshotOf(env)).toBe(base);
  });
});
