import * as naming from './naming';

describe('naming', () => {
  test.each<[string, string, string]>([
    ['resourceName', naming.resourceName('payments', 'envone'), 'payments-envone'],
    ['resourceName with suffix', naming.resourceName('payments', 'envone', 'cache'), 'payments-envone-cache'],
    ['repositoryName', naming.repositoryName('payments', 'envthree'), 'payments-envthree'],
    ['workloadRoleName', naming.workloadRoleName('payments', 'envthree'), 'payments-envthree-workload'],
    ['logGroupName', naming.logGroupName('payments', 'envtwo'), '/platform/envtwo/payments'],
    ['stackId', naming.stackId('envone', 'services'), 'envone-services'],
    ['stateKey', naming.stateKey('envone', 'services'), 'envone/services.tfstate'],
    ['deployRoleArn', naming.deployRoleArn('111111111111', 'platform-terraform'), 'arn:aws:iam::111111111111:role/platform-terraform'],
    ['workloadRoleArn', naming.workloadRoleArn('111111111111', 'payments', 'envone'), 'arn:aws:iam::111111111111:role/payments-envone-workload'],
    ['repositoryUrl', naming.repositoryUrl('111111111111', 'eu-west-1', 'payments', 'envone'), '111111111111.dkr.ecr.eu-west-1.amazonaws.com/payments-envone'],
    ['oidcProviderArn', naming.oidcProviderArn('111111111111', 'oidc.eks.eu-west-1.amazonaws.com/id/ABC'), 'arn:aws:iam::111111111111:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC'],
    ['roleArn in another partition', naming.roleArn('111111111111', 'r', 'aws-us-gov'), 'arn:aws-us-gov:iam::111111111111:role/r'],
  ])('GIVEN %s THEN the name follows the house pattern', (_label, actual, expected) => {
    expect(actual).toBe(expected);
  });

  test('GIVEN any two environments THEN their state keys never collide and their stack ids differ', () => {
    const envs = ['envone', 'envtwo', 'envthree'];
    const stacks = ['services', 'platform'];
    const keys = envs.flatMap((e) => stacks.map((s) => naming.stateKey(e, s)));
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).not.toContain(naming.bootstrapStateKey());
  });
});
