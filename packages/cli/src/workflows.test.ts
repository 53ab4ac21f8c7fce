import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { toolPath } from '@platform/testing';
import { parse } from 'yaml';
import { cleanTemps, REPO_ROOT, tempDir } from '../test/helpers';

/** The CI workflows: real `actionlint` on every file, then the properties the platform relies on. */
const WORKFLOWS = path.join(REPO_ROOT, '.github', 'workflows');
const OURS = ['apply.yml', 'drift.yml', 'pr.yml', 'state-backup.yml'];

interface Step {
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
  readonly strategy?: { readonly matrix?: unknown };
  readonly steps: readonly Step[];
}
interface Workflow {
  readonly on: Record<string, unknown>;
  readonly permissions?: Record<string, string>;
  readonly jobs: Record<string, Job>;
}

const text = (file: string): string => readFileSync(path.join(WORKFLOWS, file), 'utf8');
const load = (file: string): Workflow => parse(text(file)) as Workflow;
const usesOf = (job: Job, action: string): Step[] => job.steps.filter((s) => s.uses?.startsWith(`${action}@`));
const runs = (job: Job): string => job.steps.map((s) => s.run ?? '').join('\n');
const needsOf = (job: Job): string[] => (job.needs === undefined ? [] : typeof job.needs === 'string' ? [job.needs] : [...job.needs]);

