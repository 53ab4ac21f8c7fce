import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { parse, parseDocument, stringify, type Document } from 'yaml';
import { environmentNames, environmentOfTier, ENVS_DIR, generatedEnvironmentName, writeGeneratedEnvironment } from '@platform/testing';
import { ConfigError } from './errors';
import { loadEnvironments } from './loader';

/**
 * The loader against hostile and mistaken input: every class of bad file gets one ConfigError with
 * file:line, and the rules across fields and across environment files. Environment names come from
 * envs/ (the first of the first wave, a production one) or are generated.
 */
const FIRST = environmentNames()[0]!;
const SECOND = environmentNames()[1] ?? FIRST;
const PRODUCTION = environmentOfTier('production');
const text = (name: string) => readFileSync(path.join(ENVS_DIR, `${name}.yaml`), 'utf8');
const edit = (name: string, change: (d: Document) => void) => {
  const doc = parseDocument(text(name));
  change(doc);
  return doc.toString();
};
const firstData = parse(text(FIRST)) as { dns: { zoneName: string }; services: Array<{ name: string; hostname: string }> };

let root: string;
beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'envs-rules-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;

/** A copy of the repository's envs/ with files replaced/added (`null` removes one); returns the folder. */
function envsWith(files: Record<string, string | null> = {}): string {
  const dir = path.join(root, `case-${counter++}`, 'envs');
  cpSync(ENVS_DIR, dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    if (content === null) rmSync(path.join(dir, name), { force: true });
    else writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

function errorOf(dir: string): ConfigError {
  try {
    loadEnvironments(dir, { root: path.dirname(dir) });
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw new Error(`expected a ConfigError, got ${String(err)}`);
  }
  throw new Error('expected a ConfigError, but the files loaded');
}

const lineOf = (content: string, needle: string) => content.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('loader: files in envs/', () => {
  test('GIVEN a FIFO named like an environment WHEN loaded THEN it is refused at once, never read', () => {
    const dir = envsWith();
    execFileSync('mkfifo', [path.join(dir, 'zpipe.yaml')]);
    const started = Date.now();
    expect(errorOf(dir).message).toMatch(/envs\/zpipe\.yaml: \(file\) is not a regular file \(a FIFO\) — envs\/ may hold only plain YAML files/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test.each([
    ['a symbolic link to a device', (dir: string) => symlinkSync('/dev/zero', path.join(dir, 'zdev.yaml')), /zdev\.yaml: \(file\) is a symbolic link/],
    ['a directory', (dir: string) => mkdirSync(path.join(dir, 'zdir.yaml')), /zdir\.yaml: \(file\) is not a regular file \(a directory\)/],
  ])('GIVEN %s named like an environment WHEN loaded THEN it is refused with the file named', (_label, make, expected) => {
    const dir = envsWith();
    make(dir);
    expect(errorOf(dir).message).toMatch(expected);
  });

  test('GIVEN an environment as .yml WHEN loaded THEN it loads like .yaml', () => {
    const dir = envsWith({ [`${FIRST}.yaml`]: null, [`${FIRST}.yml`]: text(FIRST) });
    const envs = loadEnvironments(dir, { root: path.dirname(dir) });
    expect(envs.find((e) => e.name === FIRST)?.file).toBe(`envs/${FIRST}.yml`);
  });

  test('GIVEN x.yml beside x.yaml WHEN loaded THEN the clash is an error naming both', () => {
    const dir = envsWith({ [`${FIRST}.yml`]: text(FIRST) });
    expect(errorOf(dir).message).toContain(`envs/${FIRST}.yaml: (file) and envs/${FIRST}.yml both define "${FIRST}" — keep one of them`);
  });

  test('GIVEN editor lock, swap and backup files WHEN loaded THEN they are ignored', () => {
    const junk = 'this: [is not: valid\n\u0000';
    const dir = envsWith({ [`.#${FIRST}.yaml`]: junk, [`${FIRST}.yaml~`]: junk, [`.${FIRST}.yaml.swp`]: junk, [`#${FIRST}.yaml#`]: junk });
    expect(loadEnvironments(dir, { root: path.dirname(dir) }).map((e) => e.name).sort()).toEqual([...environmentNames()].sort());
  });

  test('GIVEN a file over the size cap WHEN loaded THEN it is refused (only cap+1 bytes are read)', () => {
    const dir = envsWith({ [`${FIRST}.yaml`]: `${text(FIRST)}#${'x'.repeat(300 * 1024)}\n` });
    expect(errorOf(dir).message).toMatch(/is more than 262144 bytes/);
  });
});

describe('loader: YAML that must not crash, hang or mislead', () => {
  type Case = [label: string, content: string, expected: RegExp, line: number];
  const base = text(FIRST);
  const cases: Case[] = [
    ['an unknown tag (!Ref)', base.replace(/^(\s+region: )(\S+)$/m, '$1!Ref Region'), /uses the YAML tag !Ref, which environment files do not support/, lineOf(base, '  region:')],
    ['an alias inside its own anchor', `${base}extra: &loop\n  again: *loop\n`, /has the alias \*loop inside the value it refers to \(an endless loop\)/, lineOf(base, '') + base.split('\n').length],
    ['a __proto__ key', `${base}__proto__:\n  polluted: true\n`, /"__proto__" is a reserved key/, base.split('\n').length],
    ['a constructor key', base.replace('aws:\n', 'aws:\n  constructor: x\n'), /"constructor" is a reserved key/, lineOf(base, 'aws:') + 1],
    ['two YAML documents', `${base}---\nfoo: 1\n`, /holds 2 YAML documents/, base.split('\n').length],
    ['an alias bomb', `${base}a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n`, /expands more than 100 aliases/, base.split('\n').length + 1],
    ['deep nesting', `${base}deep: ${'['.repeat(5000)}${']'.repeat(5000)}\n`, /nested too deeply|nests deeper than/, base.split('\n').length],
  ];
  test.each(cases)('GIVEN %s WHEN loaded THEN one ConfigError with file:line', (_label, content, expected, line) => {
    const err = errorOf(envsWith({ [`${FIRST}.yaml`]: content }));
    expect(err.message).toMatch(expected);
    expect(err.message).toContain(`envs/${FIRST}.yaml:${line}:`);
    expect(err.message).not.toMatch(/\n\s+at .+:\d+:\d+\)?$/m);
  });

  test('GIVEN invalid UTF-8 WHEN loaded THEN the file is named', () => {
    const dir = envsWith();
    writeFileSync(path.join(dir, `${FIRST}.yaml`), Buffer.from([0x61, 0x3a, 0x20, 0xff, 0xfe, 0x0a]));
    expect(errorOf(dir).message).toContain(`envs/${FIRST}.yaml:1: (file) is not UTF-8 text`);
  });

  test('GIVEN a key with control characters WHEN reported THEN they are escaped and cannot forge a line of the report', () => {
    const forged = `${text(FIRST)}"x\\n  - envs/forged.yaml:1: all good\\u001b[2K": 1\n`;
    const err = errorOf(envsWith({ [`${FIRST}.yaml`]: forged }));
    expect(err.message.split('\n')).toHaveLength(1 + err.problems.length);
    expect(err.message).toContain('x\\u000a  - envs/forged.yaml:1: all good\\u001b[2K');
  });

  test('GIVEN a production rule broken by a value from the base WHEN loaded THEN the base line and the environment file are named', () => {
    const dir = envsWith({ [`${PRODUCTION}.yaml`]: edit(PRODUCTION, (d) => d.delete('preventDestroy')) });
    const baseText = readFileSync(path.join(dir, '_base.yaml'), 'utf8');
    expect(errorOf(dir).message).toContain(
      `envs/_base.yaml:${lineOf(baseText, 'preventDestroy')}: preventDestroy false must be true in a production environment`,
    );
    expect(errorOf(dir).message).toContain(`(inherited by envs/${PRODUCTION}.yaml)`);
  });

  describe('properties: returns or throws ConfigError, within a time bound, nothing else', () => {
    const BOUND_MS = 2000;
    const check = (content: string | Uint8Array) => {
      const dir = path.join(root, `prop-${counter++}`);
      mkdirSync(dir);
      writeFileSync(path.join(dir, '_base.yaml'), readFileSync(path.join(ENVS_DIR, '_base.yaml')));
      writeFileSync(path.join(dir, `${FIRST}.yaml`), content);
      const started = performance.now();
      let outcome: unknown = 'loaded';
      try {
        loadEnvironments(dir, { root });
      } catch (err) {
        outcome = err;
      }
      const elapsed = performance.now() - started;
      rmSync(dir, { recursive: true, force: true });
      if (elapsed > BOUND_MS) return false;
      return outcome === 'loaded' || (outcome instanceof ConfigError && outcome.problems.length > 0 && outcome.problems.every((p) => p.line !== undefined || p.field === ''));
    };

    test('GIVEN arbitrary byte strings WHEN loaded THEN ConfigError or success, quickly', () => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => check(bytes)), { numRuns: 150 });
    });

    test('GIVEN arbitrary YAML documents (anchors, tags, nesting) WHEN loaded THEN ConfigError or success, quickly', () => {
      const scalar = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.double());
      const token = fc.constantFrom('&a ', '*a', '!Ref ', '!!binary ', '<<: ', '__proto__: ', 'constructor: ', '? ', '- ', '{', '}', '[', ']', '\n  ', ': ', '"\\u0000"', '---\n', '%YAML 1.1\n');
      const doc = fc.oneof(
        fc.anything({ maxDepth: 6 }).map((v) => {
          try {
            return stringify(v) ?? '';
          } catch {
            return String(v);
          }
        }),
        fc.array(fc.oneof(token, fc.string({ maxLength: 8 }), scalar.map(String)), { maxLength: 60 }).map((parts) => parts.join('')),
        fc.tuple(fc.constantFrom(...text(FIRST).split('\n').map((_, i) => i)), fc.array(token, { maxLength: 6 })).map(([at, parts]) => {
          const lines = text(FIRST).split('\n');
          lines.splice(at, 0, parts.join(''));
          return lines.join('\n');
        }),
      );
      fc.assert(fc.property(doc, (content) => check(content)), { numRuns: 200 });
    });
  });
});

