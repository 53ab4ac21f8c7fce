'use strict';
/**
 * jest's module runtime, with V8's code cache for the modules a suite loads (jest.config.ts `runtime`).
 *
 * Every suite gets a fresh module registry, so jest compiles every module it loads again for every suite
 * (`vm.compileFunction`, which V8's in-memory compilation cache does not serve: jest/jest#9457,
 * nodejs/node#35375). A suite that synthesizes a stack loads ~700 files, ~9 MB (cdktf, the AWS provider,
 * zod, yaml, …): compiling them was 16% of the unit tier's CPU. This keeps each module's code cache —
 * produced on its first compilation, in this worker's memory and on disk beside jest's own cache — and
 * hands it to V8 on the next compilation, which then skips parsing and compiling the top-level code.
 * Output is the same: V8 checks the cache against the source (and its own version and flags) and
 * compiles normally when it does not match.
 *
 * It replaces one method of jest-runtime's module executor, jest 30's internal structure. When that
 * structure is not there (another jest), it says so once and jest compiles as it always does; the
 * unit tier's code-cache test fails then, so a lost optimization is seen.
 */
const { createHash } = require('node:crypto');
const { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const { compileFunction } = require('node:vm');
const Runtime = require('jest-runtime').default;

/** Entries unused for this long are removed (at most once a day): sources that changed leave old ones behind. */
const PRUNE_AFTER_MS = 7 * 24 * 3600 * 1000;
const memory = new Map();
const stats = { hits: 0, compiled: 0, rejected: 0 };
let directory;

function cacheDirectory(projectCacheDirectory) {
  if (directory === undefined) {
    directory = path.join(projectCacheDirectory, `v8-code-${process.versions.v8}-${process.arch}`);
    try {
      mkdirSync(directory, { recursive: true });
      prune(directory);
    } catch {
      directory = null; // read-only or missing: memory only
    }
  }
  return directory;
}

function prune(dir) {
  const marker = path.join(dir, '.pruned');
  let last = 0;
  try {
    last = statSync(marker).mtimeMs;
  } catch {
    writeFileSync(marker, '');
    return;
  }
  if (Date.now() - last < 24 * 3600 * 1000) return;
  writeFileSync(marker, '');
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.bin')) continue;
    const file = path.join(dir, name);
    try {
      if (Date.now() - statSync(file).atimeMs > PRUNE_AFTER_MS) rmSync(file, { force: true });
    } catch {
      // removed by another worker
    }
  }
}

function readCache(dir, key) {
  if (dir === null) return undefined;
  try {
    return readFileSync(path.join(dir, `${key}.bin`));
  } catch {
    return undefined;
  }
}

function writeCache(dir, key, data) {
  if (dir === null) return;
  // Written whole under a private name, then renamed: a concurrent worker reads the old file, the new one or none.
  const file = path.join(dir, `${key}.bin`);
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, data);
    renameSync(temporary, file);
  } catch {
    rmSync(temporary, { force: true });
  }
}

/** jest's `compile`, with the code cache: same arguments, same options, same function. */
function compileWithCodeCache(original, dir) {
  return function compile(scriptSource, filename) {
    const vmContext = this.environment.getVmContext();
    if (vmContext == null || this.resolution.isCoreModule(filename)) return original.call(this, scriptSource, filename);
    // In memory by file name and the wrapper's parameters (the source compared whole: cheap), on disk by a
    // hash of all three.
    const params = this.injectedModuleParameters.join(',');
    const id = `${params}\0${filename}`;
    const known = memory.get(id);
    const key =
      known?.source === scriptSource ? undefined : createHash('sha256').update(params).update('\0').update(filename).update('\0').update(scriptSource).digest('hex');
    const cachedData = key === undefined ? known.data : readCache(dir, key);
    let fn;
    try {
      fn = compileFunction(scriptSource, this.injectedModuleParameters, {
        filename,
        cachedData,
        produceCachedData: cachedData === undefined,
        importModuleDynamically: async (specifier, _function, importAttributes, ...rest) =>
          this.dynamicImport(specifier, filename, vmContext, importAttributes, rest[0]),
        parsingContext: vmContext,
      });
    } catch {
      // A syntax error (or anything else): jest's own compile reports it its way.
      return original.call(this, scriptSource, filename);
    }
    if (cachedData === undefined) {
      stats.compiled++;
      if (fn.cachedDataProduced) {
        memory.set(id, { source: scriptSource, data: fn.cachedData });
        writeCache(dir, key, fn.cachedData);
      }
    } else if (fn.cachedDataRejected) {
      stats.rejected++;
      memory.delete(id);
    } else {
      stats.hits++;
      if (key !== undefined) memory.set(id, { source: scriptSource, data: cachedData });
    }
    return fn;
  };
}

// The counts, where a test can read them (packages/testing/src/code-cache.test.ts proves the cache is in use).
globalThis[Symbol.for('platform.jest.codeCache')] = stats;
let warned = false;

class CodeCachingRuntime extends Runtime {
  constructor(config, ...rest) {
    super(config, ...rest);
    const executor = this.executor;
    const original = executor && Object.getPrototypeOf(executor).compile;
    if (typeof original !== 'function' || typeof executor.dynamicImport !== 'function' || !Array.isArray(executor.injectedModuleParameters)) {
      if (!warned) process.stderr.write('packages/testing/jest/runtime.cjs: this jest-runtime has no module executor to hook: compiling without the V8 code cache\n');
      warned = true;
      return;
    }
    executor.compile = compileWithCodeCache(original, cacheDirectory(config.cacheDirectory));
  }
}

if (process.env.PLATFORM_CODE_CACHE_STATS) {
  process.on('exit', () => {
    try {
      writeFileSync(path.join(process.env.PLATFORM_CODE_CACHE_STATS, `${process.pid}.json`), JSON.stringify(stats));
    } catch {
      // a report only
    }
  });
}

module.exports = CodeCachingRuntime;
module.exports.default = CodeCachingRuntime;
