/** @jest-config-loader esbuild-register */
import { accessSync, constants, readdirSync, readFileSync, statfsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import type { Config } from 'jest';

/**
 * Two tiers, derived from each suite's source (no hand-kept list):
 *   - `unit`: starts no external binary — `npm run test:unit`, seconds, no .tools needed;
 *   - `integration`: starts helm, OpenTofu, moto, actionlint, git, … — `npx jest` / `npm test` run both.
 * A suite is `integration` when it lives under a package's `test/` folder (the real-engine suites),
 * names a tool launcher (`toolPath(`, `startMoto(`, `tofu(`/`tofuOk(`), calls child_process with a
 * literal command other than node (`execFileSync('git', …)`), or says `@tier integration` in a comment.
 * `@tier unit` forces the unit tier. The unit tier enforces the rule at run time
 * (packages/testing/src/setup.ts): a unit suite that starts anything but node fails, naming the binary.
 */
const ROOTS = ['packages', 'modules', 'stacks', 'charts'];

/**
 * Scratch space. The suites create and delete thousands of files and folders (synth outputs, git worktrees,
 * OpenTofu working folders, copies of the repository): on a disk filesystem that is kernel time — ~5 s of
 * CPU per run of all of jest on the 2-core machine, whose /tmp is ext4 mounted with `discard`. When TMPDIR
 * is not set, the suites (and the tools they start) work in /dev/shm if it is a memory filesystem (tmpfs)
 * with at least 2 GiB free, mounted without `noexec`; set TMPDIR to choose another folder. The workers
 * inherit it from here.
 */
const TMPFS_MAGIC = 0x01021994;
const MEMORY_SCRATCH = '/dev/shm';
function memoryScratch(): string | undefined {
  try {
    const fs = statfsSync(MEMORY_SCRATCH);
    accessSync(MEMORY_SCRATCH, constants.W_OK | constants.X_OK);
    // Suites run scripts they write there (engine wrappers, an `npx` shim): not on a `noexec` mount.
    const mount = readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .map((line) => line.split(' '))
      .filter((fields) => fields[1] === MEMORY_SCRATCH)
      .pop();
    if (!mount || (mount[3] ?? '').split(',').includes('noexec')) return undefined;
    return fs.type === TMPFS_MAGIC && fs.bavail * fs.bsize >= 2 * 1024 ** 3 ? MEMORY_SCRATCH : undefined;
  } catch {
    return undefined;
  }
}
if (!process.env.TMPDIR) {
  const scratch = memoryScratch();
  if (scratch) process.env.TMPDIR = scratch;
}
const INTEGRATION_SOURCE =
  /\b(toolPath|startMoto|tofu|tofuOk)\(|\b(spawn|spawnSync|exec|execSync|execFile|execFileSync)\(\s*['"`](?!node['"`])/;

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name.startsWith('.') ? [] : testFiles(p);
    return entry.name.endsWith('.test.ts') ? [p] : [];
  });
}

/** The suite's tier: see above. */
export function tierOf(file: string, source: string): 'unit' | 'integration' {
  const forced = /@tier\s+(unit|integration)\b/.exec(source);
  if (forced) return forced[1] as 'unit' | 'integration';
  if (/^packages\/[^/]+\/test\//.test(path.relative(__dirname, file).split(path.sep).join('/'))) return 'integration';
  return INTEGRATION_SOURCE.test(source) ? 'integration' : 'unit';
}

const integrationSuites = ROOTS.flatMap((r) => testFiles(path.join(__dirname, r))).filter(
  (f) => tierOf(f, readFileSync(f, 'utf8')) === 'integration',
);
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const integrationPattern = integrationSuites.length ? `^(${integrationSuites.map(escape).join('|')})$` : '^$';

// TypeScript is transpiled by SWC (no type-checking here: `npm run lint` runs `tsc --noEmit`).
const shared: Config = {
  rootDir: __dirname,
  testEnvironment: 'node',
  roots: ROOTS.map((r) => `<rootDir>/${r}`),
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  setupFilesAfterEnv: ['<rootDir>/packages/testing/src/setup.ts'],
  // jest's runtime compiling each module once per worker: every suite compiles ~700 modules again otherwise (see the file).
  runtime: '<rootDir>/packages/testing/jest/runtime.cjs',
  modulePathIgnorePatterns: ['<rootDir>/cdktf.out', '<rootDir>/.tools'],
  // Kept in the repository (ignored by git), not in TMPDIR: the suites leave nothing there.
  cacheDirectory: '<rootDir>/node_modules/.cache/jest',
  snapshotFormat: { escapeString: false, printBasicPrototype: false },
  // Integration suites start real binaries (helm, OpenTofu, moto); keep their wall time visible.
  slowTestThreshold: 10,
  testTimeout: 30_000,
};

const config: Config = {
  // Two workers more than cores: some integration suites mostly wait (the self-lock suite, ~30 s, waits on
  // the engine's retry back-off; others on OpenTofu and moto), and the extra workers fill the cores meanwhile.
  // Measured on the 2-core machine, all suites: 1 worker (jest's default there) 113 s; 2 workers 56 s; with
  // modules compiled once per worker, 3 workers 39.3–40.2 s (less CPU, but the waiting suite holds one of
  // them) against 37.4–39.9 s for 4; 5 workers no better. The unit tier runs one per core (`npm run test:unit`).
  maxWorkers: availableParallelism() + 2,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', integrationPattern],
      globals: { PLATFORM_TEST_TIER: 'unit' },
    },
    {
      ...shared,
      displayName: 'integration',
      testRegex: integrationPattern,
      globals: { PLATFORM_TEST_TIER: 'integration' },
    },
  ],
  snapshotFormat: shared.snapshotFormat,
  testTimeout: 30_000,
};

export default config;