function actionlint(args: readonly string[]): { code: number; output: string } {
  const result = spawnSync(toolPath('actionlint'), ['-no-color', ...args], { cwd: REPO_ROOT, encoding: 'utf8' });
  return { code: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

afterAll(cleanTemps);

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

  test('GIVEN the AWS credential steps THEN they assume a role (OIDC) and no long-lived key appears anywhere', () => {
    expect(text(file)).not.toMatch(/AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|aws-access-key-id|aws-secret-access-key|AWS_SESSION_TOKEN/i);
    for (const [, job] of jobs) {
      for (const step of usesOf(job, 'aws-actions/configure-aws-credentials')) {
        expect(step.with).toMatchObject({ 'role-to-assume': expect.stringMatching(/^\$\{\{ .*vars\./) });
      }
    }
  });

  test('GIVEN every action THEN it is pinned to a full commit SHA with its release in a comment', () => {
    const uses = text(file).match(/uses: .*/g) ?? [];
    expect(uses.length).toBeGreaterThan(0);
    for (const line of uses) expect(line).toMatch(/^uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
  });

  test('GIVEN a checkout THEN it does not leave the token in the git config', () => {
    for (const [, job] of jobs) for (const step of usesOf(job, 'actions/checkout')) expect(step.with).toMatchObject({ 'persist-credentials': false });
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
  });

  test('GIVEN the plan job THEN it plans only the affected stacks, one job per environment, with that environment\'s plan role, and uploads the plans', () => {
    const plan = pr.jobs.plan!;
    expect(needsOf(plan)).toEqual(['synth']);
    expect(plan.strategy?.matrix).toBe('${{ fromJSON(needs.synth.outputs.matrix) }}');
    expect(usesOf(plan, 'aws-actions/configure-aws-credentials')[0]!.with!['role-to-assume']).toBe('${{ fromJSON(vars.AWS_PLAN_ROLE_ARNS)[matrix.environment] }}');
    expect(runs(plan)).toMatch(/npx platform plan .*"\$\{stacks\[@\]\}"/);
    expect(usesOf(plan, 'actions/upload-artifact')[0]!.with).toMatchObject({ path: 'cdktf.out/stacks/*/plan.json' });
    // Read-only: the providers assume no further role (aws_role_arn empty), so the plan runs as the plan role.
    expect(plan.steps.find((s) => /npx platform plan/.test(s.run ?? ''))!.env).toMatchObject({ TF_VAR_aws_role_arn: '' });
  });

  test('GIVEN the comment job THEN it renders with `platform comment` and upserts by the hidden marker, with only pull-requests: write', () => {
    const comment = pr.jobs.comment!;
    expect(comment.permissions).toEqual({ contents: 'read', 'pull-requests': 'write' });
    expect(runs(comment)).toMatch(/npx platform comment --allow-empty .*--output comment\.md/s);
    const script = String(usesOf(comment, 'actions/github-script')[0]!.with!.script);
    expect(script).toMatch(/startsWith\(marker\)/);
    expect(script).toMatch(/updateComment/);
    expect(script).toMatch(/createComment/);
  });
});

describe('apply.yml', () => {
  const apply = load('apply.yml');
  const environmentOf = (job: Job): string | undefined => (typeof job.environment === 'string' ? job.environment : job.environment?.name);

  test('GIVEN a merge to main THEN dev, then staging, then prod apply in that order', () => {
    expect(Object.keys(apply.on)).toEqual(expect.arrayContaining(['push']));
    expect(apply.on.push).toEqual({ branches: ['main'] });
    expect(needsOf(apply.jobs['apply-dev']!)).toEqual(['synth']);
    expect(needsOf(apply.jobs['apply-staging']!)).toEqual(['apply-dev']);
    expect(needsOf(apply.jobs['plan-prod']!)).toEqual(['apply-staging']);
    expect(needsOf(apply.jobs['apply-prod']!)).toEqual(['plan-prod']);
  });

  test('GIVEN the prod apply THEN it runs only through the prod environment (required reviewers) and applies the reviewed plan files', () => {
    const prod = apply.jobs['apply-prod']!;
    expect(prod.environment).toBe('prod');
    expect(prod.steps.some((s) => s.uses?.startsWith('actions/download-artifact@') && s.with?.name === 'prod-plan-${{ github.sha }}')).toBe(true);
    expect(runs(prod)).toMatch(/tofu apply -input=false -lock-timeout=5m -no-color tfplan/);
    // Only the prod job may touch prod with write access.
    for (const [name, job] of Object.entries(apply.jobs)) if (name !== 'apply-prod') expect(environmentOf(job)).not.toBe('prod');
  });

  test('GIVEN two runs THEN no two applies of one environment overlap (one concurrency group per environment, never cancelled)', () => {
    for (const [name, env] of [['apply-dev', 'dev'], ['apply-staging', 'staging'], ['plan-prod', 'prod'], ['apply-prod', 'prod']] as const) {
      expect({ name, concurrency: apply.jobs[name]!.concurrency }).toEqual({ name, concurrency: { group: `apply-${env}`, 'cancel-in-progress': false } });
    }
    for (const [, job] of Object.entries(apply.jobs)) {
      const env = environmentOf(job);
      if (env) expect(job.concurrency).toMatchObject({ group: `apply-${env}` });
    }
  });

  test('GIVEN the apply jobs THEN all use the one synthesized output of the merged commit; only the synth job synthesizes', () => {
    expect(usesOf(apply.jobs.synth!, 'actions/upload-artifact')[0]!.with).toMatchObject({ name: 'cdktf-out-${{ github.sha }}', path: 'cdktf.out' });
    for (const name of ['apply-dev', 'apply-staging', 'plan-prod', 'apply-prod']) {
      const job = apply.jobs[name]!;
      expect(usesOf(job, 'actions/download-artifact').some((s) => s.with?.name === 'cdktf-out-${{ github.sha }}')).toBe(true);
      expect(runs(job)).not.toMatch(/platform synth|cdktf synth/);
    }
  });
});

describe('drift.yml and state-backup.yml', () => {
  test('GIVEN the nightly drift check THEN it runs `platform drift` per environment with the Slack webhook secret; drift (exit 2) fails the job', () => {
    const drift = load('drift.yml');
    expect(Object.keys(drift.on)).toEqual(['schedule', 'workflow_dispatch']);
    const job = drift.jobs.drift!;
    const step = job.steps.find((s) => /npx platform drift/.test(s.run ?? ''))!;
    expect(step.run).toMatch(/--markdown drift\.md --json drift\.json/);
    expect(step.env).toMatchObject({ SLACK_WEBHOOK_URL: '${{ secrets.SLACK_WEBHOOK_URL }}', TF_VAR_aws_role_arn: '' });
    expect(step.run).not.toMatch(/\|\||; *true|exit 0/);
  });

  test('GIVEN the daily backup THEN it reads the bucket names from state-buckets.ts and runs backup_state.py backup per environment with its own role', () => {
    const backup = load('state-backup.yml');
    expect(Object.keys(backup.on)).toEqual(['schedule', 'workflow_dispatch']);
    const job = backup.jobs.backup!;
    expect(runs(job)).toMatch(/npx tsx packages\/state-tools\/src\/state-buckets\.ts > buckets\.json/);
    expect(runs(job)).toMatch(/python packages\/state-tools\/backup_state\.py backup --env "\$ENVIRONMENT" --buckets-json buckets\.json/);
    expect(usesOf(job, 'aws-actions/configure-aws-credentials')[0]!.with!['role-to-assume']).toBe('${{ fromJSON(vars.AWS_STATE_BACKUP_ROLE_ARNS)[matrix.environment] }}');
  });
});
