import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError } from '../errors';
import { loadEnvironments } from '../loader';
import { keyIssues } from './keys';

// Fixtures come from the repository's own environment files, renamed to a made-up environment.
const REPO_ENVS = path.resolve(__dirname, '..', '..', '..', '..', 'envs');
const BASE = readFileSync(path.join(REPO_ENVS, '_base.yaml'), 'utf8');
const SOURCE = readdirSync(REPO_ENVS).filter((f) => /^[a-z][a-z0-9]*\.yaml$/.test(f)).sort()[0]!;
const ENV = readFileSync(path.join(REPO_ENVS, SOURCE), 'utf8');
const account = (parseDocument(ENV).getIn(['aws', 'accountId']) as string) ?? '';
const region = (parseDocument(ENV).getIn(['aws', 'region']) as string) ?? '';
const otherAccount = account === '999999999999' ? '888888888888' : '999999999999';
const otherRegion = region === 'ap-southeast-2' ? 'sa-east-1' : 'ap-southeast-2';

let root: string;
beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'keys-test-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
function loadWith(section: 'logs' | 'ecr' | 'secretsManager', values: Record<string, unknown>): ConfigError | undefined {
  const doc = parseDocument(ENV);
  for (const [k, v] of Object.entries(values)) doc.setIn([section, k], v);
  const dir = path.join(root, `case-${counter++}`, 'envs');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, '_base.yaml'), BASE);
  writeFileSync(path.join(dir, 'zz9.yaml'), doc.toString());
  try {
    loadEnvironments(dir, { root: path.dirname(dir) });
    return undefined;
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
}

describe('KMS keys named in an environment file', () => {
  const key = (acct: string, reg: string, kind = 'key', id = '0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0') => `arn:aws:kms:${reg}:${acct}:${kind}/${id}`;

  test.each(['logs', 'ecr'] as const)('GIVEN %s.kmsKeyArn in the environment account and region WHEN loaded THEN it is accepted', (section) => {
    expect(loadWith(section, { kmsKeyArn: key(account, region) })).toBeUndefined();
  });

  test.each(['logs', 'ecr'] as const)('GIVEN %s.encryption: kms without a key WHEN loaded THEN it is accepted (the environment key is created in code)', (section) => {
    expect(loadWith(section, { encryption: 'kms' })).toBeUndefined();
  });

  test('GIVEN a Secrets Manager key in the environment account and region WHEN loaded THEN it is accepted; in another account THEN rejected', () => {
    expect(loadWith('secretsManager', { kmsKeyArn: key(account, region) })).toBeUndefined();
    expect(loadWith('secretsManager', { kmsKeyArn: key(otherAccount, region) })!.message).toMatch(/secretsManager\.kmsKeyArn .+ is in account/);
  });

  test.each<[string, 'logs' | 'ecr', Record<string, unknown>, RegExp]>([
    ['a key in another account', 'logs', { kmsKeyArn: key(otherAccount, region) }, new RegExp(`logs\\.kmsKeyArn ".+ is in account ${otherAccount}, not the environment's account ${account} — use a key ARN`)],
    ['a key in another region', 'ecr', { kmsKeyArn: key(account, otherRegion) }, new RegExp(`ecr\\.kmsKeyArn ".+ is in region ${otherRegion}, not the environment's region ${region} — use a key ARN`)],
    ['an alias', 'logs', { kmsKeyArn: key(account, region, 'alias', 'platform-logs') }, /logs\.kmsKeyArn ".+:alias\/platform-logs" is an alias, which can be re-pointed at any key — use a key ARN/],
    ['encryption: default with a key', 'ecr', { encryption: 'default', kmsKeyArn: key(account, region) }, /ecr\.encryption "default" contradicts ecr\.kmsKeyArn — set encryption: kms, or remove kmsKeyArn/],
    ['an unknown encryption', 'logs', { encryption: 'aes' }, /logs\.encryption "aes" must be "default" or "kms"/],
  ])('GIVEN %s WHEN loaded THEN one error names the file, the field and the fix', (_label, section, values, message) => {
    const err = loadWith(section, values);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.message).toMatch(message);
    expect(err!.message).toContain('envs/zz9.yaml');
  });

  test('GIVEN a key in another account and region WHEN checked THEN both problems are reported', () => {
    const issues = keyIssues({ aws: { accountId: account, region }, logs: { kmsKeyArn: key(otherAccount, otherRegion) } });
    expect(issues.map((i) => i.message)).toEqual([expect.stringMatching(/is in account/), expect.stringMatching(/is in region/)]);
  });

  test('GIVEN missing or malformed sections WHEN checked THEN nothing is reported (the field rules report them)', () => {
    expect(keyIssues({})).toEqual([]);
    expect(keyIssues({ logs: 'x', ecr: { kmsKeyArn: 'nonsense' } })).toEqual([]);
  });
});
