import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { environmentFixture, tofu, tofuOk } from '@platform/testing';
import { App, LocalBackend, TerraformOutput, TerraformStack } from 'cdktf';
import { awsRoleVariable } from './environment-stack';
import { eksTokenCommand } from './kubernetes-providers';

// The role switch is Terraform expressions; prove them with a real engine (OpenTofu), not by reading JSON.
describe('aws_role_arn (the role the AWS provider and the EKS token assume)', () => {
  const env = environmentFixture();
  const deployRole = `arn:aws:iam::${env.aws.accountId}:role/${env.aws.deployRoleName}`;
  let work: string;
  let stackDir: string;
  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'aws-role-'));
    const app = new App({ outdir: path.join(work, 'out'), stackTraces: false });
    const stack = new TerraformStack(app, 'probe');
    new LocalBackend(stack, { path: path.join(work, 'terraform.tfstate') });
    const role = awsRoleVariable(stack, env);
    new TerraformOutput(stack, 'role', { value: role.stringValue });
    new TerraformOutput(stack, 'token_args', { value: eksTokenCommand(env).args });
    app.synth();
    stackDir = path.join(work, 'out', 'stacks', 'probe');
    await tofuOk(['init', '-input=false'], { cwd: stackDir });
  }, 60_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const outputs = async (vars: Record<string, string>) => {
    await tofuOk(['apply', '-input=false', '-auto-approve'], { cwd: stackDir, env: vars });
    const shown = await tofuOk(['output', '-json'], { cwd: stackDir });
    return JSON.parse(shown.stdout) as { role: { value: string }; token_args: { value: string[] } };
  };

  // The default is the deploy role: the break-glass path for people (an administrator's run, the bootstrap).
  test('GIVEN no override (a person, break-glass) THEN the deploy role is assumed by the provider and the token command', async () => {
    const out = await outputs({});
    expect(out.role.value).toBe(deployRole);
    expect(out.token_args.value).toEqual(['eks', 'get-token', '--cluster-name', env.cluster.name, '--region', env.aws.region, '--output', 'json', '--role-arn', deployRole]);
  });

  // Every CI job sets it empty (asserted for every workflow in packages/cli/src/workflows.test.ts): the job
  // runs as its own OIDC role (platform-ci-<env>-<purpose>) and never chains into another role.
  test('GIVEN TF_VAR_aws_role_arn="" (every CI job) THEN no role is assumed anywhere: the job runs as its own OIDC role', async () => {
    const out = await outputs({ TF_VAR_aws_role_arn: '' });
    expect(out.role.value).toBe('');
    expect(out.token_args.value).not.toContain('--role-arn');
  });

  test('GIVEN a role in another account THEN the variable validation refuses it', async () => {
    const result = await tofu(['plan', '-input=false'], { cwd: stackDir, env: { TF_VAR_aws_role_arn: 'arn:aws:iam::999999999999:role/admin' } });
    expect(result.code).toBe(1);
    expect(result.stderr.replace(/\s+/g, ' ')).toContain(`aws_role_arn must be empty or a role in account ${env.aws.accountId}`);
  });
});
