import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { leaves, mergeValues, readEnvironmentValues, renderPath, toTerraformYaml } from './values';

describe('mergeValues', () => {
  it('GIVEN three layers WHEN merged THEN mappings merge, lists and scalars are replaced, null removes', () => {
    const merged = mergeValues(
      { a: { b: 1, c: [1, 2] }, d: 'x', e: { f: 1 } },
      { a: { c: [3] }, d: 'y' },
      { a: { g: true }, e: null }
    );
    expect(merged).toEqual({ a: { b: 1, c: [3], g: true }, d: 'y' });
  });

  it('GIVEN a layer WHEN merged and the result changed THEN the layer is untouched', () => {
    const layer = { a: { b: [1] } };
    const merged = mergeValues(layer) as { a: { b: number[] } };
    merged.a.b.push(2);
    expect(layer).toEqual({ a: { b: [1] } });
  });
});

describe('readEnvironmentValues', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'env-values-'));
  writeFileSync(path.join(dir, 'values-envone.yaml'), 'replicas: 2\n');
  writeFileSync(path.join(dir, 'values-envtwo.yaml'), '- a list\n');
  writeFileSync(path.join(dir, 'values-envthree.yaml'), '# only comments\n');

  it.each([
    ['envone', { values: { replicas: 2 } }],
    ['envtwo', { error: 'is not a YAML mapping of values' }],
    ['envthree', { values: {} }],
  ])('GIVEN values-%s.yaml WHEN read THEN %p', (env, expected) => {
    expect(readEnvironmentValues(dir, env)).toMatchObject(expected);
  });

  it('GIVEN no file for the environment WHEN read THEN there is no layer', () => {
    expect(readEnvironmentValues(dir, 'envfour')).toBeUndefined();
  });
});

describe('toTerraformYaml', () => {
  it('GIVEN nested values WHEN rendered THEN the YAML parses back to the same data (after escaping)', () => {
    const values = { a: { b: ['x', 'y'] }, long: 'z'.repeat(200), tpl: '{{ .x }}' };
    expect(parse(toTerraformYaml(values))).toEqual(values);
  });
});

describe('leaves / renderPath', () => {
  it('GIVEN a tree WHEN walked THEN every scalar and empty collection is a leaf with its path', () => {
    expect(leaves({ a: [1, { b: 'c' }], d: {}, e: [] }).map((l) => renderPath(l.path))).toEqual(['a[0]', 'a[1].b', 'd', 'e']);
  });
});

describe('readEnvironmentValues on hostile files', () => {
  test.each([
    ['an unknown tag', 'replicas: !Ref Replicas\n', /is not valid YAML: Unresolved tag: !Ref/],
    ['an alias bomb', 'a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n', /cannot be read as YAML data: Excessive alias count/],
  ])('GIVEN %s WHEN read THEN an error is returned, nothing is printed or thrown', (_label, text, expected) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'values-hostile-'));
    writeFileSync(path.join(dir, 'values-zhostile.yaml'), text);
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      expect(readEnvironmentValues(dir, 'zhostile')?.error).toMatch(expected);
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
