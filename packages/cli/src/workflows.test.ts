import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as config from '@platform/config';
import { CI_ROLE_PURPOSES, ciRoleArn, stackId } from '@platform/naming';
import { toolPath, writeGeneratedEnvironment } from '@platform/testing';
import { parse } from 'yaml';
import { cleanTemps, REPO_ROOT, tempDir, writeScript } from '../test/helpers';

/** The CI workflows: real `actionlint` on every file, then the properties the platform relies on. */
const WORKFLOWS = path.join(REPO_ROOT, '.github', 'workflows');
const OURS = ['apply.yml', 'drift.yml', 'pr.yml', 'state-backup.yml'];
/** Contract 2: at most this many promotion waves (`@platform/config` MAX_WAVES); apply.yml has a job pair per wave. */
const MAX_WAVES = (config as { MAX_WAVES?: number }).MAX_WAVES ?? 6;
const MAIN_ONLY = "github.ref == 'refs/heads/main'";

interface Step {
  readonly name?: string;
  readonly id?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, unknown>;
  readonly env?: Record<string, unknown>;
}
interface Job {
  readonly permissions?: Record<string, string> | string;
  readonly environment?: string | { readonly name: string };
  readonly concurrency?: { readonly group: string; readonly 'cancel-in-progress'?: boolean } | string;
  readonly needs?: string | readonly string[];
  readonly if?: string;
  readonly env?: Record<string, unknown>;
  readonly strategy?: { readonly matrix?: unknown };
  readonly outputs?: Record<string, string>;
  readonly steps: readonly Step[];
}
interface Workflow {
  readonly on: Record<string, unknown>;
  readonly permissions?: Record<string, string>;
  readonly env?: Record<string, unknown>;
  readonly jobs: Record<string, Job>;
}

const text = (file: string): string => readFileSync(path.join(WORKFLOWS, file), 'utf8');
const load = (file: string): Workflow => parse(text(file)) as Workflow;
const usesOf = (job: Job, action: string): Step[] => job.steps.filter((s) => s.uses?.startsWith(`${action}@`));
const runs = (job: Job): string => job.steps.map((s) => s.run ?? '').join('\n');
const needsOf = (job: Job): string[] => (job.needs === undefined ? [] : typeof job.needs === 'string' ? [job.needs] : [...job.needs]);
const environmentOf = (job: Job): string | undefined => (typeof job.environment === 'string' ? job.environment : job.environment?.name);
const roleOf = (job: Job): string | undefined => usesOf(job, 'aws-actions/configure-aws-credentials')[0]?.with?.['role-to-assume'] as string | undefined;
const stepIndex = (job: Job, pattern: RegExp): number => job.steps.findIndex((s) => pattern.test(s.run ?? ''));

