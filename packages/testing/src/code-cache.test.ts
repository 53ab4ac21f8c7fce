import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type * as ProbeModule from './code-cache-probe';
import { processGlobal } from './process-global';

interface Stats {
  hits: number;
  compiled: number;
  fromDisk: number;
  rejected: number;
}

/** The counts packages/testing/jest/runtime.cjs keeps in the worker process (outside this file's sandbox). */
function stats(): Stats {
  const found = processGlobal()[Symbol.for('platform.jest.codeCache')] as Stats | undefined;
  if (!found) throw new Error('jest.config.ts does not run the suites with packages/testing/jest/runtime.cjs');
  return { ...found };
}

/** A fresh module registry, as the next test file gets, and the module loaded from it. */
function loadFresh<T>(id: string): T {
  let loaded: T | undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  jest.isolateModules(() => (loaded = require(id) as T));
  return loaded!;
}

/** `file:line:column` of the first frame of an error's stack that is in `file`. */
function where(error: unknown, file: string): string {
  const frame = ((error as Error).stack ?? '').split('\n').find((l) => l.includes(file));
  return /([^/(]+:\d+:\d+)\)?$/.exec(frame ?? '')?.[1] ?? `no frame in ${file}`;
}

test('GIVEN the suites run with the compiling runtime THEN modules go through its compile', () => {
  const { hits, compiled, fromDisk } = stats();
  expect(hits + compiled + fromDisk).toBeGreaterThan(0);
});

test('GIVEN a module compiled once in this worker WHEN it is loaded again into a fresh registry THEN its compiled script is run again, with module state of its own', () => {
  type Probe = typeof ProbeModule;
  const first = loadFresh<Probe>('./code-cache-probe');
  const before = stats();
  const second = loadFresh<Probe>('./code-cache-probe');
  const after = stats();
  expect(after.hits).toBe(before.hits + 1);
  expect(after.compiled).toBe(before.compiled);
  expect(after.fromDisk).toBe(before.fromDisk);
  expect(after.rejected).toBe(before.rejected);

  // Two registries, two module scopes: the shared code keeps no state between them.
  expect(second.probe).not.toBe(first.probe);
  expect(first.probe('a')).toBe('a-probe-1');
  expect(first.probe('a')).toBe('a-probe-2');
  expect(second.probe('b')).toBe('b-probe-1');
  // And each is a function of this suite's realm, as jest's own compile gives.
  expect(second.probe).toBeInstanceOf(Function);
});

test('GIVEN errors thrown in a module compiled by the runtime THEN their stacks give the lines and columns Node gives for its source, on the first line too', () => {
  type Throws = { onFirstLine: () => void; onFifthLine: () => void };
  for (const mod of [loadFresh<Throws>('./code-cache-throws.js'), loadFresh<Throws>('./code-cache-throws.js')]) {
    expect(() => mod.onFirstLine()).toThrow('first line');
    expect(() => mod.onFifthLine()).toThrow(TypeError);
    let first: unknown;
    let fifth: unknown;
    try {
      mod.onFirstLine();
    } catch (e) {
      first = e;
    }
    try {
      mod.onFifthLine();
    } catch (e) {
      fifth = e;
    }
    expect(where(first, 'code-cache-throws.js')).toBe('code-cache-throws.js:1:58');
    expect(where(fifth, 'code-cache-throws.js')).toBe('code-cache-throws.js:5:21');
  }
});

test('GIVEN a malformed file whose braces would close the module wrapper early THEN it fails with a SyntaxError, as under jest, and none of it runs', () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'code-cache-')), 'closes-early.js');
  writeFileSync(file, 'module.exports.x = 1;\n}); globalThis.__closedEarly = true; (function () {\n');
  for (let i = 0; i < 2; i++) {
    expect(() => loadFresh(file)).toThrow(SyntaxError);
    expect((globalThis as { __closedEarly?: boolean }).__closedEarly).toBeUndefined();
  }
});

test('GIVEN a module that calls import() WHEN loaded again (from this worker, or on a later run) THEN the call still reaches jest, not V8\'s missing-callback error', async () => {
  // Without --experimental-vm-modules jest refuses the import itself; what matters is that jest is asked.
  const outcomes: string[] = [];
  for (let i = 0; i < 2; i++) {
    const mod = loadFresh<{ load: () => Promise<unknown> }>('./code-cache-import.js');
    outcomes.push(await mod.load().then(() => 'imported', (e: Error) => e.message));
  }
  for (const outcome of outcomes) expect(outcome).not.toMatch(/dynamic import callback was not specified/);
  expect(new Set(outcomes).size).toBe(1);
});
