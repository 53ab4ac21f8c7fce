import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadEnvironments } from '@platform/config';
import { toolPath } from '@platform/testing';
import { capture, cleanTemps, dataStack, engineEnv, makeOutdir, REPO_ROOT, runBin, tempDir } from '../../test/helpers';
import { runGuard } from './guard';
import { runPlan } from './plan';

/**
 * The destroy guard on real OpenTofu plan JSON: `terraform_data` stacks applied with the real tofu,
 * then changed so the plan deletes one resource and replaces another; `platform plan` leaves
 * `<stack>/plan.json` as in CI. Stacks are named after environments from envs/ by tier (never by name).
 */
const tofu = toolPath('tofu');
const ENV_DIR = path.join(REPO_ROOT, 'envs');
const envs = loadEnvironments(ENV_DIR, { root: REPO_ROOT });
const production = envs.find((e) => e.tier === 'production')!.name;
const nonProduction = envs.find((e) => e.tier !== 'production')!.name;
const FIXTURES = path.join(REPO_ROOT, 'packages/plan-report/test/fixtures/opentofu');

afterAll(cleanTemps);

/** Applies `before` in each stack, then plans `after` with `platform plan`: returns the outdir holding <stack>/plan.json. */
async function realPlans(stacks: readonly string[], before: Record<string, unknown>, after: Record<string, unknown>): Promise<string> {
  const outdir = makeOutdir(Object.fromEntries(stacks.map((s) => [s, dataStack(before)])));
  const env = engineEnv({ TERRAFORM_BINARY_NAME: tofu });
  for (const s of stacks) {
    const dir = path.join(outdir, 'stacks', s);
    execFileSync(tofu, ['init', '-input=false', '-no-color'], { cwd: dir, env, stdio: 'pipe' });
    execFileSync(tofu, ['apply', '-input=false', '-auto-approve', '-no-color'], { cwd: dir, env, stdio: 'pipe' });
    writeFileSync(path.join(dir, 'cdk.tf.json'), JSON.stringify(dataStack(after), null, 2));
  }
  const code = await runPlan({ outdir, env, progress: 'plain', write: () => undefined, writeErr: () => undefined });
  expect(code).toBe(2);
  return outdir;
}

function guard(plans: string, extra: Partial<Parameters<typeof runGuard>[0]> = {}): { code: number; out: string; err: string } {
  const out = capture();
  const err = capture();
    // From a folder without destroy-ack.yaml: no acknowledgements unless a test passes --ack.
  const code = runGuard({ plans, envDir: ENV_DIR, cwd: tempDir(), write: out.write, writeErr: err.write, ...extra });
  return { code, out: out.text(), err: err.text() };
}

function ackFile(entries: unknown): string {
  const file = path.join(tempDir('platform-ack-'), 'destroy-ack.yaml');
  writeFileSync(file, typeof entries === 'string' ? entries : JSON.stringify({ acknowledgements: entries }, null, 2));
  return file;
}

const REASON = 'retired on purpose: the data was exported to the archive bucket first';

