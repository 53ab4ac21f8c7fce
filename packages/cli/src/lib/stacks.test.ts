import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { cleanTemps, dataStack, makeOutdir, tempDir } from '../../test/helpers';
import { UsageError } from '../errors';
import { byEnvironment, environmentOf, listStacks, readSynthesized, selectStacks } from './stacks';

afterAll(cleanTemps);

describe('listStacks', () => {
  test('GIVEN a cdktf.out THEN every stacks/<id> holding a cdk.tf.json is listed, sorted', () => {
    const outdir = makeOutdir({ 'envthree-services': dataStack({}), 'envone-services': dataStack({}) });
    mkdirSync(path.join(outdir, 'stacks', 'not-a-stack'));
    expect(listStacks(outdir).map((s) => s.id)).toEqual(['envone-services', 'envthree-services']);
    expect(listStacks(outdir)[0]!.dir).toBe(path.join(outdir, 'stacks', 'envone-services'));
    expect(readSynthesized(outdir).get('envone-services')).toEqual(dataStack({}));
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
  const all = ['envone-network', 'envone-services', 'envthree-services'].map((id) => ({ id, dir: `/out/stacks/${id}` }));

  test.each([
    [[], [], ['envone-network', 'envone-services', 'envthree-services']],
    [['envthree-services', 'envone-services', 'envthree-services'], [], ['envthree-services', 'envone-services']],
    [[], ['envone'], ['envone-network', 'envone-services']],
    [['envone-services', 'envthree-services'], ['envthree'], ['envthree-services']],
  ])('GIVEN names %j and environments %j THEN %j', (names, envs, expected) => {
    expect(selectStacks(all, names, envs).map((s) => s.id)).toEqual(expected);
  });

  test('GIVEN unknown names THEN the error lists them and what exists', () => {
    expect(() => selectStacks(all, ['envone-servics', 'envfour-x'])).toThrow('"envone-servics", "envfour-x": no such stack in cdktf.out/stacks — choose from envone-network, envone-services, envthree-services');
  });

  test('GIVEN an unknown environment THEN the error names --env and the environments there are', () => {
    expect(() => selectStacks(all, [], ['envfour'])).toThrow('--env "envfour": no stacks of this environment in cdktf.out — choose from envone, envthree');
  });
});

test('environmentOf and byEnvironment follow the <env>-<stack> stack ids', () => {
  expect(environmentOf('envtwo-services')).toBe('envtwo');
  expect(environmentOf('odd')).toBe('odd');
  expect(byEnvironment(['envthree-b', 'envone-a', 'envthree-a'])).toEqual({ envone: ['envone-a'], envthree: ['envthree-a', 'envthree-b'] });
});
