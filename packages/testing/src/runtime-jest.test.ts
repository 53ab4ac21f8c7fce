/**
 * packages/testing/jest/runtime.cjs inside a real jest run of its own (two tiny test files in a temporary
 * folder, one worker, no transform): what jest itself checks about a runtime must hold with it as without it.
 * @tier integration — it starts jest twice (~2 s of CPU), so it stays out of the seconds-fast unit tier.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '..', '..', '..');
const JEST = path.join(REPO, 'node_modules', 'jest', 'bin', 'jest.js');
const RUNTIME = path.join(REPO, 'packages', 'testing', 'jest', 'runtime.cjs');

const MODULE = `'use strict';
function used(n) {
  if (n > 10) return 'big';
  return 'small';
}
function unused() {
  return 'never';
}
module.exports = { used, unused };
`;
// Each probe also reports how many modules went through the runtime's compile (its counts live on the
// process's own global, outside the test file's sandbox, reached as packages/testing/src/process-global.ts
// does: the probe is plain JavaScript in a jest run without this repository's transform).
const PROBE = `const { used } = require('./measured');
test('uses one branch of one function', () => expect(used(11)).toBe('big'));
test('reports the runtime', () => {
  const processGlobal = require('node:fs').openSync.constructor('return globalThis')();
  const s = processGlobal[Symbol.for('platform.jest.codeCache')];
  console.log('through the runtime: ' + (s.hits + s.compiled + s.fromDisk + s.rejected));
});
`;

/** This process's environment without jest's worker number, which the inner jest would take for its own. */
function withoutJestWorkerId(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.JEST_WORKER_ID;
  return env;
}

/** Runs jest with the runtime on the probe files in `dir` with `args`. */
function runJest(dir: string, args: readonly string[]): { code: number | null; output: string; throughRuntime: number[] } {
  const config = { rootDir: dir, testEnvironment: 'node', testMatch: ['<rootDir>/*.probe.js'], transform: {}, cacheDirectory: path.join(dir, 'cache'), runtime: RUNTIME };
  const result = spawnSync(process.execPath, [JEST, '--config', JSON.stringify(config), '--ci', '-i', ...args], { cwd: dir, encoding: 'utf8', env: withoutJestWorkerId() });
  const output = `${result.stdout}${result.stderr}`;
  return { code: result.status, output, throughRuntime: [...output.matchAll(/through the runtime: (\d+)/g)].map((m) => Number(m[1])) };
}

describe('the compiling runtime in a jest run of its own (two test files, one worker)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'runtime-jest-'));
    writeFileSync(path.join(dir, 'measured.js'), MODULE);
    writeFileSync(path.join(dir, 'a.probe.js'), PROBE);
    writeFileSync(path.join(dir, 'b.probe.js'), PROBE);
  });

  test('GIVEN --detectLeaks THEN no test file realm outlives its file', () => {
    const run = runJest(dir, ['--detectLeaks']);
    expect(run.output).not.toMatch(/leaking memory/);
    expect(run.output).toContain('Tests:       4 passed, 4 total');
    expect(run.code).toBe(0);
    expect(run.throughRuntime.length).toBe(2);
    expect(run.throughRuntime.every((n) => n > 0)).toBe(true);
  });

  // V8 reports positions in the compiled text, which jest maps as its own compile made it.
  test('GIVEN --coverage --coverageProvider=v8 THEN the runtime steps aside and the coverage is right: one of two functions, one of two branches', () => {
    const out = path.join(dir, 'coverage');
    const run = runJest(dir, ['--coverage', '--coverageProvider=v8', '--coverageReporters=json-summary', '--coverageDirectory', out]);
    expect(run.output).toContain('Tests:       4 passed, 4 total');
    expect(run.throughRuntime).toEqual([0, 0]);
    const summary = JSON.parse(readFileSync(path.join(out, 'coverage-summary.json'), 'utf8')) as Record<string, { functions: { total: number; covered: number }; branches: { total: number; covered: number } }>;
    const measured = summary[path.join(dir, 'measured.js')]!;
    expect(measured.functions).toMatchObject({ total: 2, covered: 1 });
    expect(measured.branches.covered).toBeLessThan(measured.branches.total);
  });
});
