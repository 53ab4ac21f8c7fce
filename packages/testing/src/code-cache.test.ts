import { processGlobal } from './process-global';

/** The counts packages/testing/jest/runtime.cjs keeps in the worker process (outside this file's sandbox). */
function stats(): { hits: number; compiled: number; rejected: number } {
  const found = processGlobal()[Symbol.for('platform.jest.codeCache')] as { hits: number; compiled: number; rejected: number } | undefined;
  if (!found) throw new Error('jest.config.ts does not run the suites with packages/testing/jest/runtime.cjs');
  return { ...found };
}

test('GIVEN the suites run with the code-caching runtime THEN modules go through its compile', () => {
  const { hits, compiled } = stats();
  expect(hits + compiled).toBeGreaterThan(0);
});

test('GIVEN a module compiled once in this process WHEN it is loaded again into a fresh registry THEN V8 takes its code cache', () => {
  // A fresh registry, as the next test file gets: the module is compiled again, from its source.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  jest.isolateModules(() => require('./code-cache-probe'));
  const before = stats();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  jest.isolateModules(() => require('./code-cache-probe'));
  const after = stats();
  expect(after.hits).toBe(before.hits + 1);
  expect(after.compiled).toBe(before.compiled);
  expect(after.rejected).toBe(before.rejected);
});
