import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { cleanTemps, dataStack, makeOutdir, tempDir } from '../../test/helpers';
import { UsageError } from '../errors';
import { byEnvironment, environmentOf, listStacks, readSynthesized, selectStacks } from './stacks';

afterAll(cleanTemps);

describe('listStacks', () => {
  test('GIVEN a cdktf.out THEN every stacks/<id> holding a cdk.tf.json is listed, sorted', () => {
    const outdir = makeOutdir({ 'papa-services': dataStack({}), 'delta-services': dataStack({}) });
    mkdirSync(path.join(outdir, 'stacks', 'not-a-stack'));
    expect(listStacks(outdir).map((s) => s.id)).toEqual(['delta-services', 'papa-services']);
    expect(listStacks(outdir)[0]!.dir).toBe(path.join(outdir, 'stacks', 'delta-services'));
    expect(readSynthesized(outdir).get('delta-services')).toEqual(dataStack({}));
  });

  test.each([
    ['a missing folder', () => '/nonexistent/cdktf.out', /\/nonexistent\/cdktf.out: no synthesized output here — run `platform synth` first/],
    ['a folder without stacks/', () => tempDir(), /has no stacks\/ folder — it is not a cdktf output/],
  ])('GIVEN %s THEN a UsageError says to synthesize', (_name, dir, message) => {
    expect(() => listStacks(dir())).toThrow(UsageError);
    expect(() => listStacks(dir())).toThrow(message);
  });
});

describe('selectStacks', () => {
  const all = ['delta-network', 'delta-services', 'papa-services'].map((id) => ({ id, dir: `/out/stacks/${id}` }));

  test.each([
    [[], [], ['delta-network', 'delta-services', 'papa-services']],
    [['papa-services', 'delta-services', 'papa-services'], [], ['papa-services', 'delta-services']],
    [[], ['delta'], ['delta-network', 'delta-services']],
    [['delta-services', 'papa-services'], ['papa'], ['papa-services']],
  ])('GIVEN names %j and environments %j THEN %j', (names, envs, expected) => {
    expect(selectStacks(all, names, envs).map((s) => s.id)).toEqual(expected);
  });

  test('GIVEN unknown names THEN the error lists them and what exists', () => {
    expect(() => selectStacks(all, ['delta-servics', 'quebec-x'])).toThrow('"delta-servics", "quebec-x": no such stack in cdktf.out/stacks — choose from delta-network, delta-services, papa-services');
  });

  test('GIVEN an unknown environment THEN the error names --env and the environments there are', () => {
    expect(() => selectStacks(all, [], ['quebec'])).toThrow('--env "quebec": no stacks of this environment in cdktf.out — choose from delta, papa');
  });
});

test('environmentOf and byEnvironment follow the <env>-<stack> stack ids', () => {
  expect(environmentOf('sierra-services')).toBe('sierra');
  expect(environmentOf('odd')).toBe('odd');
  expect(byEnvironment(['papa-b', 'delta-a', 'papa-a'])).toEqual({ delta: ['delta-a'], papa: ['papa-a', 'papa-b'] });
});