describe('platform guard (real OpenTofu plan JSON)', () => {
  let outdir: string;
  const prodStack = `${production}-data`;
  const otherStack = `${nonProduction}-data`;

  beforeAll(async () => {
    outdir = await realPlans(
      [prodStack, otherStack],
      { keep: { input: 'k' }, gone: { input: 'g' }, swap: { input: 's', triggers_replace: 'v1' } },
      { keep: { input: 'k' }, swap: { input: 's', triggers_replace: 'v2' } },
    );
  }, 120_000);

  test('GIVEN real plans that delete and replace non-stateful resources WHEN guarded with the default types THEN nothing is blocked (exit 0)', () => {
    const r = guard(outdir, { ack: undefined, cwd: tempDir() });
    expect(r.err).toBe('');
    expect(r.out).toBe('destroy guard: no stateful resource is destroyed or replaced');
    expect(r.code).toBe(0);
  });

  test('GIVEN a production plan that destroys and replaces guarded resources without acknowledgement THEN each is BLOCKED with the fix, the non-production ones allowed, exit 1', () => {
    const r = guard(outdir, { statefulTypes: ['terraform_data'] });
    expect(r.code).toBe(1);
    const lines = r.out.split('\n');
    expect(lines[0]).toBe('destroy guard: 4 stateful resources are destroyed or replaced; 2 blocked');
    expect(lines[1]).toMatch(new RegExp(`^  BLOCKED +${prodStack}  terraform_data\\.gone \\(delete\\) — production tier, not acknowledged — if this is intended, add \\{ stack: ${prodStack}, address: terraform_data\\.gone, reason: `));
    expect(lines[2]).toMatch(new RegExp(`^  BLOCKED +${prodStack}  terraform_data\\.swap \\(replace\\)`));
    expect(lines[3]).toMatch(new RegExp(`^  allowed +${otherStack}  terraform_data\\.gone \\(delete\\) — non-production tier$`));
    expect(lines[4]).toMatch(new RegExp(`^  allowed +${otherStack}  terraform_data\\.swap \\(replace\\)`));
  });

  test('GIVEN an acknowledgement for one of the two THEN that one is ACKNOWLEDGED with its reason and the other still blocks', () => {
    const ack = ackFile([{ stack: prodStack, address: 'terraform_data.gone', reason: REASON }]);
    const r = guard(outdir, { statefulTypes: ['terraform_data'], ack });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(new RegExp(`^  ACKNOWLEDGED ${prodStack}  terraform_data\\.gone \\(delete\\) — acknowledged in .*destroy-ack\\.yaml:\\d+: ${REASON}$`, 'm'));
    expect(r.out).toMatch(new RegExp(`^  BLOCKED +${prodStack}  terraform_data\\.swap`, 'm'));
  });

  test('GIVEN acknowledgements for both THEN the guard passes (exit 0), and an acknowledgement that matches nothing is reported as stale', () => {
    const ack = ackFile([
      { stack: prodStack, address: 'terraform_data.gone', reason: REASON },
      { stack: prodStack, address: 'terraform_data.swap', reason: REASON },
      { stack: prodStack, address: 'terraform_data.keep', reason: REASON },
    ]);
    const r = guard(outdir, { statefulTypes: ['terraform_data'], ack });
    expect(r.code).toBe(0);
    expect(r.out).toContain('none is blocked');
    expect(r.out).toMatch(/^note: .*destroy-ack\.yaml:\d+: acknowledgement of \S+ terraform_data\.keep matches no destroy in these plans/m);
  });

  test('GIVEN the real plan with its resources as a bucket and a KMS key (types rewritten in the JSON) WHEN `platform guard` runs THEN the default list blocks both, exit 1', async () => {
    const plans = tempDir('platform-guard-plans-');
    const json = readFileSync(path.join(outdir, 'stacks', prodStack, 'plan.json'), 'utf8')
      .replace(/terraform_data\.gone/g, 'aws_s3_bucket.gone')
      .replace(/terraform_data\.swap/g, 'aws_kms_key.swap')
      .replace(/"type":"terraform_data","name":"gone"/g, '"type":"aws_s3_bucket","name":"gone"')
      .replace(/"type":"terraform_data","name":"swap"/g, '"type":"aws_kms_key","name":"swap"');
    mkdirSync(path.join(plans, 'artifacts', prodStack), { recursive: true });
    writeFileSync(path.join(plans, 'artifacts', prodStack, 'plan.json'), json);

    const r = await runBin(['guard', '--plans', plans, '--env-dir', ENV_DIR, '--ack', ackFile([])]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`BLOCKED +${prodStack}  aws_s3_bucket\\.gone \\(delete\\)`));
    expect(r.stdout).toMatch(new RegExp(`BLOCKED +${prodStack}  aws_kms_key\\.swap \\(replace\\)`));
  });

  test('GIVEN a stack of an environment without a file THEN it is treated as production', () => {
    const plans = tempDir('platform-guard-plans-');
    mkdirSync(path.join(plans, 'zzunknown-data'), { recursive: true });
    copyFileSync(path.join(outdir, 'stacks', prodStack, 'plan.json'), path.join(plans, 'zzunknown-data', 'plan.json'));
    const r = guard(plans, { statefulTypes: ['terraform_data'] });
    expect(r.code).toBe(1);
    expect(r.out).toContain('no environment file for "zzunknown" (treated as production)');
  });
});

describe('platform guard on the OpenTofu fixtures', () => {
  test('GIVEN the delete and replace fixtures in a production stack THEN the guarded type is blocked, and updates are not findings', () => {
    const plans = tempDir('platform-guard-plans-');
    for (const [fixture, stack] of [
      ['basic-delete.json', `${production}-one`],
      ['requires-replace.json', `${production}-two`],
      ['basic-update.json', `${production}-three`],
    ]) {
      mkdirSync(path.join(plans, stack!), { recursive: true });
      copyFileSync(path.join(FIXTURES, fixture!), path.join(plans, stack!, 'plan.json'));
    }
    const r = guard(plans, { statefulTypes: ['test_instance'], json: true });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.out) as { findings: Array<{ stack: string; address: string; action: string; verdict: string }>; passed: boolean };
    expect(report.passed).toBe(false);
    expect(report.findings.map((f) => [f.stack, f.address, f.action, f.verdict])).toEqual([
      [`${production}-one`, 'test_instance.test-delete', 'delete', 'blocked'],
      [`${production}-two`, 'test_instance.test', 'replace', 'blocked'],
    ]);
  });
});

describe('acknowledgement file errors', () => {
  const plans = (): string => {
    const dir = tempDir('platform-guard-plans-');
    mkdirSync(path.join(dir, `${production}-one`), { recursive: true });
    copyFileSync(path.join(FIXTURES, 'basic-delete.json'), path.join(dir, `${production}-one`, 'plan.json'));
    return dir;
  };

  test('GIVEN a short reason, an unknown field and a missing address THEN one error lists each with file:line and the fix, exit 1', () => {
    const ack = ackFile(
      ['acknowledgements:', `  - stack: ${production}-one`, '    address: test_instance.test-delete', '    reason: ok', `  - stack: ${production}-one`, '    why: because', ''].join('\n'),
    );
    const r = guard(plans(), { ack });
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^error: 4 problems in the destroy acknowledgements:/);
    expect(r.err).toMatch(/destroy-ack\.yaml:2: acknowledgements\[0\]\.reason has 2 characters — write at least 20/);
    expect(r.err).toMatch(/destroy-ack\.yaml:5: acknowledgements\[1\]\.why is not a known field/);
    expect(r.err).toMatch(/destroy-ack\.yaml:5: acknowledgements\[1\]\.address is missing/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  test('GIVEN an --ack file that does not exist THEN it is an error naming the flag', () => {
    const r = guard(plans(), { ack: '/nonexistent/destroy-ack.yaml' });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error: --ack \/nonexistent\/destroy-ack\.yaml: file not found/);
  });

  test('GIVEN a folder without plans THEN it says to run platform plan', () => {
    const r = guard(tempDir());
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/holds no plan\.json — run `platform plan` first/);
  });
});