function actionlint(args: readonly string[]): { code: number; output: string } {
  const result = spawnSync(toolPath('actionlint'), ['-no-color', ...args], { cwd: REPO_ROOT, encoding: 'utf8' });
  return { code: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

afterAll(cleanTemps);

// ── A generated set of environments: envs/ copied into a temp folder plus a fourth with a made-up name ──

interface ContractEnvironment {
  readonly name: string;
  readonly file: string;
  readonly accountId: string;
  readonly region: string;
  readonly tier: string;
  readonly wave: number;
  readonly stacks: ReadonlyArray<{ readonly id: string; readonly kind: string }>;
  readonly roles: Record<string, string>;
}
const GENERATED = 'zz9fourth';

/**
 * `platform environments --json` (contract 2) for a temp copy of envs/ with a made-up fourth environment
 * in its own account and a wave of its own: what the workflows' matrix steps read.
 */
function generatedEnvironments(waves: (env: { name: string; tier: string }, index: number) => number): { environments: ContractEnvironment[]; waves: Array<{ wave: number; environments: string[] }> } {
  const dir = path.join(tempDir('workflow-envs-'), 'envs');
  cpSync(path.join(REPO_ROOT, 'envs'), dir, { recursive: true });
  writeGeneratedEnvironment(dir, GENERATED);
  const loaded = config.loadEnvironments(dir, { root: path.dirname(dir) });
  const environments = loaded
    .map((e, i) => ({
      name: e.name,
      file: e.file,
      accountId: e.aws.accountId,
      region: e.aws.region,
      tier: e.tier,
      wave: waves(e, i),
      stacks: [
        { id: stackId(e.name, 'services'), kind: 'aws' },
        { id: stackId(e.name, 'platform'), kind: 'cluster' },
        { id: stackId(e.name, 'bootstrap'), kind: 'bootstrap' },
      ],
      roles: Object.fromEntries(CI_ROLE_PURPOSES.map((p) => [p, ciRoleArn(e.aws.accountId, e.name, p)])),
    }))
    .sort((a, b) => a.wave - b.wave || a.name.localeCompare(b.name));
  const waveNumbers = [...new Set(environments.map((e) => e.wave))].sort((a, b) => a - b);
  return { environments, waves: waveNumbers.map((wave) => ({ wave, environments: environments.filter((e) => e.wave === wave).map((e) => e.name) })) };
}

/** Waves for the generated set: non-production first, production second, the made-up environment third. */
const threeWaves = (e: { name: string; tier: string }): number => (e.name === GENERATED ? 3 : e.tier === 'production' ? 2 : 1);

/**
 * Runs workflow steps' `run` scripts with real bash and jq in a temp folder, `npx platform environments --json`
 * answered from `environments` (any other npx call fails). Returns the step outputs written to $GITHUB_OUTPUT.
 */
function runSteps(steps: readonly Step[], environments: unknown, files: Record<string, unknown> = {}): { code: number; outputs: Record<string, string>; stderr: string; stdout: string; summary: string } {
  const work = tempDir('workflow-run-');
  const bin = path.join(work, 'bin');
  mkdirSync(bin);
  writeFileSync(path.join(work, 'environments.fixture.json'), JSON.stringify(environments));
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(work, name), JSON.stringify(content));
  writeScript(
    path.join(bin, 'npx'),
    `if [ "$*" = "platform environments --json" ]; then cat "${work}/environments.fixture.json"; else echo "unexpected npx $*" >&2; exit 99; fi`,
  );
  const script = steps.map((s) => s.run ?? '').join('\n');
  writeFileSync(path.join(work, 'GITHUB_OUTPUT'), '');
  writeFileSync(path.join(work, 'GITHUB_STEP_SUMMARY'), '');
  const result = spawnSync('bash', ['--noprofile', '--norc', '-e', '-o', 'pipefail', '-c', script], {
    cwd: work,
    encoding: 'utf8',
    env: { PATH: `${bin}:${process.env.PATH}`, GITHUB_OUTPUT: path.join(work, 'GITHUB_OUTPUT'), GITHUB_STEP_SUMMARY: path.join(work, 'GITHUB_STEP_SUMMARY') },
  });
  const outputs = Object.fromEntries(
    readFileSync(path.join(work, 'GITHUB_OUTPUT'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  return { code: result.status ?? -1, outputs, stderr: result.stderr, stdout: result.stdout, summary: readFileSync(path.join(work, 'GITHUB_STEP_SUMMARY'), 'utf8') };
}

describe('actionlint', () => {
  test('GIVEN the repository workflows THEN actionlint reports nothing', () => {
    const files = readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));
    expect(files).toEqual(expect.arrayContaining(OURS));
    const result = actionlint(files.map((f) => path.join(WORKFLOWS, f)));
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  });

  test('GIVEN a deliberately broken workflow THEN actionlint fails on it (so the check above is real)', () => {
    const file = path.join(tempDir(), 'broken.yml');
    writeFileSync(
      file,
      ['on: push', 'jobs:', '  build:', '    runs-on: ubuntu-24.04', '    needs: no-such-job', '    steps:', '      - run: echo "${{ github.no_such_context }}"', ''].join('\n'),
    );
    const result = actionlint([file]);
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/no-such-job/);
  });
});

describe.each(OURS)('%s', (file) => {
  const workflow = load(file);
  const jobs = Object.entries(workflow.jobs);
  const awsJobs = jobs.filter(([, job]) => usesOf(job, 'aws-actions/configure-aws-credentials').length > 0);

  test('GIVEN the workflow THEN it grants nothing by default and every job declares its own permissions', () => {
    expect(workflow.permissions).toEqual({});
    for (const [, job] of jobs) expect(typeof job.permissions).toBe('object');
  });

  test('GIVEN a job THEN id-token: write is granted exactly when it assumes an AWS role through OIDC', () => {
    for (const [name, job] of jobs) {
      const oidc = usesOf(job, 'aws-actions/configure-aws-credentials').length > 0;
      expect({ job: name, idToken: (job.permissions as Record<string, string>)['id-token'] === 'write' }).toEqual({ job: name, idToken: oidc });
    }
  });

  test('GIVEN the AWS credential steps THEN each assumes the role its matrix entry carries (from `platform environments --json`), and no long-lived key appears anywhere', () => {
    expect(text(file)).not.toMatch(/AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|aws-access-key-id|aws-secret-access-key|AWS_SESSION_TOKEN/i);
    expect(text(file)).not.toMatch(/vars\.AWS_[A-Z_]*ROLE/);
    expect(awsJobs.length).toBeGreaterThan(0);
    for (const [name, job] of awsJobs) {
      const steps = usesOf(job, 'aws-actions/configure-aws-credentials');
      expect({ job: name, steps: steps.length }).toEqual({ job: name, steps: 1 });
      expect(steps[0]!.with).toMatchObject({ 'role-to-assume': expect.stringMatching(/^\$\{\{ matrix\.(role|plan_role|apply_role) \}\}$/), 'aws-region': '${{ matrix.region }}' });
    }
  });

  test('GIVEN a job that holds AWS credentials THEN TF_VAR_aws_role_arn is empty for it: it runs as its own OIDC role, never chaining into the deploy role', () => {
    for (const [name, job] of awsJobs) {
      for (const step of job.steps.filter((s) => /platform (plan|drift)|tofu apply/.test(s.run ?? ''))) {
        const effective = { ...workflow.env, ...job.env, ...step.env };
        expect({ job: name, step: step.name, value: effective.TF_VAR_aws_role_arn }).toEqual({ job: name, step: step.name, value: '' });
      }
    }
    expect(text(file)).not.toMatch(/TF_VAR_aws_role_arn: *["']?arn:/);
  });

  test('GIVEN the tool versions THEN Node is 24.22.3 and OpenTofu 1.12.6 (contract 5)', () => {
    expect(workflow.env?.NODE_VERSION).toBe('24.22.3');
    if (/tofu/.test(text(file))) expect(workflow.env?.TOFU_VERSION).toBe('1.12.6');
  });

  test('GIVEN every action THEN it is pinned to a full commit SHA with its release in a comment', () => {
    const uses = text(file).match(/uses: .*/g) ?? [];
    expect(uses.length).toBeGreaterThan(0);
    for (const line of uses) expect(line).toMatch(/^uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
  });

  test('GIVEN a checkout THEN it does not leave the token in the git config', () => {
    for (const [, job] of jobs) for (const step of usesOf(job, 'actions/checkout')) expect(step.with).toMatchObject({ 'persist-credentials': false });
  });

  if (file !== 'pr.yml') {
    test('GIVEN any job (push, schedule or a manual dispatch from any branch) THEN it runs only on refs/heads/main', () => {
      for (const [name, job] of jobs) expect({ job: name, if: job.if ?? '' }).toEqual({ job: name, if: expect.stringContaining(MAIN_ONLY) });
    });
  }
});

describe('roles: one per job, of its own environment and purpose', () => {
  // Which role each credentialed job assumes, and the GitHub environment whose OIDC subject that role trusts.
  const expected: Array<[string, string, string, string | undefined]> = [
    ['pr.yml', 'plan', '${{ matrix.role }}', undefined],
    ['drift.yml', 'drift', '${{ matrix.role }}', '${{ matrix.environment }}-drift'],
    ['state-backup.yml', 'backup', '${{ matrix.role }}', '${{ matrix.environment }}-backup'],
    ...Array.from({ length: MAX_WAVES }, (_, i) => [
      ['apply.yml', `plan-wave-${i + 1}`, '${{ matrix.plan_role }}', '${{ matrix.environment }}-plan'] as [string, string, string, string],
      ['apply.yml', `apply-wave-${i + 1}`, '${{ matrix.apply_role }}', '${{ matrix.environment }}'] as [string, string, string, string],
    ]).flat(),
  ];

  test('GIVEN every workflow THEN exactly these jobs hold AWS credentials', () => {
    const actual = OURS.flatMap((file) => Object.entries(load(file).jobs).filter(([, job]) => roleOf(job)).map(([name]) => `${file}:${name}`));
    expect(actual.sort()).toEqual(expected.map(([f, j]) => `${f}:${j}`).sort());
  });

  test.each(expected)('GIVEN %s job %s THEN it assumes %s in GitHub environment %s', (file, jobName, role, environment) => {
    const job = load(file).jobs[jobName]!;
    expect(roleOf(job)).toBe(role);
    expect(environmentOf(job)).toBe(environment);
  });

  test('GIVEN a pull request THEN no job runs in a GitHub environment (whose subject a main-only role would trust)', () => {
    for (const [, job] of Object.entries(load('pr.yml').jobs)) expect(environmentOf(job)).toBeUndefined();
  });
});

describe('pr.yml', () => {
  const pr = load('pr.yml');

  test('GIVEN a pull request THEN lint, type-check and tests run (the tests include actionlint)', () => {
    expect(Object.keys(pr.on)).toEqual(['pull_request']);
    const checks = runs(pr.jobs.checks!);
    expect(checks).toMatch(/eslint --max-warnings 0/);
    expect(checks).toMatch(/npm run typecheck/);
    expect(checks).toMatch(/^npm test$/m);
  });

  test('GIVEN the synth job THEN it synthesizes, finds the affected stacks against the base branch with full history, and uploads cdktf.out', () => {
    const synth = pr.jobs.synth!;
    expect(usesOf(synth, 'actions/checkout')[0]!.with).toMatchObject({ 'fetch-depth': 0 });
    expect(runs(synth)).toMatch(/npx platform synth/);
    expect(runs(synth)).toMatch(/npx platform affected --base "origin\/\$BASE_REF" --json/);
    expect(usesOf(synth, 'actions/upload-artifact')[0]!.with).toMatchObject({ name: 'cdktf-out' });
    expect(synth.outputs).toEqual({ any: '${{ steps.matrix.outputs.any }}', matrix: '${{ steps.matrix.outputs.matrix }}' });
  });

  test('GIVEN the plan job THEN it plans only AWS-only stacks (--kind aws), one job per environment, and uploads the plans', () => {
    const plan = pr.jobs.plan!;
    expect(needsOf(plan)).toEqual(['synth']);
    expect(plan.strategy?.matrix).toBe('${{ fromJSON(needs.synth.outputs.matrix) }}');
    expect(runs(plan)).toMatch(/npx platform plan --kind aws .*"\$\{stacks\[@\]\}"/);
    expect(usesOf(plan, 'actions/upload-artifact')[0]!.with).toMatchObject({ path: 'cdktf.out/stacks/*/plan.json' });
  });

  test('GIVEN affected stacks of the generated environments WHEN the matrix step runs THEN each environment plans only its AWS-only stacks with its pr-plan role; cluster and bootstrap stacks are listed as not planned', () => {
    const envs = generatedEnvironments(threeWaves);
    const synth = pr.jobs.synth!;
    const steps = synth.steps.slice(synth.steps.findIndex((s) => /platform environments --json/.test(s.run ?? '')), synth.steps.findIndex((s) => s.id === 'matrix') + 1);
    const all = envs.environments.flatMap((e) => e.stacks.map((s) => s.id));
    const affected = {
      affected: all,
      // As `platform affected --json` writes it: environments by name, stacks sorted.
      environments: Object.fromEntries([...envs.environments].sort((a, b) => a.name.localeCompare(b.name)).map((e) => [e.name, e.stacks.map((s) => s.id).sort()])),
    };
    const result = runSteps(steps, envs, { 'affected.json': affected });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.outputs.any).toBe('true');
    const matrix = JSON.parse(result.outputs.matrix!) as { include: Array<Record<string, string>> };
    expect(matrix.include).toEqual(
      [...envs.environments]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((e) => ({ environment: e.name, region: e.region, role: ciRoleArn(e.accountId, e.name, 'pr-plan'), stacks: stackId(e.name, 'services') })),
    );
    expect(matrix.include.map((m) => m.environment)).toContain(GENERATED);
    expect(result.summary).toContain(`- \`${stackId(GENERATED, 'platform')}\`: not planned on pull requests (no cluster credentials here)`);
    expect(result.summary).toContain(`- \`${stackId(GENERATED, 'bootstrap')}\`: a bootstrap stack, applied by an administrator`);
  });

  test('GIVEN a change that affects only cluster stacks WHEN the matrix step runs THEN no plan job runs (any=false)', () => {
    const envs = generatedEnvironments(threeWaves);
    const synth = pr.jobs.synth!;
    const steps = synth.steps.filter((s) => s.id === 'matrix' || /platform environments --json/.test(s.run ?? ''));
    const platform = stackId(GENERATED, 'platform');
    const result = runSteps(steps, envs, { 'affected.json': { affected: [platform], environments: { [GENERATED]: [platform] } } });
    expect(result.code).toBe(0);
    expect(result.outputs).toMatchObject({ any: 'false', matrix: '{"include":[]}' });
  });

  test('GIVEN the comment job THEN it renders with `platform comment` and upserts by the hidden marker, with only pull-requests: write', () => {
    const comment = pr.jobs.comment!;
    expect(comment.permissions).toEqual({ contents: 'read', 'pull-requests': 'write' });
    expect(runs(comment)).toMatch(/npx platform comment --allow-empty .*--output comment\.md/s);
    // The object diff of the (unplanned) cluster stacks comes from the synth job's `platform affected --json`.
    expect(runs(comment)).toMatch(/npx platform comment .*--affected synth\/affected\.json/);
    expect(usesOf(comment, 'actions/download-artifact').some((st) => st.with?.name === 'cdktf-out' && st.with?.path === 'synth')).toBe(true);
    expect(usesOf(pr.jobs.synth!, 'actions/upload-artifact')[0]!.with!.path).toMatch(/^affected\.json$/m);
    const script = String(usesOf(comment, 'actions/github-script')[0]!.with!.script);
    expect(script).toMatch(/startsWith\(marker\)/);
    expect(script).toMatch(/updateComment/);
    expect(script).toMatch(/createComment/);
  });
});

describe('apply.yml', () => {
  const apply = load('apply.yml');
  const waves = Array.from({ length: MAX_WAVES }, (_, i) => i + 1);

  test('GIVEN a merge to main or a manual run THEN it runs on main only; there is no other trigger', () => {
    expect(Object.keys(apply.on).sort()).toEqual(['push', 'workflow_dispatch']);
    expect(apply.on.push).toEqual({ branches: ['main'] });
  });

  test(`GIVEN the waves THEN there is a plan and an apply job per wave up to ${MAX_WAVES}, in order, each a matrix of its wave and skipped when the wave is empty`, () => {
    expect(Object.keys(apply.jobs).sort()).toEqual(['synth', ...waves.flatMap((w) => [`plan-wave-${w}`, `apply-wave-${w}`])].sort());
    expect(Object.keys(apply.jobs.synth!.outputs ?? {})).toEqual(waves.map((w) => `wave${w}`));
    for (const w of waves) {
      const plan = apply.jobs[`plan-wave-${w}`]!;
      const job = apply.jobs[`apply-wave-${w}`]!;
      expect(needsOf(plan)).toEqual(w === 1 ? ['synth'] : ['synth', `apply-wave-${w - 1}`]);
      expect(needsOf(job)).toEqual(['synth', `plan-wave-${w}`]);
      for (const j of [plan, job]) {
        expect(j.if).toBe(`${MAIN_ONLY} && needs.synth.outputs.wave${w} != '[]'`);
        expect(j.strategy?.matrix).toEqual({ include: `\${{ fromJSON(needs.synth.outputs.wave${w}) }}` });
        expect(j.concurrency).toEqual({ group: 'apply-${{ matrix.environment }}', 'cancel-in-progress': false });
      }
    }
  });

  test('GIVEN a plan job THEN it plans the aws and cluster stacks of the merged commit (never bootstrap), runs the destroy guard, shows the plan and saves it', () => {
    for (const w of waves) {
      const plan = apply.jobs[`plan-wave-${w}`]!;
      expect(runs(plan)).toMatch(/npx platform plan --kind aws cluster "\$\{stacks\[@\]\}"/);
      expect(runs(plan)).not.toMatch(/platform synth|cdktf synth|tofu apply/);
      expect(stepIndex(plan, /npx platform guard --plans cdktf\.out/)).toBeGreaterThan(stepIndex(plan, /npx platform plan/));
      expect(usesOf(plan, 'actions/download-artifact').some((s) => s.with?.name === 'cdktf-out-${{ github.sha }}')).toBe(true);
      expect(usesOf(plan, 'actions/upload-artifact')[0]!.with).toMatchObject({ name: 'plan-${{ matrix.environment }}-${{ github.sha }}' });
    }
  });

  test('GIVEN an apply job THEN it applies exactly the reviewed plans after the destroy guard, in environment <env>', () => {
    for (const w of waves) {
      const job = apply.jobs[`apply-wave-${w}`]!;
      expect(job.steps.some((s) => s.uses?.startsWith('actions/download-artifact@') && s.with?.name === 'plan-${{ matrix.environment }}-${{ github.sha }}')).toBe(true);
      expect(runs(job)).toMatch(/tofu apply -input=false -lock-timeout=5m -no-color tfplan\) 2>&1 \| tee "\$log"; then/);
      // A failed apply is explained when it is a state-lock error (this run's own lock after a lost reply, or another run's), then fails.
      expect(runs(job)).toMatch(/npx platform explain-lock --stack "\$stack" --log "\$log" --started "\$started" --operation apply\n\s+exit 1/);
      expect(runs(job)).not.toMatch(/platform synth|cdktf synth|platform plan/);
      const guard = stepIndex(job, /npx platform guard --plans cdktf\.out/);
      expect(guard).toBeGreaterThan(-1);
      expect(guard).toBeLessThan(stepIndex(job, /tofu apply/));
    }
    // Only an apply job runs in the unsuffixed environment, where production tiers require reviewers.
    for (const [name, job] of Object.entries(apply.jobs)) {
      if (environmentOf(job) === '${{ matrix.environment }}') expect(name).toMatch(/^apply-wave-\d$/);
    }
  });

  test('GIVEN the generated environments (a made-up fourth in its own wave) WHEN the synth job computes the waves THEN each environment is in its wave with its own plan and apply roles and its aws then cluster stacks; empty waves are []', () => {
    const envs = generatedEnvironments(threeWaves);
    const synth = apply.jobs.synth!;
    const steps = synth.steps.slice(synth.steps.findIndex((s) => /platform environments --json/.test(s.run ?? '')), synth.steps.findIndex((s) => s.id === 'waves') + 1);
    const result = runSteps(steps, envs);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    for (const w of waves) {
      const inWave = envs.environments.filter((e) => e.wave === w);
      expect(JSON.parse(result.outputs[`wave${w}`]!)).toEqual(
        inWave.map((e) => ({
          environment: e.name,
          region: e.region,
          tier: e.tier,
          plan_role: ciRoleArn(e.accountId, e.name, 'plan'),
          apply_role: ciRoleArn(e.accountId, e.name, 'apply'),
          stacks: `${stackId(e.name, 'services')} ${stackId(e.name, 'platform')}`,
        })),
      );
    }
    expect(JSON.parse(result.outputs.wave3!).map((m: { environment: string }) => m.environment)).toEqual([GENERATED]);
    expect(result.outputs.wave4).toBe('[]');
  });

  test(`GIVEN more than ${MAX_WAVES} waves WHEN the synth job computes them THEN it fails saying so`, () => {
    const envs = generatedEnvironments((_e, i) => i + 1);
    const many = { environments: envs.environments, waves: Array.from({ length: MAX_WAVES + 1 }, (_, i) => ({ wave: i + 1, environments: [] })) };
    const synth = apply.jobs.synth!;
    const result = runSteps(synth.steps.filter((s) => s.id === 'waves' || /platform environments --json/.test(s.run ?? '')), many);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`::error::${MAX_WAVES + 1} promotion waves, but apply.yml has jobs for ${MAX_WAVES}`);
  });

  test('GIVEN the apply jobs THEN all use the one synthesized output of the merged commit; only the synth job synthesizes', () => {
    expect(usesOf(apply.jobs.synth!, 'actions/upload-artifact')[0]!.with).toMatchObject({ name: 'cdktf-out-${{ github.sha }}', path: 'cdktf.out' });
    for (const [name, job] of Object.entries(apply.jobs)) {
      if (name === 'synth') continue;
      expect(usesOf(job, 'actions/download-artifact').some((s) => s.with?.name === 'cdktf-out-${{ github.sha }}')).toBe(true);
      expect(runs(job)).not.toMatch(/platform synth|cdktf synth/);
    }
  });
});

describe.each([
  ['drift.yml', 'drift', 'drift'],
  ['state-backup.yml', 'backup', 'backup'],
] as const)('%s', (file, jobName, purpose) => {
  const workflow = load(file);

  test(`GIVEN the generated environments WHEN the environments job runs THEN each gets its own ${purpose} role, region and non-bootstrap stacks`, () => {
    const envs = generatedEnvironments(threeWaves);
    const result = runSteps(workflow.jobs.environments!.steps.filter((s) => s.id === 'list'), envs);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const matrix = JSON.parse(result.outputs.matrix!) as Array<Record<string, string>>;
    expect(matrix).toEqual(
      envs.environments.map((e) => ({
        environment: e.name,
        region: e.region,
        role: ciRoleArn(e.accountId, e.name, purpose),
        stacks: `${stackId(e.name, 'services')} ${stackId(e.name, 'platform')}`,
      })),
    );
    expect(workflow.jobs[jobName]!.strategy?.matrix).toEqual({ include: '${{ fromJSON(needs.environments.outputs.matrix) }}' });
    expect(workflow.jobs[jobName]!.concurrency).toMatchObject({ 'cancel-in-progress': false });
  });

  test('GIVEN a schedule and a manual trigger THEN those are the only triggers', () => {
    expect(Object.keys(workflow.on)).toEqual(['schedule', 'workflow_dispatch']);
  });
});

describe('drift.yml and state-backup.yml', () => {
  test('GIVEN the nightly drift check THEN it runs `platform drift` on the environment\'s stacks with the Slack webhook secret; drift (exit 2) fails the job', () => {
    const job = load('drift.yml').jobs.drift!;
    const step = job.steps.find((s) => /npx platform drift/.test(s.run ?? ''))!;
    expect(step.run).toMatch(/npx platform drift "\$\{stacks\[@\]\}" .*--markdown drift\.md --json drift\.json/);
    expect(step.env).toMatchObject({ SLACK_WEBHOOK_URL: '${{ secrets.SLACK_WEBHOOK_URL }}' });
    expect(step.run).not.toMatch(/\|\||; *true|exit 0/);
  });

  test('GIVEN the daily backup THEN it reads the bucket names from state-buckets.ts and runs backup_state.py backup per environment', () => {
    const job = load('state-backup.yml').jobs.backup!;
    expect(runs(job)).toMatch(/npx tsx packages\/state-tools\/src\/state-buckets\.ts > buckets\.json/);
    expect(runs(job)).toMatch(/python packages\/state-tools\/backup_state\.py backup --env "\$ENVIRONMENT" --buckets-json buckets\.json/);
  });
});
