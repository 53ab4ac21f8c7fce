import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { parse, parseDocument, type Document } from 'yaml';
import { environmentNamesSorted, environmentOfTier, firstEnvironment, generatedEnvironmentName } from '@platform/testing';
import { ConfigError } from './errors';
import { loadEnvironments, MAX_FILE_BYTES } from './loader';

const REPO_ENVS = path.resolve(__dirname, '..', '..', '..', 'envs');
const BASE = readFileSync(path.join(REPO_ENVS, '_base.yaml'), 'utf8');
// The real files of the first environment (wave 1) and of a production one, loaded under the made-up
// name "zcorpus" (the messages below name envs/zcorpus.yaml), so no test depends on an environment's name.
const DEV = readFileSync(path.join(REPO_ENVS, `${firstEnvironment()}.yaml`), 'utf8');
const PROD = readFileSync(path.join(REPO_ENVS, `${environmentOfTier('production')}.yaml`), 'utf8');
const F = 'zcorpus.yaml';
const NEW = generatedEnvironmentName('loader');
const DEV_DATA = parse(DEV) as { aws: { accountId: string }; dns: { zoneName: string }; logs?: { retentionDays?: number } };
const ACCOUNT = DEV_DATA.aws.accountId;
const ZONE = DEV_DATA.dns.zoneName;
const esc = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A production environment's file with a structural edit applied through the YAML document model. */
function prodWith(edit: (doc: Document) => void): string {
  const doc = parseDocument(PROD);
  edit(doc);
  return doc.toString();
}

let root: string;
beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'envs-test-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
/** Writes envs/_base.yaml and one environment file into a fresh folder and loads it. */
function load(files: Record<string, string>, base = BASE) {
  const dir = path.join(root, `case-${counter++}`);
  mkdirSync(path.join(dir, 'envs'), { recursive: true });
  writeFileSync(path.join(dir, 'envs', '_base.yaml'), base);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, 'envs', name), text);
  return loadEnvironments(path.join(dir, 'envs'), { root: dir });
}

function loadError(files: Record<string, string>, base = BASE): ConfigError {
  try {
    load(files, base);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw new Error(`expected a ConfigError, got ${String(err)}`);
  }
  throw new Error('expected a ConfigError, but the files loaded');
}

/** The first environment's file with a structural edit applied through the YAML document model. */
function devWith(edit: (doc: Document) => void): string {
  const doc = parseDocument(DEV);
  edit(doc);
  return doc.toString();
}

/** The line (1-based) in a file where `needle` first appears. */
function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`"${needle}" not in file`);
  return i + 1;
}