describe('rules within one environment', () => {
  type Case = [label: string, change: (d: Document) => void, expected: RegExp];
  const svc0 = firstData.services[0]!;
  const cases: Case[] = [
    ['two services with one hostname', (d) => d.setIn(['services', 1, 'hostname'], svc0.hostname), /services\[1\]\.hostname ".+" is also the hostname of services\[0\] — one DNS record points at one service/],
    [
      'two services sharing a namespace and service account',
      (d) => {
        d.setIn(['services', 1, 'namespace'], svc0.name);
        d.setIn(['services', 1, 'serviceAccount'], svc0.name);
      },
      /services\[1\]\.serviceAccount ".+" gives the service account ".+" in namespace ".+", which services\[0\] already uses/,
    ],
    [
      'a CNAME at the zone apex',
      (d) => {
        d.set('ingress', { type: 'cname', target: 'lb.example.net' });
        d.setIn(['services', 0, 'hostname'], firstData.dns.zoneName);
      },
      /services\[0\]\.hostname ".+" is the zone apex, where DNS allows no CNAME record/,
    ],
    ['an OIDC issuer in another region', (d) => d.setIn(['cluster', 'oidcIssuer'], 'oidc.eks.ap-south-1.amazonaws.com/id/ABCDEF0123456789'), /cluster\.oidcIssuer ".+" is in region ap-south-1, but the environment is in .+ \(aws\.region\)/],
    [
      'a secret key repeating <env>/<service>/',
      (d) => d.setIn(['services', 0, 'secrets'], [{ name: 'db', data: [{ secretKey: 'URL', key: `${FIRST}/${svc0.name}/database` }] }]),
      new RegExp(`key "${FIRST}/${svc0.name}/database" repeats the "<env>/${svc0.name}/" prefix the platform adds .* write only the part below it, e\\.g\\. "database"`),
    ],
  ];
  test.each(cases)('GIVEN %s WHEN loaded THEN the field, value and fix are reported with the line', (_label, change, expected) => {
    const content = edit(FIRST, change);
    const err = errorOf(envsWith({ [`${FIRST}.yaml`]: content }));
    expect(err.message).toMatch(expected);
    expect(err.problems.every((p) => p.source === `envs/${FIRST}.yaml` && typeof p.line === 'number')).toBe(true);
  });
});

