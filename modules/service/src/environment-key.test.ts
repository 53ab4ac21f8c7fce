import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { awsTestStack, synthJson } from '@platform/testing';
import { EnvironmentKey, type EnvironmentKeyProps } from './environment-key';

const AWS = { accountId: '444455556666', region: 'eu-central-1' };

function synth(props: Partial<EnvironmentKeyProps> = {}) {
  const stack = awsTestStack('key');
  const key = new EnvironmentKey(stack, 'EnvironmentKey', { environment: 'envone', aws: AWS, ...props });
  const json = synthJson(stack);
  const policy = JSON.parse(Object.values(json.resource?.aws_kms_key ?? {})[0]!.policy as string) as { Version: string; Statement: Array<Record<string, unknown>> };
  return { json, key, statements: policy.Statement, policy };
}

describe('EnvironmentKey', () => {
  test('GIVEN logs and images WHEN synthesized THEN the key rotates, has a 30-day deletion window, an alias and a literal JSON policy with one Sid per intent', () => {
    const { json, policy, key } = synth({ logs: true, images: true });
    expect(json).toHaveResourceDeep('aws_kms_key', { enable_key_rotation: true, deletion_window_in_days: 30 });
    expect(policy).toEqual(key.policy);
    expect(policy.Version).toBe('2012-10-17');
    expect(policy.Statement.map((s) => s.Sid)).toEqual(['AccountAdministersKey', 'CloudWatchLogsUsesKeyForEnvironmentLogGroups', 'EcrCreatesGrantsForRepositories']);
    expect(json).toHaveResourceDeep('aws_kms_alias', { name: 'alias/platform/envone' });
  });

  test('GIVEN any key WHEN synthesized THEN the account root administers it', () => {
    const { statements } = synth();
    expect(statements).toEqual([{ Sid: 'AccountAdministersKey', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::444455556666:root' }, Action: 'kms:*', Resource: '*' }]);
  });

  test("GIVEN logs WHEN synthesized THEN CloudWatch Logs of the region may use the key only for the environment's log groups", () => {
    const { statements } = synth({ logs: true });
    expect(statements.find((s) => s.Sid === 'CloudWatchLogsUsesKeyForEnvironmentLogGroups')).toEqual({
      Sid: 'CloudWatchLogsUsesKeyForEnvironmentLogGroups',
      Effect: 'Allow',
      Principal: { Service: 'logs.eu-central-1.amazonaws.com' },
      Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      Resource: '*',
      Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': 'arn:aws:logs:eu-central-1:444455556666:log-group:/platform/envone/*' } },
    });
    expect(statements.map((s) => s.Sid)).not.toContain('EcrCreatesGrantsForRepositories');
  });

  test('GIVEN images WHEN synthesized THEN the account may create grants only for AWS resources, only through ECR in the region', () => {
    const { statements } = synth({ images: true });
    expect(statements.find((s) => s.Sid === 'EcrCreatesGrantsForRepositories')).toEqual({
      Sid: 'EcrCreatesGrantsForRepositories',
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::444455556666:root' },
      Action: 'kms:CreateGrant',
      Resource: '*',
      Condition: {
        Bool: { 'kms:GrantIsForAWSResource': 'true' },
        StringEquals: { 'kms:ViaService': 'ecr.eu-central-1.amazonaws.com', 'kms:CallerAccount': '444455556666' },
      },
    });
    expect(statements.map((s) => s.Sid)).not.toContain('CloudWatchLogsUsesKeyForEnvironmentLogGroups');
  });

  test('GIVEN preventDestroy WHEN synthesized THEN the key is protected; without it, it is not', () => {
    expect(synth({ preventDestroy: true }).json).toHaveResourceDeep('aws_kms_key', { lifecycle: { prevent_destroy: true } });
    expect(Object.values(synth().json.resource?.aws_kms_key ?? {})[0]).not.toHaveProperty('lifecycle');
  });

  test("GIVEN a provider (the environment's region, when the stack's default is another) WHEN synthesized THEN the key and its alias use it; without one, neither names a provider", () => {
    const stack = awsTestStack('key');
    const provider = new AwsProvider(stack, 'aws_workload', { alias: 'workload', region: 'eu-central-1' });
    new EnvironmentKey(stack, 'EnvironmentKey', { environment: 'envone', aws: AWS, logs: true, provider });
    const json = synthJson(stack);
    expect(json).toHaveResourceDeep('aws_kms_key', { provider: 'aws.workload' });
    expect(json).toHaveResourceDeep('aws_kms_alias', { name: 'alias/platform/envone', provider: 'aws.workload' });
    const plain = synth({ logs: true }).json;
    for (const type of ['aws_kms_key', 'aws_kms_alias']) expect(Object.values(plain.resource?.[type] ?? {})[0]).not.toHaveProperty('provider');
  });

  test.each<[string, Partial<EnvironmentKeyProps>, RegExp]>([
    ['a bad account', { aws: { accountId: '12', region: 'eu-central-1' } }, /aws\.accountId "12" is not an AWS account ID/],
    ['a bad region', { aws: { accountId: '444455556666', region: 'mars' } }, /aws\.region "mars" is not an AWS region/],
    ['a bad environment', { environment: 'ENV 1' }, /environment "ENV 1" is not an environment name/],
  ])('GIVEN %s WHEN constructed THEN it throws naming the prop', (_l, props, message) => {
    expect(() => synth(props)).toThrow(message);
  });
});
