import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { cleanTemps, dataStack, makeOutdir, tempDir } from '../../test/helpers';
import { UsageError } from '../errors';
import { byEnvironment, environmentOf, listStacks, readSynthesized, selectStacks } from './stacks';

afterAll(cleanTemps);

describe('listStacks', () => {
  test('GIVEN a cdktf.out THEN every stacks/<id> holding a cdk.tf.json is listed, sorted', () => {
    const outdir = makeOutdir({ 'prod-services': dataStack({}), 'dev-services': dataStack({}) });
    mkdirSync(path.join(outdir, 'stacks', 'not-a-stack'));
    expect(listStacks(outdir).map((s) => s.id)).toEqual(['dev-services', 'prod-services']);
    expect(listStacks(outdir)[0]!.dir).toBe(path.join(outdir, 'stacks', 'dev-services'));
    expect(readSynthesized(outdir).get('dev-services')).toEqual(dataStack({}));
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
  const all = ['dev-network', 'dev-services', 'prod-services'].map((id) => ({ id, dir: `/out/stacks/${id}` }));

  test.each([
    [[], [], ['dev-network', 'dev-services', 'prod-services']],
    [['prod-services', 'dev-services', 'prod-services'], [], ['prod-services', 'dev-services']],
    [[], ['dev'], ['dev-network', 'dev-services']],
    [['dev-services', 'prod-services'], ['prod'], ['prod-services']],
  ])('GIVEN names %j and environments %j THEN %j', (names, envs, expected) => {
    expect(selectStacks(all, names, envs).map((s) => s.id)).toEqual(expected);
  });

  test('GIVEN unknown names THEN the error lists them and what exists', () => {
    expect(() => selectStacks(all, ['dev-servics', 'qa-x'])).toThrow('"dev-servics", "qa-x": no such stack in cdktf.out/stacks — choose from dev-network, dev-services, prod-services');
  });

  test('GIVEN an unknown environment THEN the error names --env and the environments there are', () => {
    expect(() => selectStacks(all, [], ['qa'])).toThrow('--env "qa": no stacks of this environment in cdktf.out — choose from dev, prod');
  });
});

test('environmentOf and byEnvironment follow the <env>-<stack> stack ids', () => {
  expect(environmentOf('staging-services')).toBe('staging');
  expect(environmentOf('odd')).toBe('odd');
  expect(byEnvironment(['prod-b', 'dev-a', 'prod-a'])).toEqual({ dev: ['dev-a'], prod: ['prod-a', 'prod-b'] });
});
