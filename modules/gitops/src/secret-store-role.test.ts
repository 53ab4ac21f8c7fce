import { TerraformStack, Testing } from 'cdktf';
import { SecretStoreRole, type SecretStoreRoleProps } from './secret-store-role';

const props = (over: Partial<SecretStoreRoleProps> = {}): SecretStoreRoleProps => ({
  environment: 'envone',
  aws: { accountId: '111111111111', region: 'eu-west-1' },
  cluster: {
    oidcProviderArn: 'arn:aws:iam::111111111111:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF12',
    oidcIssuer: 'oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF12',
  },
  serviceAccount: { namespace: 'external-secrets', name: 'external-secrets' },
  services: ['payments', 'checkout'],
  ...over,
});

interface Tf {
  resource: Record<string, Record<string, Record<string, unknown>>>;
  data: Record<string, Record<string, { statement: Array<Record<string, unknown>> }>>;
}

function synth(p: SecretStoreRoleProps): { tf: Tf; role: SecretStoreRole } {
  const stack = new TerraformStack(Testing.app(), 'test');
  const role = new SecretStoreRole(stack, 'SecretStoreRole', p);
  return { tf: JSON.parse(Testing.synth(stack)) as Tf, role };
}

describe('SecretStoreRole', () => {
  it('GIVEN the controller service account WHEN synthesized THEN only it may assume the role through the OIDC provider', () => {
    const { tf } = synth(props());
    const role = Object.values(tf.resource.aws_iam_role!)[0]!;
    expect(role).toMatchObject({ name: 'external-secrets-envone-irsa', max_session_duration: 3600 });
    const trust = Object.entries(tf.data.aws_iam_policy_document!).find(([id]) => id.includes('TrustPolicy'))![1];
    expect(trust.statement).toEqual([
      expect.objectContaining({
        actions: ['sts:AssumeRoleWithWebIdentity'],
        principals: [{ type: 'Federated', identifiers: [props().cluster.oidcProviderArn] }],
        condition: [
          { test: 'StringEquals', variable: 'oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF12:sub', values: ['system:serviceaccount:external-secrets:external-secrets'] },
          { test: 'StringEquals', variable: 'oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF12:aud', values: ['sts.amazonaws.com'] },
        ],
      }),
    ]);
  });

  it('GIVEN two services WHEN synthesized THEN the role reads (only) their <env>/<service>/* secrets in the account and region', () => {
    const { tf, role } = synth(props());
    const read = Object.entries(tf.data.aws_iam_policy_document!).find(([id]) => id.includes('ReadPolicyDocument'))![1];
    expect(read.statement).toEqual([
      expect.objectContaining({
        effect: 'Allow',
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        resources: [
          'arn:aws:secretsmanager:eu-west-1:111111111111:secret:envone/checkout/*',
          'arn:aws:secretsmanager:eu-west-1:111111111111:secret:envone/payments/*',
        ],
      }),
    ]);
    expect(Object.values(tf.resource.aws_iam_role_policy!)[0]).toMatchObject({ name: 'read-service-secrets' });
    expect(role.readableSecretArns).toHaveLength(2);
    expect(role.roleName).toBe('external-secrets-envone-irsa');
  });

  it('GIVEN no services with secrets WHEN synthesized THEN the role has no permissions at all', () => {
    const { tf } = synth(props({ services: [] }));
    expect(tf.resource).not.toHaveProperty('aws_iam_role_policy');
  });

  it('GIVEN invalid props WHEN constructed THEN one error lists them all', () => {
    expect(() => synth(props({ environment: 'Dev', aws: { accountId: '123', region: 'europe' }, services: ['P'] }))).toThrow(
      /SecretStoreRole "test\/SecretStoreRole": 4 invalid props[\s\S]*environment "Dev"[\s\S]*aws\.accountId "123"[\s\S]*aws\.region "europe"[\s\S]*services\[0\] "P"/
    );
  });
});