describe('loadEnvironments', () => {
  test('GIVEN the repository envs WHEN loaded THEN every environment validates, sorted by name', () => {
    const envs = loadEnvironments(REPO_ENVS, { root: path.dirname(REPO_ENVS) });
    expect(envs.map((e) => e.name)).toEqual(environmentNamesSorted());
    expect(envs.map((e) => e.file)).toEqual(environmentNamesSorted().map((n) => `envs/${n}.yaml`));
  });

  test('GIVEN a base and an environment WHEN merged THEN the environment wins key by key and base values fill the rest', () => {
    const [dev] = load({ [F]: DEV });
    expect(dev.logs.retentionDays).toBe(DEV_DATA.logs?.retentionDays ?? 30); // the file overrides the base's 30
    expect(dev.tags).toEqual({ team: 'platform', costCenter: 'CC-4100' }); // from the base only
    expect(dev.aws.deployRoleName).toBe('platform-terraform'); // base key beside env keys in the same mapping
    expect(dev.ecr).toEqual({ keepTaggedImages: 30, untaggedExpiryDays: 7 });
  });

  test('GIVEN a new file WHEN loaded THEN a new environment exists with nothing else edited', () => {
    const qa = devWith((d) => {
      d.setIn(['dns', 'zoneId'], 'Z0NEW00000000000000009');
      d.setIn(['cluster', 'oidcIssuer'], 'oidc.eks.eu-west-1.amazonaws.com/id/0NEW0000000000000000000000000009');
    })
      .split(ZONE).join(`${NEW}.example.net`)
      .split(ACCOUNT).join('444444444444');
    expect(load({ [F]: DEV, [`${NEW}.yaml`]: qa }).map((e) => e.name)).toEqual(['zcorpus', NEW]);
  });

  test('GIVEN two bad files WHEN loaded THEN one error reports both files', () => {
    const err = loadError({ [F]: DEV.replace(`"${ACCOUNT}"`, '"1"'), [`${NEW}.yaml`]: '' });
    expect(err.problems.map((p) => p.source).sort()).toEqual([`envs/${NEW}.yaml`, `envs/${F}`].sort());
  });

  test('GIVEN no environment file WHEN loaded THEN the folder is named with the fix', () => {
    expect(() => load({})).toThrow(/envs: \(file\) holds no <env>\.yaml file — add one/);
  });

  // A table-driven corpus of malformed files: every row must fail with ONE ConfigError whose
  // message names the file, the line (where there is one), the field, the value and the fix.
  type Case = [label: string, file: string, expected: RegExp, line?: number | string];
  const acct = (v: string) => DEV.replace(`"${ACCOUNT}"`, v);
  const cases: Case[] = [
    ['an empty file', '', /envs\/zcorpus\.yaml:1: \(file\) is empty — an environment file must be a YAML mapping/],
    ['a file of comments only', '# nothing here\n# at all\n', /is empty/],
    ['invalid YAML indentation', 'aws:\n  accountId: "1"\n   region: x\n', /envs\/zcorpus\.yaml:\d+: \(file\) is not valid YAML: .+ — fix the syntax at this line/],
    ['an unclosed quote', 'aws:\n  accountId: "111\n', /is not valid YAML/],
    ['a top-level list', '- a\n- b\n', /is not a YAML mapping — the file must hold "key: value" settings/],
    ['a top-level scalar', 'just words\n', /is not a YAML mapping/],
    ['a duplicate key', `${DEV}\naws:\n  region: eu-west-2\n`, /is not valid YAML: Map keys must be unique/],
    ['an alias bomb', 'a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n', /envs\/zcorpus\.yaml/],
    ['a short account ID', acct('"1111"'), /aws\.accountId "1111" is not an AWS account ID — use the 12-digit ID in quotes/, 'accountId'],
    ['an unquoted account ID (a number)', acct('111111111111'), /aws\.accountId 111111111111 has the wrong type — expected string/, 'accountId'],
    ['an account ID with letters', acct('"11111111111a"'), /aws\.accountId "11111111111a" is not an AWS account ID/, 'accountId'],
    ['an invalid region', DEV.replace('  region: eu-west-1\ndns', '  region: eu-west\ndns'), /aws\.region "eu-west" is not an AWS region — use a region code such as "eu-west-1"/],
    ['an upper-case region', DEV.replace('  region: eu-west-1\ndns', '  region: EU-WEST-1\ndns'), /aws\.region "EU-WEST-1" is not an AWS region/],
    ['an unknown top-level key', `${DEV}colour: blue\n`, /colour is not a known setting — remove it or fix its spelling/, 'colour'],
    ['a misspelt nested key', DEV.replace('  accountId:', '  acountId:'), /aws\.accountId is missing[\s\S]*aws\.acountId is not a known setting/, 'acountId'],
    ['a missing account ID', devWith((d) => d.deleteIn(['aws', 'accountId'])), /aws\.accountId is missing — add it \(expected string\) to envs\/zcorpus\.yaml or envs\/_base\.yaml/],
    ['a missing dns section', devWith((d) => d.delete('dns')), /dns is missing — add it/],
    ['an upper-case zone', devWith((d) => d.setIn(['dns', 'zoneName'], 'Dev.Example.com')), /dns\.zoneName "Dev\.Example\.com" is not a lower-case DNS name/],
    ['a zone ID not starting with Z', devWith((d) => d.setIn(['dns', 'zoneId'], 'A123')), /dns\.zoneId "A123" is not a Route53 hosted zone ID — use the ID that starts with "Z"/],
    ['an unknown ingress type', devWith((d) => d.setIn(['ingress', 'type'], 'nlb')), /ingress\.type "nlb" must have type "alias" \(with dnsName and zoneId\) or "cname"|ingress(\.type)? .*must have type "alias"/],
    ['an alias ingress without its zone', devWith((d) => d.deleteIn(['ingress', 'zoneId'])), /ingress\.zoneId is missing/],
    ['an OIDC issuer with https://', devWith((d) => d.setIn(['cluster', 'oidcIssuer'], 'https://oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF12')), /cluster\.oidcIssuer "https:\/\/oidc.+" is not an EKS OIDC issuer — use "oidc\.eks\.<region>\.amazonaws\.com\/id\/<ID>" without https:\/\//],
    ['an upper-case state bucket', devWith((d) => d.setIn(['state', 'bucket'], 'ACME-State')), /state\.bucket "ACME-State" is not a state bucket name/],
    ['a too-short state bucket', devWith((d) => d.setIn(['state', 'bucket'], 'ab')), /state\.bucket "ab" is not a state bucket name — use 3–56/],
    ['a state bucket too long for its backup bucket', devWith((d) => d.setIn(['state', 'bucket'], 'a'.repeat(60))), /state\.bucket "a{60}" is not a state bucket name — use 3–56 .*appends "-backup"/],
    ['no state locking', devWith((d) => { d.deleteIn(['state', 'lockTable']); d.setIn(['state', 'useLockfile'], false); }), /state has no state locking — set state\.lockTable \(DynamoDB\) or state\.useLockfile: true/],
    ['a yes/no string for a boolean', devWith((d) => d.setIn(['state', 'useLockfile'], 'yes')), /state\.useLockfile "yes" has the wrong type — expected boolean/],
    ['a bad lock table name', devWith((d) => d.setIn(['state', 'lockTable'], 'a b')), /state\.lockTable "a b" is not a DynamoDB table name/],
    ['a retention CloudWatch does not offer', devWith((d) => d.setIn(['logs', 'retentionDays'], 45)), /logs\.retentionDays 45 is not a CloudWatch Logs retention period — use one of 1, 3, 5, 7, 14, 30, 60, 90/],
    ['a retention as a string', devWith((d) => d.setIn(['logs', 'retentionDays'], '30')), /logs\.retentionDays "30" has the wrong type — expected number/],
    ['a bad KMS key ARN', devWith((d) => d.setIn(['logs', 'kmsKeyArn'], 'arn:aws:kms:eu-west-1:1:key/x')), /logs\.kmsKeyArn "arn:aws:kms:eu-west-1:1:key\/x" is not a KMS key ARN/],
    ['keeping zero images', devWith((d) => d.setIn(['ecr', 'keepTaggedImages'], 0)), /ecr\.keepTaggedImages 0 must be at least 1/],
    ['an untagged expiry beyond a year', devWith((d) => d.setIn(['ecr', 'untaggedExpiryDays'], 1000)), /ecr\.untaggedExpiryDays 1000 must be at most 365/],
    ['a fractional image count', devWith((d) => d.setIn(['ecr', 'keepTaggedImages'], 2.5)), /ecr\.keepTaggedImages 2\.5 must be a whole number/],
    ['services as a mapping', devWith((d) => d.set('services', { payments: 1 })), /services a mapping has the wrong type — expected array/],
    ['an upper-case service name', devWith((d) => d.setIn(['services', 0, 'name'], 'Payments')), /services\[0\]\.name "Payments" is not a service name/],
    ['a too-long service name', devWith((d) => d.setIn(['services', 0, 'name'], 'a'.repeat(40))), /services\[0\]\.name "a{40}" is not a service name — use 3–32/],
    ['duplicate service names', devWith((d) => d.setIn(['services', 1, 'name'], 'payments')), /services\[1\]\.name "payments" is used twice \(also services\[0\]\) — service names must be unique/],
    ['a hostname outside the zone', devWith((d) => d.setIn(['services', 0, 'hostname'], 'payments.example.org')), new RegExp(`services\\[0\\]\\.hostname "payments\\.example\\.org" is outside the zone "${esc(ZONE)}" — use a name ending in "\\.${esc(ZONE)}"`)],
    ['a hostname with an underscore', devWith((d) => d.setIn(['services', 0, 'hostname'], `pay_ments.${ZONE}`)), new RegExp(`services\\[0\\]\\.hostname "pay_ments\\.${esc(ZONE)}" is not a lower-case DNS name`)],
    ['an unknown service key', devWith((d) => d.setIn(['services', 0, 'replicas'], 3)), /services\[0\]\.replicas is not a known setting/],
    ['a service without hostname', devWith((d) => d.deleteIn(['services', 0, 'hostname'])), /services\[0\]\.hostname is missing/],
    ['a bad namespace', devWith((d) => d.setIn(['services', 1, 'namespace'], 'Shop')), /services\[1\]\.namespace "Shop" is not a Kubernetes namespace name/],
    ['a bad per-service retention', devWith((d) => d.setIn(['services', 0, 'logRetentionDays'], 2)), /services\[0\]\.logRetentionDays 2 is not a CloudWatch Logs retention period/],
    ['an empty team tag', devWith((d) => d.setIn(['tags', 'team'], '')), /tags\.team "" is not a valid team tag — use 1–256/],
    ['a cost centre with a control character', devWith((d) => d.setIn(['tags', 'costCenter'], 'CC\u0007')), /tags\.costCenter "CC\\u0007" is not a valid cost-centre tag/],
    ['preventDestroy as a string', devWith((d) => d.set('preventDestroy', 'on')), /preventDestroy "on" has the wrong type — expected boolean/],
    ['a service entry that is a string', devWith((d) => d.setIn(['services', 0], 'payments')), /services\[0\] "payments" has the wrong type — expected object/],
    ['a null section', devWith((d) => d.set('state', null)), /state null has the wrong type — expected object/],
    ['an unknown tier', devWith((d) => d.set('tier', 'live')), /tier "live" must be "production" or "non-production"/],
    ['production without preventDestroy', prodWith((d) => d.set('preventDestroy', false)), /preventDestroy false must be true in a production environment — set preventDestroy: true, or explain the exception in preventDestroyOptOut/, 'preventDestroy'],
    ['production without a logs KMS key', prodWith((d) => d.deleteIn(['logs', 'encryption'])), /logs has no kmsKeyArn — a production environment encrypts logs with a customer-managed KMS key/],
    ['production without an image KMS key', prodWith((d) => d.deleteIn(['ecr', 'encryption'])), /ecr has no kmsKeyArn — a production environment encrypts images/],
    ['a thin preventDestroy opt-out', prodWith((d) => { d.set('preventDestroy', false); d.set('preventDestroyOptOut', 'because'); }), /preventDestroyOptOut "because" must explain the exception in at least 20 characters/],
    ['an opt-out outside production', devWith((d) => d.set('preventDestroyOptOut', 'we tear this environment down nightly')), /preventDestroyOptOut .*only applies to a production environment/],
  ];

  test('the malformed corpus has at least 40 cases', () => expect(cases.length).toBeGreaterThanOrEqual(40));

  test.each(cases)('GIVEN %s WHEN loaded THEN one ConfigError names file, field, value and fix', (...[, file, expected, at]: Case) => {
    const err = loadError({ [F]: file });
    expect(err.message).toMatch(/^\d+ problems? in the environment configuration:\n/);
    expect(err.message).toMatch(expected);
    expect(err.message).toContain(`envs/${F}`);
    expect(err.message).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/); // no stack frames
    if (at !== undefined) {
      const line = typeof at === 'number' ? at : lineOf(file, at);
      expect(err.message).toContain(`envs/${F}:${line}:`);
    }
  });

  test('GIVEN an oversized file WHEN loaded THEN it is refused before parsing, with the size and limit', () => {
    const huge = `${DEV}\n# ${'x'.repeat(MAX_FILE_BYTES)}\n`;
    expect(loadError({ [F]: huge }).message).toMatch(/envs\/zcorpus\.yaml: \(file\) is more than 262144 bytes — environment files are limited to 262144 bytes/);
  });

  test('GIVEN production with a written opt-out WHEN loaded THEN it loads without prevent_destroy', () => {
    const text = prodWith((d) => {
      d.setIn(['promotion', 'wave'], 1);
      d.set('preventDestroy', false);
      d.set('preventDestroyOptOut', 'migration window INC-42: resources are being recreated in a new account');
    });
    const [env] = load({ [F]: text });
    expect(env).toMatchObject({ tier: 'production', preventDestroy: false });
  });

  test('GIVEN a file name that is not an environment name WHEN loaded THEN the name and the rule are given', () => {
    expect(loadError({ 'Dev-EU.yaml': DEV }).message).toMatch(/envs\/Dev-EU\.yaml: \(file\) has an invalid environment name "Dev-EU"/);
  });

  test('GIVEN a bad value in the base WHEN loaded THEN the base file and its line are named', () => {
    const err = loadError({ [F]: devWith((d) => d.deleteIn(['logs', 'retentionDays'])) }, BASE.replace('retentionDays: 30', 'retentionDays: 31'));
    expect(err.message).toContain(`envs/_base.yaml:${lineOf(BASE, 'retentionDays')}: logs.retentionDays 31`);
  });

  test('GIVEN several mistakes in one file WHEN loaded THEN all are reported at once, each with its line', () => {
    const bad = devWith((d) => {
      d.setIn(['aws', 'accountId'], '1');
      d.setIn(['logs', 'retentionDays'], 45);
      d.setIn(['services', 0, 'hostname'], 'x.example.org');
    });
    const err = loadError({ [F]: bad });
    expect(err.problems).toHaveLength(3);
    expect(err.problems.every((p) => typeof p.line === 'number')).toBe(true);
  });

  describe('property: the loader only ever throws its own ConfigError', () => {
    const yamlish = fc.oneof(
      fc.string(),
      fc.string({ unit: fc.constantFrom('a', ':', ' ', '\n', '-', '"', "'", '{', '}', '[', ']', '&', '*', '!', '#', '|', '>', '1', 'x') }),
      fc.jsonValue().map((v) => JSON.stringify(v)),
    );
    test('GIVEN arbitrary text as an environment file WHEN loaded THEN it loads or throws ConfigError', () => {
      fc.assert(
        fc.property(yamlish, (text) => {
          try {
            load({ [F]: text });
          } catch (err) {
            return err instanceof ConfigError && err.problems.length > 0;
          }
          return true;
        }),
        { numRuns: 150 },
      );
    });

    test('GIVEN the real file with one field replaced by an arbitrary value WHEN loaded THEN it loads or throws ConfigError', () => {
      const paths: (string | number)[][] = [['aws', 'accountId'], ['aws'], ['dns', 'zoneName'], ['state'], ['state', 'useLockfile'], ['logs', 'retentionDays'], ['services'], ['services', 0], ['services', 0, 'hostname'], ['ingress', 'type'], ['tags']];
      fc.assert(
        fc.property(fc.constantFrom(...paths), fc.jsonValue(), (at, value) => {
          const text = devWith((d) => d.setIn(at, value));
          try {
            load({ [F]: text });
          } catch (err) {
            return err instanceof ConfigError && err.problems.length > 0;
          }
          return true;
        }),
        { numRuns: 200 },
      );
    });
  });
});
