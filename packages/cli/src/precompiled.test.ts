// The precompiled CLI (packages/cli/bin/build.cjs) is run only while every input it was built from is
// unchanged: a handmade manifest over files in a temporary folder, changed one way at a time.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '@platform/testing';

interface BuildModule {
  fingerprint(rel: string, root?: string): string;
  freshBundle(root?: string, outDir?: string): string | undefined;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS script beside bin/platform.cjs
const { fingerprint, freshBundle } = require(path.join(repoRoot, 'packages/cli/bin/build.cjs')) as BuildModule;

describe('freshBundle', () => {
  let root: string;
  let outDir: string;
  const inputs = ['packages/a/src/index.ts', 'packages/b/src/lib.ts', 'node_modules/.package-lock.json'];

  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'precompiled-'));
    outDir = path.join(root, 'node_modules', '.cache', 'platform-cli');
    mkdirSync(outDir, { recursive: true });
    for (const rel of inputs) {
      mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      writeFileSync(path.join(root, rel), `// ${rel}\n`);
    }
    writeFileSync(path.join(outDir, 'program-1.cjs'), 'module.exports = {};\n');
    const manifest = { bundle: 'program-1.cjs', node: process.version, root, inputs: Object.fromEntries(inputs.map((rel) => [rel, fingerprint(rel, root)])) };
    writeFileSync(path.join(outDir, 'manifest.json'), JSON.stringify(manifest));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const manifest = () => JSON.parse(readFileSync(path.join(outDir, 'manifest.json'), 'utf8')) as Record<string, unknown>;

  test('GIVEN nothing changed THEN the bundle is used', () => {
    expect(freshBundle(root, outDir)).toBe(path.join(outDir, 'program-1.cjs'));
  });

  test.each([
    ['a source is edited (size)', () => writeFileSync(path.join(root, inputs[0]!), '// edited, longer\n')],
    ['a source is touched (mtime, same size, e.g. a git checkout)', () => utimesSync(path.join(root, inputs[1]!), new Date(), new Date(statSync(path.join(root, inputs[1]!)).mtimeMs + 5000))],
    ['a source is deleted', () => rmSync(path.join(root, inputs[0]!))],
    ['the dependencies are reinstalled (lockfile)', () => writeFileSync(path.join(root, inputs[2]!), '{"changed":true}\n')],
    ['the bundle file is gone', () => rmSync(path.join(outDir, 'program-1.cjs'))],
    ['another Node version built it', () => writeFileSync(path.join(outDir, 'manifest.json'), JSON.stringify({ ...manifest(), node: 'v0.0.0' }))],
    ['another checkout built it', () => writeFileSync(path.join(outDir, 'manifest.json'), JSON.stringify({ ...manifest(), root: '/elsewhere' }))],
    ['the manifest is unreadable', () => writeFileSync(path.join(outDir, 'manifest.json'), '{')],
  ])('GIVEN %s THEN the bundle is not used (bin/platform.cjs rebuilds it)', (_label, change) => {
    change();
    expect(freshBundle(root, outDir)).toBeUndefined();
  });
});
