import { ConfigError } from '@platform/config';
import { awsTestStack, synthJson } from '@platform/testing';

import { TerraformVariable } from 'cdktf';
import { ServiceModule, type ServiceModuleProps } from './service-module';

const ISSUER = 'oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF0123456789';

function props(overrides: Partial<ServiceModuleProps> = {}): ServiceModuleProps {
  return {
    name: 'payments',
    environment: 'envone',
    cluster: { oidcProviderArn: `arn:aws:iam::111111111111:oidc-provider/${ISSUER}`, oidcIssuer: ISSUER },
    dns: {
      zoneId: 'Z0DEV0001',
      zoneName: 'envone.example.com',
      hostname: 'payments.envone.example.com',
      target: { type: 'alias', dnsName: 'lb-1.eu-west-1.elb.amazonaws.com', zoneId: 'Z32O12XQLNTSW2' },
    },
    ...overrides,
  };
}

function synth(p: ServiceModuleProps) {
  const stack = awsTestStack();
  const module = new ServiceModule(stack, p.name, p);
  return { json: synthJson(stack), module };
}

describe('ServiceModule', () => {
  describe('defaults', () => {
    // GIVEN minimal props  WHEN synthesized
    const { json } = synth(props());

    test('THEN the ECR repository has immutable tags, scan on push and AES256 encryption', () => {
      expect(json).toHaveResourceDeep('aws_ecr_repository', {
        name: 'payments-envone',
        image_tag_mutability: 'IMMUTABLE',
        image_scanning_configuration: { scan_on_push: true },
        encryption_configuration: [{ encryption_type: 'AES256' }],
      });
      expect(json.resource?.aws_ecr_repository?.payments_Repository_E9CC2F7F?.lifecycle).toBeUndefined();
    });

    test('THEN the lifecycle policy expires untagged images after 7 days and keeps 30 tagged', () => {
      expect(json).toHaveDataSourceDeep('aws_ecr_lifecycle_policy_document', {
        rule: [
          { priority: 1, selection: [{ tag_status: 'untagged', count_type: 'sinceImagePushed', count_number: 7, count_unit: 'days' }], action: [{ type: 'expire' }] },
          { priority: 2, selection: [{ count_type: 'imageCountMoreThan', count_number: 30 }], action: [{ type: 'expire' }] },
        ],
      });
      expect(json).toHaveResourceDeep('aws_ecr_lifecycle_policy', { policy: expect.stringMatching(/aws_ecr_lifecycle_policy_document\..+\.json/) });
    });

    test('THEN the workload role trusts only the service account through the OIDC provider, via a policy document', () => {
      expect(json).toHaveDataSourceDeep('aws_iam_policy_document', {
        statement: [
          {
            effect: 'Allow',
            actions: ['sts:AssumeRoleWithWebIdentity'],
            principals: [{ type: 'Federated', identifiers: [`arn:aws:iam::111111111111:oidc-provider/${ISSUER}`] }],
            condition: [
              { test: 'StringEquals', variable: `${ISSUER}:sub`, values: ['system:serviceaccount:payments:payments'] },
              { test: 'StringEquals', variable: `${ISSUER}:aud`, values: ['sts.amazonaws.com'] },
            ],
          },
        ],
      });
      expect(json).toHaveResourceDeep('aws_iam_role', {
        name: 'payments-envone-workload',
        assume_role_policy: expect.stringMatching(/^\$\{data\.aws_iam_policy_document\..+\.json\}$/),
      });
    });

    test('THEN the log group keeps logs 30 days with service-managed encryption', () => {
      expect(json).toHaveResourceDeep('aws_cloudwatch_log_group', { name: '/platform/envone/payments', retention_in_days: 30 });
      const [group] = Object.values(json.resource?.aws_cloudwatch_log_group ?? {});
      expect(group).not.toHaveProperty('kms_key_id');
    });

    test('THEN the hostname is an alias A record to the ingress', () => {
      expect(json).toHaveResourceDeep('aws_route53_record', {
        zone_id: 'Z0DEV0001',
        name: 'payments.envone.example.com',
        type: 'A',
        alias: { name: 'lb-1.eu-west-1.elb.amazonaws.com', zone_id: 'Z32O12XQLNTSW2', evaluate_target_health: true },
      });
    });

    test('THEN exactly one of each resource is created', () => {
      for (const type of ['aws_ecr_repository', 'aws_ecr_lifecycle_policy', 'aws_iam_role', 'aws_cloudwatch_log_group', 'aws_route53_record']) {
        expect(json).toHaveResourceCount(type, 1);
      }
      expect(json).toHaveNoResource('aws_iam_role_policy');
    });

    test('THEN the four outputs are named after the service', () => {
      expect(Object.keys(json.output ?? {}).sort()).toEqual(['payments_fqdn', 'payments_log_group_name', 'payments_repository_url', 'payments_role_arn']);
      expect(json.output?.payments_role_arn).toMatchObject({ value: expect.stringMatching(/aws_iam_role\..+\.arn/) });
    });
  });

  test('GIVEN KMS keys, a CNAME target, a custom workload and protection WHEN synthesized THEN each is honoured', () => {
    const kms = 'arn:aws:kms:eu-west-1:111111111111:key/abcd-1234';
    const { json } = synth(
      props({
        workload: { namespace: 'shop', serviceAccount: 'payments-api' },
        logs: { retentionDays: 365, kmsKeyArn: kms },
        repository: { kmsKeyArn: kms, keepTaggedImages: 50, untaggedExpiryDays: 3 },
        dns: { zoneId: 'Z0DEV0001', zoneName: 'envone.example.com', hostname: 'pay.envone.example.com', target: { type: 'cname', target: 'ingress.envone.example.com' } },
        preventDestroy: true,
      }),
    );
    expect(json).toHaveResourceDeep('aws_ecr_repository', { encryption_configuration: [{ encryption_type: 'KMS', kms_key: kms }], lifecycle: { prevent_destroy: true } });
    expect(json).toHaveResourceDeep('aws_cloudwatch_log_group', { retention_in_days: 365, kms_key_id: kms, lifecycle: { prevent_destroy: true } });
    expect(json).toHaveResourceDeep('aws_route53_record', { type: 'CNAME', ttl: 300, records: ['ingress.envone.example.com'] });
    expect(json).toHaveDataSourceDeep('aws_iam_policy_document', { statement: [{ condition: [{ values: ['system:serviceaccount:shop:payments-api'] }] }] });
    expect(json).toHaveDataSourceDeep('aws_ecr_lifecycle_policy_document', { rule: [{ selection: [{ count_number: 3 }] }, { selection: [{ count_number: 50 }] }] });
  });

  test('GIVEN the module WHEN constructed THEN its public attributes are tokens for the four outputs', () => {
    const { module } = synth(props());
    for (const value of [module.repositoryUrl, module.roleArn, module.logGroupName, module.fqdn]) {
      expect(value).toMatch(/\$\{TfToken\[TOKEN\.\d+\]\}/);
    }
  });

  describe('permission seam', () => {
    const AWS = { accountId: '444455556666', region: 'eu-central-1' };
    function policyOf(module: ServiceModule, stack: ReturnType<typeof awsTestStack>) {
      const json = synthJson(stack);
      const docs = Object.values(json.data?.aws_iam_policy_document ?? {}) as Array<{ statement: Array<Record<string, unknown>> }>;
      return { json, doc: docs.find((d) => d.statement.some((st) => st.sid !== 'ServiceAccountWebIdentity')), module };
    }

    test('GIVEN grantSecretsRead() WHEN synthesized THEN the role may read only <env>/<service>/* in its account and region, through one inline policy', () => {
      const stack = awsTestStack('grant');
      const module = new ServiceModule(stack, 'payments', props({ environment: 'envone', aws: AWS }));
      module.grantSecretsRead();
      const { json, doc } = policyOf(module, stack);
      expect(doc!.statement).toEqual([
        {
          sid: 'ReadOwnSecrets',
          effect: 'Allow',
          actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
          resources: ['arn:aws:secretsmanager:eu-central-1:444455556666:secret:envone/payments/*'],
        },
      ]);
      expect(json).toHaveResourceCount('aws_iam_role_policy', 1);
      expect(json).toHaveResourceDeep('aws_iam_role_policy', { name: 'workload', policy: expect.stringMatching(/^\$\{data\.aws_iam_policy_document\..+\.json\}$/) });
    });

    test('GIVEN grantSecretsRead with a customer-managed key WHEN synthesized THEN kms:Decrypt on that key is allowed only via Secrets Manager in the region', () => {
      const stack = awsTestStack('grant-kms');
      const module = new ServiceModule(stack, 'payments', props({ environment: 'envone', aws: AWS }));
      const key = 'arn:aws:kms:eu-central-1:444455556666:key/1111-2222';
      module.grantSecretsRead({ kmsKeyArn: key });
      const { doc } = policyOf(module, stack);
      expect(doc!.statement[1]).toEqual({
        sid: 'DecryptOwnSecrets',
        effect: 'Allow',
        actions: ['kms:Decrypt'],
        resources: [key],
        condition: [{ test: 'StringEquals', variable: 'kms:ViaService', values: ['secretsmanager.eu-central-1.amazonaws.com'] }],
      });
    });

    test('GIVEN addToRolePolicy after a grant WHEN synthesized THEN both statements are in the same document, in order', () => {
      const stack = awsTestStack('add');
      const module = new ServiceModule(stack, 'payments', props({ environment: 'envone', aws: AWS }));
      module.grantSecretsRead();
      module.addToRolePolicy({ sid: 'ReadQueue', effect: 'Allow', actions: ['sqs:ReceiveMessage'], resources: ['arn:aws:sqs:eu-central-1:444455556666:payments-envone'] });
      const { json, doc } = policyOf(module, stack);
      expect(doc!.statement.map((st) => st.sid)).toEqual(['ReadOwnSecrets', 'ReadQueue']);
      expect(json).toHaveResourceCount('aws_iam_role_policy', 1);
    });

    test.each<[string, (m: ServiceModule) => void, RegExp]>([
      ['a statement without sid', (m) => m.addToRolePolicy({ effect: 'Allow', actions: ['s3:GetObject'], resources: ['arn:aws:s3:::b/*'] }), /addToRolePolicy got a statement without a sid/],
      ['the same sid twice', (m) => { m.grantSecretsRead(); m.grantSecretsRead(); }, /addToRolePolicy "ReadOwnSecrets" is a sid the workload policy already has/],
    ])('GIVEN %s WHEN added THEN it throws', (_label, act, message) => {
      const stack = awsTestStack('bad-statement');
      const module = new ServiceModule(stack, 'payments', props({ environment: 'envone', aws: AWS }));
      expect(() => act(module)).toThrow(message);
    });

    test('GIVEN no aws prop WHEN grantSecretsRead is called THEN it throws naming the prop', () => {
      const stack = awsTestStack('no-aws');
      const module = new ServiceModule(stack, 'payments', props());
      expect(() => module.grantSecretsRead()).toThrow(/aws is not set — grantSecretsRead needs the account and region/);
    });

    test('GIVEN two services sharing a namespace and service account WHEN constructed THEN synth fails naming both', () => {
      const stack = awsTestStack('shared-sa');
      new ServiceModule(stack, 'payments', props({ workload: { namespace: 'shop', serviceAccount: 'web' } }));
      expect(
        () => new ServiceModule(stack, 'checkout', props({ name: 'checkout', dns: { ...props().dns, hostname: `checkout.${props().dns.zoneName}` }, workload: { namespace: 'shop', serviceAccount: 'web' } })),
      ).toThrow(/ServiceModule "checkout": shares its service account[\s\S]*workload "shop\/web" is also the namespace and service account of "payments"/);
    });

    test('GIVEN two services in one namespace with their own service accounts WHEN constructed THEN both are accepted', () => {
      const stack = awsTestStack('own-sa');
      new ServiceModule(stack, 'payments', props({ workload: { namespace: 'shop' } }));
      expect(() => new ServiceModule(stack, 'checkout', props({ name: 'checkout', dns: { ...props().dns, hostname: `checkout.${props().dns.zoneName}` }, workload: { namespace: 'shop' } }))).not.toThrow();
    });
  });

  describe('validation', () => {
    test.each<[string, Partial<ServiceModuleProps>, RegExp]>([
      ['a bad service name', { name: 'Payments_API' }, /name "Payments_API" is not a service name — use 3–32 lower-case/],
      ['a retention CloudWatch does not allow', { logs: { retentionDays: 45 } }, /logs\.retentionDays 45 is not a CloudWatch Logs retention period — use one of 1, 3, 5, 7, 14, 30/],
      [
        'a hostname outside the zone',
        { dns: { ...props().dns, hostname: 'payments.example.org' } },
        /dns\.hostname "payments\.example\.org" is outside the zone "envone\.example\.com" — use a name ending in "\.envone\.example\.com"/,
      ],
      ['a bad KMS key', { repository: { kmsKeyArn: 'alias/mine' } }, /repository\.kmsKeyArn "alias\/mine" is not a KMS key ARN/],
      ['keepTaggedImages of 0', { repository: { keepTaggedImages: 0 } }, /repository\.keepTaggedImages 0 must be at least 1/],
      ['a bad namespace', { workload: { namespace: 'Shop!' } }, /workload\.namespace "Shop!" is not a Kubernetes namespace name/],
      ['an unknown prop', { colour: 'red' } as Partial<ServiceModuleProps>, /colour is not a known prop/],
      ['a bad environment', { environment: 'Prod-EU' }, /environment "Prod-EU" is not an environment name/],
    ])('GIVEN %s WHEN constructed THEN it throws naming the prop, value and what is allowed', (_label, overrides, message) => {
      expect(() => synth(props(overrides))).toThrow(message);
    });

    test('GIVEN several bad props WHEN constructed THEN one error lists every problem', () => {
      let error: unknown;
      try {
        synth(props({ name: 'X', logs: { retentionDays: 2 }, dns: { ...props().dns, hostname: 'a.b.org' } }));
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      const e = error as ConfigError;
      expect(e.message).toMatch(/^ServiceModule "X": 3 invalid props:/);
      expect(e.problems.map((p) => p.field).sort()).toEqual(['dns.hostname', 'logs.retentionDays', 'name']);
    });

    test('GIVEN unresolved tokens for zone and KMS key WHEN constructed THEN they are not rejected', () => {
      const stack = awsTestStack('tokens');
      const token = new TerraformVariable(stack, 'zone', { type: 'string' }).stringValue;
      expect(() => new ServiceModule(stack, 'svc', props({ name: 'svc', dns: { ...props().dns, hostname: 'svc.envone.example.com', zoneId: token }, logs: { kmsKeyArn: token } }))).not.toThrow();
    });
  });
});
