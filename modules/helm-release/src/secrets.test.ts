import { ref, Token } from 'cdktf';
import { findSecretValues, keyWords, looksLikeSecretKey, matches } from './secrets';

describe('looksLikeSecretKey', () => {
  it.each([
    ['password', true],
    ['adminPassword', true],
    ['DATABASE_PASSWORD', true],
    ['apiKey', true],
    ['APIKey', true],
    ['client-secret', true],
    ['githubToken', true],
    ['tls.key', true],
    ['credentials', true],
    ['privateKey', true],
    ['secretKey', true],
    // references to a secret, not the secret itself
    ['secretName', false],
    ['existingSecret', false],
    ['secretKeyRef', false],
    ['kmsKeyArn', false],
    ['accessKeyId', false],
    ['passwordFile', false],
    ['tokenUrl', false],
    // unrelated words that merely contain one
    ['monkey', false],
    ['tokenizer', false],
    ['keyboardLayout', false],
    ['replicas', false],
  ])('GIVEN the key %p WHEN checked THEN it looks like a secret: %p', (key, expected) => {
    expect(looksLikeSecretKey(key)).toBe(expected);
  });

  it('GIVEN mixed-case and separated keys WHEN split THEN words come out lower-case', () => {
    expect(keyWords('apiKeySecretRef')).toEqual(['api', 'key', 'secret', 'ref']);
    expect(keyWords('eks.amazonaws.com/role-arn')).toEqual(['eks', 'amazonaws', 'com', 'role', 'arn']);
  });
});

describe('findSecretValues', () => {
  it('GIVEN secrets at several depths and in lists WHEN scanned THEN each is found with its path and length', () => {
    const findings = findSecretValues({
      auth: { password: 'p4ss' },
      credentials: { github: 'ghp_123' },
      apiTokens: ['t1', 't2'],
      replicas: 2,
      note: 'password is rotated',
    });
    expect(findings).toEqual([
      { path: 'auth.password', key: 'password', kind: 'literal', length: 4 },
      { path: 'credentials.github', key: 'credentials', kind: 'literal', length: 7 },
      { path: 'apiTokens[0]', key: 'apiTokens', kind: 'literal', length: 2 },
      { path: 'apiTokens[1]', key: 'apiTokens', kind: 'literal', length: 2 },
    ]);
  });

  it('GIVEN empty strings, booleans and references below a *Ref key WHEN scanned THEN nothing is found', () => {
    expect(
      findSecretValues({
        password: '',
        secret: { create: true },
        env: [{ name: 'DB', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }],
        remoteRef: { key: 'dev/payments/database' },
      })
    ).toEqual([]);
  });

  it('GIVEN a Terraform reference under a secret key WHEN scanned THEN it is reported as a reference', () => {
    expect(findSecretValues({ token: Token.asString(ref('var.token')) })).toEqual([{ path: 'token', key: 'token', kind: 'reference' }]);
  });

  it('GIVEN notSecrets patterns WHEN scanned THEN matching paths are skipped and others are not', () => {
    const values = { objects: [{ spec: { data: [{ secretKey: 'DATABASE_URL' }] } }, { spec: { token: 'abc' } }] };
    expect(findSecretValues(values, ['objects.*.spec.data.*.secretKey'])).toEqual([
      { path: 'objects[1].spec.token', key: 'token', kind: 'literal', length: 3 },
    ]);
    expect(findSecretValues(values, ['objects.**'])).toEqual([]);
  });
});

describe('matches', () => {
  it.each([
    ['a.*.c', 'a.b.c', true],
    ['a.*.c', 'a.b.d', false],
    ['a.**.d', 'a.b.c.d', true],
    ['a.**.d', 'a.d', true],
    ['a.**', 'a', true],
    ['a.*', 'a', false],
  ])('GIVEN pattern %p and path %p WHEN matched THEN %p', (pattern, pathText, expected) => {
    expect(matches(pattern.split('.'), pathText.split('.'))).toBe(expected);
  });
});
