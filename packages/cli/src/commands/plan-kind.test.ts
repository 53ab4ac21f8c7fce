import { toolPath } from '@platform/testing';
import { capture, cleanTemps, dataStack, engineEnv, makeOutdir } from '../../test/helpers';
import { listStacks } from '../lib/stacks';
import { runPlan, stackKindOf } from './plan';

/**
 * `platform plan --kind`: pull requests plan only the AWS-only stacks (no cluster credentials on a PR);
 * applies plan aws and cluster stacks, never the bootstrap. Real OpenTofu on `terraform_data` stacks.
 */
const tofu = toolPath('tofu');

// Stacks shaped like the platform's: a cluster stack configures the helm provider (never initialised:
// it is filtered out before the engine runs), a bootstrap stack is named <env>-bootstrap.
const outdir = (): string =>
  makeOutdir({
    'alpha-services': dataStack({}),
    'alpha-platform': dataStack({}, { provider: { helm: [{ kubernetes: [{ host: 'https://127.0.0.1:1' }] }] } }),
    'alpha-bootstrap': dataStack({}),
  });

async function plan(dir: string, kinds?: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = capture();
  const err = capture();
  const code = await runPlan({ outdir: dir, kinds, env: engineEnv({ TERRAFORM_BINARY_NAME: tofu }), progress: 'plain', write: out.write, writeErr: err.write });
  return { code, out: out.text(), err: err.text() };
}

afterAll(cleanTemps);

describe('platform plan --kind', () => {
  test('GIVEN synthesized stacks THEN each has the kind `platform environments --json` reports', () => {
    expect(listStacks(outdir()).map((s) => [s.id, stackKindOf(s)])).toEqual([
      ['alpha-bootstrap', 'bootstrap'],
      ['alpha-platform', 'cluster'],
      ['alpha-services', 'aws'],
    ]);
  });

  test('GIVEN --kind aws (pull requests) WHEN planned THEN only the AWS-only stack is planned', async () => {
    const { code, out } = await plan(outdir(), ['aws']);
    expect(code).toBe(0);
    expect(out).toMatch(/^alpha-services\s+no changes/m);
    expect(out).not.toMatch(/alpha-platform|alpha-bootstrap/);
  });

  test('GIVEN an unknown kind THEN exit 1 naming the choices', async () => {
    const { code, err } = await plan(outdir(), ['k8s']);
    expect(code).toBe(1);
    expect(err).toMatch(/error: --kind "k8s": choose from aws, cluster, bootstrap/);
  });
});
