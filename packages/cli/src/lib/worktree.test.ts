import { lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { linkNodeModules, withoutNpx } from './worktree';

let work: string;
beforeEach(() => {
  work = mkdtempSync(path.join(tmpdir(), 'worktree-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

function write(file: string, text = ''): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

describe('withoutNpx', () => {
  test('GIVEN `npx <bin> …` and the checkout has node_modules/.bin/<bin> THEN the binary runs directly, arguments kept', () => {
    write(path.join(work, 'node_modules', '.bin', 'tsx'));
    expect(withoutNpx('npx tsx main.ts', work)).toBe('tsx main.ts');
    expect(withoutNpx('  npx tsx  main.ts --flag "a b"', work)).toBe('tsx  main.ts --flag "a b"');
    expect(withoutNpx('npx tsx', work)).toBe('tsx');
  });

  test('GIVEN anything npx itself would have to resolve or install THEN the command is unchanged', () => {
    write(path.join(work, 'node_modules', '.bin', 'tsx'));
    for (const app of ['npx ts-node main.ts', 'npx --yes tsx main.ts', 'npx -p tsx tsx main.ts', 'npx tsx@4 main.ts', 'npx @scope/tool main.ts', 'node main.js', 'npxtsx main.ts']) {
      expect(withoutNpx(app, work)).toBe(app);
    }
  });
});

describe('linkNodeModules', () => {
  test('GIVEN installed packages and a checkout with its own workspace packages THEN own packages link to the checkout, others to the installation; scopes without own packages are linked whole', () => {
    const from = path.join(work, 'installed');
    for (const pkg of ['yaml', '.bin', '@cdktf/provider-aws', '@cdktf/provider-helm', '@acme/config', '@acme/other']) mkdirSync(path.join(from, pkg), { recursive: true });
    const checkout = path.join(work, 'checkout');
    write(path.join(checkout, 'package.json'), JSON.stringify({ workspaces: ['packages/*'] }));
    write(path.join(checkout, 'packages', 'config', 'package.json'), JSON.stringify({ name: '@acme/config' }));
    write(path.join(checkout, 'packages', 'fresh', 'package.json'), JSON.stringify({ name: '@acme/fresh' }));

    linkNodeModules(checkout, from);

    const nm = path.join(checkout, 'node_modules');
    const link = (p: string) => (lstatSync(path.join(nm, p)).isSymbolicLink() ? readlinkSync(path.join(nm, p)) : 'not a link');
    expect(link('yaml')).toBe(path.join(from, 'yaml'));
    expect(link('.bin')).toBe(path.join(from, '.bin'));
    expect(link('@cdktf')).toBe(path.join(from, '@cdktf'));
    expect(link('@acme')).toBe('not a link');
    expect(link('@acme/config')).toBe(path.join(checkout, 'packages', 'config'));
    expect(link('@acme/fresh')).toBe(path.join(checkout, 'packages', 'fresh'));
    expect(link('@acme/other')).toBe(path.join(from, '@acme', 'other'));
  });
});