describe('rules across environments', () => {
  const fresh = generatedEnvironmentName('rules');
  /** A valid generated environment, then one setting copied from FIRST. */
  function withShared(change: (d: Document, from: Record<string, unknown>) => void): string {
    const dir = envsWith();
    const file = writeGeneratedEnvironment(dir, fresh);
    const doc = parseDocument(readFileSync(file, 'utf8'));
    change(doc, parse(text(FIRST)) as Record<string, unknown>);
    writeFileSync(file, doc.toString());
    return dir;
  }
  /** Every service's hostname moved into `zone`, so the file stays valid on its own. */
  const intoZone = (d: Document, zone: unknown) => {
    d.setIn(['dns', 'zoneName'], zone);
    firstData.services.forEach((svc, i) => d.hasIn(['services', i]) && d.setIn(['services', i, 'hostname'], `${svc.name}.${String(zone)}`));
  };
  const svc0name = () => firstData.services[0]!.name;
  const get = (obj: Record<string, unknown>, ...keys: Array<string | number>) => keys.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], obj);

  test('GIVEN a generated environment WHEN loaded THEN it is valid (the baseline of the cases below)', () => {
    expect(loadEnvironments(withShared(() => undefined), { root }).map((e) => e.name)).toContain(fresh);
  });

  test.each([
    ['a hosted zone', ['dns', 'zoneId'], /dns\.zoneId ".+" is also the hosted zone of envs\/(\w+)\.yaml:\d+/],
    ['a zone name', ['dns', 'zoneName'], /dns\.zoneName ".+" is also the zone name of envs\/\w+\.yaml:\d+/],
    ['a cluster OIDC issuer', ['cluster', 'oidcIssuer'], /cluster\.oidcIssuer ".+" is also the cluster OIDC issuer of envs\/\w+\.yaml:\d+/],
    ['a state bucket in another account', ['state', 'bucket'], /state\.bucket ".+" is also the state bucket of envs\/\w+\.yaml:\d+ in account \d{12}, but this environment is in account \d{12}/],
  ] as const)('GIVEN two environments sharing %s WHEN loaded THEN both files are named', (_label, at, expected) => {
    const dir = withShared((d, from) => {
      if (at[1] === 'zoneName') intoZone(d, `other.${String(get(from, ...at))}`);
      d.setIn([...at], get(from, ...at));
      if (at[1] === 'zoneName') firstData.services.forEach((svc, i) => d.hasIn(['services', i]) && d.setIn(['services', i, 'hostname'], `${svc.name}-${fresh}.${String(get(from, ...at))}`));
    });
    const err = errorOf(dir);
    expect(err.message).toMatch(expected);
    expect(err.message).toContain(`envs/${FIRST}.yaml:`);
    expect(err.message).toContain(`envs/${fresh}.yaml:`);
  });

  test('GIVEN two environments sharing a hostname WHEN loaded THEN both files are named', () => {
    // The new environment's zone lies inside FIRST's zone, so one name can be inside both.
    const zone = `${fresh}.${firstData.dns.zoneName}`;
    const shared = `${svc0name()}.${zone}`;
    const dir = withShared((d) => {
      intoZone(d, zone);
      d.setIn(['services', 0, 'hostname'], shared);
    });
    writeFileSync(path.join(dir, `${FIRST}.yaml`), edit(FIRST, (d) => d.setIn(['services', 0, 'hostname'], shared)));
    expect(errorOf(dir).message).toMatch(new RegExp(`envs/${fresh}\\.yaml:\\d+: services\\[0\\]\\.hostname "${shared.replace(/\./g, '\\.')}" is also a hostname of envs/${FIRST}\\.yaml:\\d+`));
  });

  test('GIVEN an environment file copied unchanged WHEN loaded THEN it fails naming both files and what they share', () => {
    const err = errorOf(envsWith({ [`${fresh}.yaml`]: text(SECOND) }));
    expect(err.message).toMatch(new RegExp(`envs/(${fresh}|${SECOND})\\.yaml:1: \\(file\\) has exactly the settings of envs/(${fresh}|${SECOND})\\.yaml — it shares its account, hosted zone, hostnames, cluster and state bucket`));
    for (const what of ['the hosted zone', 'the zone name', 'the cluster OIDC issuer', 'a hostname']) expect(err.message).toContain(`is also ${what} of`);
    expect(err.message).toContain(`envs/${fresh}.yaml`);
    expect(err.message).toContain(`envs/${SECOND}.yaml`);
  });
});
