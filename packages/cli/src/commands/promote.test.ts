import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { copyEnvironments, environmentWaves } from '@platform/testing';
import { parse } from 'yaml';
import { runPromote, unifiedDiff, type PromoteOptions } from './promote';

/**
 * promote on real environment files in a temporary copy of envs/. Environments are picked by wave
 * (the repository's promotion order), never by name.
 */
const byWave = environmentWaves();
const inWave = (w: number) => byWave.find((e) => e.wave === w)!.name;
const W1 = inWave(1);
const W2 = inWave(2);
const W3 = byWave.find((e) => e.wave === 3)?.name;

interface EnvData {
  services: Array<{ name: string; imageTag?: string }>;
  gitops?: { targetRevision?: string };
}

let dir: string;
const copies: string[] = [];
beforeEach(() => {
  dir = copyEnvironments('promote-');
  copies.push(dir);
});
afterAll(() => copies.forEach((d) => rmSync(path.dirname(d), { recursive: true, force: true })));

const file = (env: string) => path.join(dir, `${env}.yaml`);
const read = (env: string) => readFileSync(file(env), 'utf8');
const data = (env: string) => parse(read(env)) as EnvData;
/** A service both environments run. */
const shared = (a: string, b: string) => data(a).services.find((s) => data(b).services.some((t) => t.name === s.name) && s.imageTag)!.name;

/** Replaces the image tag of a service in the file's text (the line below its `name:`). */
function setTagText(env: string, service: string, tag: string): void {
  const lines = read(env).split('\n');
  const at = lines.findIndex((l) => new RegExp(`name: ${service}$`).test(l));
  const tagLine = lines.findIndex((l, i) => i > at && /^\s+imageTag: /.test(l));
  lines[tagLine] = lines[tagLine]!.replace(/imageTag: .*$/, `imageTag: ${tag}`);
  writeFileSync(file(env), lines.join('\n'));
}

