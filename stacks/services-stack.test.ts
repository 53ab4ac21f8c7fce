import * as path from 'node:path';
import { loadEnvironments } from '@platform/config';
import { environmentFixture, environmentOfTier, expectFileSnapshot, expectNoStaleSnapshots, firstEnvironment, repoRoot, stackSnapshot, stackSnapshotFile, synthJson } from '@platform/testing';
import { App } from 'cdktf';
import { ServicesStack } from './services-stack';

const envs = loadEnvironments(path.join(repoRoot, 'envs'), { root: repoRoot });

describe('ServicesStack', () => {
  // One reviewed snapshot file per environment (stacks/__snapshots__/<env>-services.yaml, metadata
  // stripped): a PR that changes what a stack synthesizes shows the change there.
  test.each(envs.map((e) => [e.name, e] as const))('GIVEN envs/%s.yaml WHEN synthesized THEN it matches its reviewed snapshot file', (_name, env) => {
    const stack = new ServicesStack(new App(), env);
    expectFileSnapshot(stackSnapshot(synthJson(stack), stack.node.id), stackSnapshotFile(stack.node.id));
  });

  test('GIVEN envs/ WHEN the snapshot files are listed THEN each belongs to an environment (none left of a removed one)', () => {
    const files = envs.map((env) => stackSnapshotFile(new ServicesStack(new App(), env).node.id));
    expectNoStaleSnapshots(path.dirname(files[0]!), '-services.yaml', files);
  });

  test.each(envs.map((e) => [e.name, e] as const))('GIVEN envs/%s.yaml WHEN synthesized THEN there is one ECR/IAM/log group/DNS set per service', (_name, env) => {
    const json = synthJson(new ServicesStack(new App(), env));
    for (const type of ['aws_ecr_repository', 'aws_ecr_lifecycle_policy', 'aws_iam_role', 'aws_cloudwatch_log_group', 'aws_route53_record']) {
      expect(json).toHaveResourceCount(type, env.services.length);
    }
    for (const svc of env.services) {
      expect(json).toHaveResourceDeep('aws_route53_record', { name: svc.hostname, zone_id: env.dns.zoneId });
      expect(json).toHaveResourceDeep('aws_ecr_repository', { name: `${svc.name}-${env.name}` });
    }
  });

  test('GIVEN a per-service retention WHEN synthesized THEN it overrides the environment default', () => {
    const env = environmentFixture(environmentOfTier('production'), {
      logs: { retentionDays: 365 },
      services: [
        { name: 'payments', hostname: `payments.${environmentFixture(environmentOfTier('production')).dns.zoneName}`, logRetentionDays: 731 },
        { name: 'checkout', hostname: `checkout.${environmentFixture(environmentOfTier('production')).dns.zoneName}` },
      ],
    });
    const json = synthJson(new ServicesStack(new App(), env));
    expect(json).toHaveResourceDeep('aws_cloudwatch_log_group', { name: `/platform/${env.name}/payments`, retention_in_days: 731 });
    expect(json).toHaveResourceDeep('aws_cloudwatch_log_group', { name: `/platform/${env.name}/checkout`, retention_in_days: 365 });
  });

  test('GIVEN preventDestroy WHEN synthesized THEN repositories and log groups are protected; without it they are not', () => {
    const prod = synthJson(new ServicesStack(new App(), environmentFixture(environmentOfTier('production'), { preventDestroy: true })));
    const dev = synthJson(new ServicesStack(new App(), environmentFixture(firstEnvironment(), { preventDestroy: false })));
    for (const type of ['aws_ecr_repository', 'aws_cloudwatch_log_group']) {
      expect(Object.values(prod.resource?.[type] ?? {}).every((r) => (r.lifecycle as { prevent_destroy?: boolean })?.prevent_destroy === true)).toBe(true);
      expect(Object.values(dev.resource?.[type] ?? {}).some((r) => 'lifecycle' in r)).toBe(false);
    }
  });

  test('GIVEN an environment without services WHEN synthesized THEN the stack has no resources but keeps its backend', () => {
    const json = synthJson(new ServicesStack(new App(), environmentFixture(firstEnvironment(), { services: [] })));
    expect(json.resource).toBeUndefined();
    expect(json.terraform?.backend).toMatchObject({ s3: { key: `${firstEnvironment()}/services.tfstate` } });
  });
});
