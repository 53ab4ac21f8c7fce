import { ConfigError } from '@platform/config';
import { buildExternalSecrets, buildSecretStore, DEFAULT_REFRESH_INTERVAL, secretPrefix } from './external-secrets';
import { type GitOpsService } from './types';

const service: GitOpsService = {
  name: 'payments',
  namespace: 'payments',
  team: 'platform',
  imageRepository: '111111111111.dkr.ecr.eu-west-1.amazonaws.com/payments-envone',
  host: 'payments.envone.acme-platform.io',
  roleArn: 'arn:aws:iam::111111111111:role/payments-envone-workload',
  secrets: [
    {
      name: 'payments-database',
      refreshInterval: '15m',
      data: [
        { secretKey: 'DATABASE_URL', key: 'database', property: 'url' },
        { secretKey: 'DATABASE_PASSWORD', key: 'database', property: 'password' },
      ],
    },
    { name: 'payments-api-keys', data: [{ secretKey: 'STRIPE_KEY', key: 'stripe' }] },
  ],
};

describe('buildSecretStore', () => {
  it("GIVEN a service WHEN its store is built THEN it is a v1 namespaced AWS Secrets Manager store in the service's namespace, authenticating as the service's own service account", () => {
    const store = buildSecretStore(service, { environment: 'envone', region: 'eu-west-1' });
    expect(store).toEqual({
      apiVersion: 'external-secrets.io/v1',
      kind: 'SecretStore',
      metadata: expect.objectContaining({ name: 'payments-secrets-manager', namespace: 'payments' }),
      spec: {
        provider: {
          aws: {
            service: 'SecretsManager',
            region: 'eu-west-1',
            auth: { jwt: { serviceAccountRef: { name: 'payments' } } },
          },
        },
      },
    });
  });

  it('GIVEN a service with its own service account in a shared namespace WHEN its store is built THEN the store uses that account and no other namespace', () => {
    const store = buildSecretStore({ ...service, namespace: 'shop', serviceAccount: 'payments-sa' }, { environment: 'envone', region: 'eu-west-1' });
    expect(store.metadata.namespace).toBe('shop');
    expect(store.spec).toEqual({
      provider: { aws: { service: 'SecretsManager', region: 'eu-west-1', auth: { jwt: { serviceAccountRef: { name: 'payments-sa' } } } } },
    });
  });
});

describe('buildExternalSecrets', () => {
  it('GIVEN a service with two Secrets WHEN built THEN each is a v1 ExternalSecret owning its Secret, read through the service\'s own SecretStore, keys under <env>/<service>/', () => {
    const [database, apiKeys] = buildExternalSecrets(service, { environment: 'envone' });
    expect(database).toEqual({
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: expect.objectContaining({ name: 'payments-database', namespace: 'payments' }),
      spec: {
        refreshInterval: '15m',
        secretStoreRef: { kind: 'SecretStore', name: 'payments-secrets-manager' },
        target: { name: 'payments-database', creationPolicy: 'Owner' },
        data: [
          { secretKey: 'DATABASE_URL', remoteRef: { key: 'envone/payments/database', property: 'url' } },
          { secretKey: 'DATABASE_PASSWORD', remoteRef: { key: 'envone/payments/database', property: 'password' } },
        ],
      },
    });
    expect(apiKeys!.spec).toMatchObject({
      refreshInterval: DEFAULT_REFRESH_INTERVAL,
      data: [{ secretKey: 'STRIPE_KEY', remoteRef: { key: 'envone/payments/stripe' } }],
    });
  });

  it('GIVEN a key that climbs out of the service prefix WHEN built THEN synth fails naming the ExternalSecret', () => {
    const bad: GitOpsService = { ...service, secrets: [{ name: 'escape', data: [{ secretKey: 'X', key: '../checkout/db' }] }] };
    expect(() => buildExternalSecrets(bad, { environment: 'envone' })).toThrow(
      /ExternalSecret payments\/escape is invalid[\s\S]*data key "\.\.\/checkout\/db" leaves the service's prefix envone\/payments\//
    );
  });

  it('GIVEN a field the ESO schema rejects WHEN built THEN the ConfigError names the object and the field', () => {
    const bad = { ...service, secrets: [{ name: 'typed', data: [{ secretKey: 42, key: 'db' }] }] } as unknown as GitOpsService;
    let error: unknown;
    try {
      buildExternalSecrets(bad, { environment: 'envone' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      expect.objectContaining({ source: 'ExternalSecret payments/typed', field: 'spec.data.0.secretKey', message: expect.stringMatching(/^must be string/) }),
    ]);
  });

  it('GIVEN an environment and a service WHEN the prefix is built THEN it is <env>/<service>/', () => {
    expect(secretPrefix('envthree', 'payments')).toBe('envthree/payments/');
  });
});