function promote(options: Omit<PromoteOptions, 'envDir' | 'write' | 'writeErr'>) {
  const out: string[] = [];
  const err: string[] = [];
  const code = runPromote({ ...options, envDir: dir, write: (l) => out.push(l), writeErr: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** The lines that differ between two texts of the same length in lines. */
function changedLines(before: string, after: string): Array<[string, string]> {
  const a = before.split('\n');
  const b = after.split('\n');
  expect(b).toHaveLength(a.length);
  return a.flatMap((l, i) => (l === b[i] ? [] : [[l, b[i]!] as [string, string]]));
}

describe('platform promote', () => {
  test('GIVEN a newer tag in the earlier wave WHEN promoted to the next wave THEN only that scalar changes, byte for byte, and the diff is printed', () => {
    const service = shared(W1, W2);
    setTagText(W1, service, '"7.7.7" # a comment that stays');
    const before = read(W2);
    const result = promote({ service, from: W1, to: W2 });
    expect(result.code).toBe(0);
    const changed = changedLines(before, read(W2));
    expect(changed).toHaveLength(1);
    const [oldLine, newLine] = changed[0]!;
    // Same line, same quoting; only the characters of the tag differ.
    expect(newLine).toBe(oldLine.replace(/"[^"]*"/, '"7.7.7"'));
    expect(data(W2).services.find((s) => s.name === service)?.imageTag).toBe('7.7.7');
    expect(result.out).toContain(`promoted ${service} image ${W1} → ${W2}`);
    expect(result.out).toMatch(new RegExp(`^--- a/.*${W2}\\.yaml$`, 'm'));
    expect(result.out).toContain(`-${oldLine}`);
    expect(result.out).toContain(`+${newLine}`);
  });

  test('GIVEN both environments on the same tag WHEN promoted THEN exit 2, nothing written', () => {
    const service = shared(W1, W2);
    const tag = data(W1).services.find((s) => s.name === service)!.imageTag!;
    setTagText(W2, service, JSON.stringify(tag));
    const before = read(W2);
    const result = promote({ service, from: W1, to: W2 });
    expect(result.code).toBe(2);
    expect(result.out).toMatch(/nothing to promote/);
    expect(read(W2)).toBe(before);
  });

  (W3 ? test : test.skip)('GIVEN a target two waves later WHEN promoted THEN refused (exit 1) unless --force', () => {
    const service = shared(W1, W3!);
    setTagText(W1, service, '"8.8.8"');
    const before = read(W3!);
    const refused = promote({ service, from: W1, to: W3! });
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(new RegExp(`${W3} \\(wave 3\\) skips wave 2 — promote one wave at a time .*or pass --force`));
    expect(read(W3!)).toBe(before);
    expect(promote({ service, from: W1, to: W3!, force: true }).code).toBe(0);
    expect(changedLines(before, read(W3!))).toHaveLength(1);
  });

  test('GIVEN a target in an earlier wave WHEN promoted THEN refused', () => {
    const service = shared(W2, W1);
    expect(promote({ service, from: W2, to: W1 }).err).toMatch(/is not after .* wave 2/);
  });

  test('GIVEN --all WHEN several services differ THEN each changes on its own line and nothing else moves', () => {
    const services = data(W1).services.filter((s) => s.imageTag && data(W2).services.some((t) => t.name === s.name)).map((s) => s.name);
    services.forEach((s, i) => setTagText(W1, s, `"5.0.${i}"`));
    const before = read(W2);
    const result = promote({ all: true, from: W1, to: W2 });
    expect(result.code).toBe(0);
    expect(changedLines(before, read(W2))).toHaveLength(services.length);
    services.forEach((s, i) => expect(data(W2).services.find((t) => t.name === s)?.imageTag).toBe(`5.0.${i}`));
    expect(promote({ all: true, from: W1, to: W2 }).code).toBe(2);
  });

  test('GIVEN --chart and a pinned revision in the earlier wave WHEN promoted THEN the target gains one line pinning it, comments untouched', () => {
    const source = read(W1);
    writeFileSync(file(W1), `${source.endsWith('\n') ? source : `${source}\n`}gitops:\n  targetRevision: v2.3.0\n`);
    const service = shared(W1, W2);
    setTagText(W2, service, JSON.stringify(data(W1).services.find((s) => s.name === service)!.imageTag));
    const before = read(W2);
    const result = promote({ service, from: W1, to: W2, chart: true });
    expect(result.code).toBe(0);
    const after = read(W2);
    expect(data(W2).gitops?.targetRevision).toBe('v2.3.0');
    // Every original line is still there, in order; only lines were added.
    const added = after.split('\n').filter((l) => !before.split('\n').includes(l));
    expect(added.some((l) => /targetRevision: v2\.3\.0$/.test(l))).toBe(true);
    expect(after.split('\n').filter((l) => before.split('\n').includes(l))).toEqual(before.split('\n'));
    expect(result.out).toContain('promoted chart revision');
  });

  test('GIVEN a target with a revision set WHEN promoted with --chart THEN only that scalar changes', () => {
    writeFileSync(file(W1), `${read(W1)}\ngitops:\n  targetRevision: 0123456789abcdef0123456789abcdef01234567\n`);
    writeFileSync(file(W2), read(W2).replace(/^(aws:)/m, "gitops:\n  targetRevision: 'v1.0.0' # pinned\n$1"));
    const before = read(W2);
    const service = shared(W1, W2);
    setTagText(W2, service, JSON.stringify(data(W1).services.find((s) => s.name === service)!.imageTag));
    const result = promote({ service, from: W1, to: W2, chart: true });
    expect(result.code).toBe(0);
    const changed = changedLines(before, read(W2)).filter(([a]) => a.includes('targetRevision'));
    expect(changed).toEqual([["  targetRevision: 'v1.0.0' # pinned", "  targetRevision: '0123456789abcdef0123456789abcdef01234567' # pinned"]]);
  });

  test('GIVEN a target service without an image tag WHEN promoted THEN one imageTag line is added under its name, indented like it', () => {
    const service = shared(W1, W2);
    const lines = read(W2).split('\n');
    const at = lines.findIndex((l) => new RegExp(`name: ${service}$`).test(l));
    const tagLine = lines.findIndex((l, i) => i > at && /^\s+imageTag: /.test(l));
    lines.splice(tagLine, 1);
    writeFileSync(file(W2), lines.join('\n'));
    const result = promote({ service, from: W1, to: W2 });
    expect(result.code).toBe(0);
    const after = read(W2).split('\n');
    const nameLine = after.findIndex((l) => new RegExp(`name: ${service}$`).test(l));
    const indent = /^(\s*)(- )?/.exec(after[nameLine]!)![0].length;
    expect(after[nameLine + 1]).toMatch(new RegExp(`^ {${indent}}imageTag: `));
    expect(after.filter((_, i) => i !== nameLine + 1)).toEqual(lines);
  });

  test('GIVEN a tag that plain YAML would read as a number WHEN promoted into a plain scalar THEN it is quoted', () => {
    const service = shared(W1, W2);
    setTagText(W1, service, '"1.50"');
    setTagText(W2, service, '1.2.3');
    expect(promote({ service, from: W1, to: W2 }).code).toBe(0);
    expect(data(W2).services.find((s) => s.name === service)?.imageTag).toBe('1.50');
  });

  test.each([
    [{ service: 'no-such-service', from: W1, to: W2 }, /service "no-such-service" is not in .*\.yaml — choose from/],
    [{ service: 'x', from: 'nosuchenv', to: W2 }, /--from "nosuchenv": no such environment — choose from/],
    [{ from: W1, to: W2 }, /name the service to promote, or pass --all/],
    [{ service: 'x', from: W1, to: W1 }, /--from and --to are both/],
  ])('GIVEN bad arguments %o WHEN promoted THEN exit 1 with the fix', (options, expected) => {
    const result = promote(options);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(expected);
  });

  test('unifiedDiff: one changed line gives one hunk with context', () => {
    expect(unifiedDiff('a\nb\nc\nd\n', 'a\nb\nX\nd\n', 'f.yaml')).toEqual(['--- a/f.yaml', '+++ b/f.yaml', '@@ -1,5 +1,5 @@', ' a', ' b', '-c', '+X', ' d', ' ']);
  });
});
