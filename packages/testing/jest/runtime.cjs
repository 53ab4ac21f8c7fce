'use strict';
/**
 * jest's module runtime, compiling each module once per worker (jest.config.ts `runtime`).
 *
 * Every suite gets a fresh module registry, so jest compiles every module it loads again for every suite,
 * bound to that suite's context (`vm.compileFunction` with `parsingContext`, which V8's in-memory
 * compilation cache does not serve: jest/jest#9457, nodejs/node#35375). A suite that synthesizes a stack
 * loads ~700 files, ~9 MB (cdktf, the AWS provider, zod, yaml, …), and every function it calls is parsed and
 * compiled again too. Here each module is a `vm.Script`, which no context owns: compiled once per worker, it
 * runs in each suite's context and gives that suite a function of its own (its own module scope, its own
 * exports; only the code is shared), and what V8 compiled lazily for one suite serves the next. The first
 * compilation in a worker takes V8's code cache from disk, beside jest's own cache, when there is one; it
 * is written once the module has served a suite, so it holds the functions that ran. V8 checks the cache
 * against the source (and its own version and flags) and compiles normally when it does not match.
 *
 * It replaces one method of jest-runtime's module executor, jest 30's internal structure. When that
 * structure is not there (another jest), it says so once and jest compiles as it always does; the
 * unit tier's code-cache test fails then, so a lost optimization is seen.
 */
const { createHash } = require('node:crypto');
const { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const { compileFunction, Script } = require('node:vm');
const Runtime = require('jest-runtime').default;

/** Entries unused for this long are removed (at most once a day): sources that changed leave old ones behind. */
const PRUNE_AFTER_MS = 7 * 24 * 3600 * 1000;
const memory = new Map();
const stats = { hits: 0, compiled: 0, fromDisk: 0, rejected: 0 };
/** The suite running in this worker now, for dynamic `import()` from a module compiled for an earlier one. */
const active = { executor: undefined, vmContext: undefined };
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

/**
 * The wrapper a module's source is compiled in: a function of jest's module parameters, its header on a line
 * of its own and `lineOffset: -1`, so every line and column of the module is where it is in the source.
 */
const WRAPPER_VERSION = 'script-wrapper-2';
function wrap(source, params) {
  // A hashbang is only valid at the very start of a script: keep its line (and every column) as a comment.
  const body = source.startsWith('#!') ? `//${source.slice(2)}` : source;
  return `(function (${params}) {\n${body}\n})`;
}

/**
 * Node 20 drops a script's `importModuleDynamically` when the script is made from cached data (`import()`
 * then fails with "A dynamic import callback was not specified"; Node 24 keeps it). A module whose source
 * may call `import()` is therefore compiled without the disk cache (it is still compiled once per worker).
 */
const MAY_IMPORT = /\bimport\s*\(/;

/**
 * jest's `compile`, once per module and worker: same function, same behaviour.
 *
 * jest compiles every module again for each suite, bound to that suite's context (`vm.compileFunction` with
 * `parsingContext`). A `vm.Script` is not bound to a context: compiled once, it runs in each suite's context
 * and gives that suite its own function (its own module scope, nothing shared but the code). V8 then also
 * keeps what it compiled lazily — every function a suite called, parsed and compiled once per worker
 * instead of once per suite. The first compilation in a worker takes V8's code cache from disk when there
 * is one (written after the module first ran, so it holds the functions that ran).
 *
 * A source is checked as a function body (`vm.compileFunction`, as jest compiles it) before its script is
 * first made, unless V8 accepted a disk cache made from this exact source, which was checked then: a
 * malformed file whose braces happen to close the wrapper early must fail as it does under jest, not run.
 */
function compileOncePerWorker(original, dir) {
  return function compile(scriptSource, filename) {
    const vmContext = this.environment.getVmContext();
    if (vmContext == null || this.resolution.isCoreModule(filename)) return original.call(this, scriptSource, filename);
    active.executor = this;
    active.vmContext = vmContext;
    const params = this.injectedModuleParameters.join(',');
    const id = `${params}\0${filename}`;
    let entry = memory.get(id);
    if (entry !== undefined && entry.source !== scriptSource) {
      memory.delete(id);
      entry = undefined;
    }
    if (entry === undefined) {
      const diskCache = MAY_IMPORT.test(scriptSource) ? null : dir;
      const key = createHash('sha256').update(WRAPPER_VERSION).update('\0').update(params).update('\0').update(filename).update('\0').update(scriptSource).digest('hex');
      const cachedData = readCache(diskCache, key);
      let script;
      try {
        script = new Script(wrap(scriptSource, params), {
          filename,
          lineOffset: -1,
          cachedData,
          // Routed to the suite running now (a worker runs one suite at a time), resolved from this module.
          importModuleDynamically: async (specifier, _script, importAttributes, ...rest) => {
            if (active.executor === undefined) throw new Error(`${filename}: import(${JSON.stringify(specifier)}) after its test file was torn down`);
            return active.executor.dynamicImport(specifier, filename, active.vmContext, importAttributes, rest[0]);
          },
        });
        if (cachedData === undefined || script.cachedDataRejected) compileFunction(scriptSource, this.injectedModuleParameters, { filename });
      } catch {
        // A syntax error (or anything else): jest's own compile reports it its way.
        return original.call(this, scriptSource, filename);
      }
      if (cachedData === undefined) stats.compiled++;
      else if (script.cachedDataRejected) stats.rejected++;
      else stats.fromDisk++;
      entry = { source: scriptSource, script, key, diskCache, saved: cachedData !== undefined && !script.cachedDataRejected };
      memory.set(id, entry);
    } else {
      stats.hits++;
      if (!entry.saved) {
        // Used by a second suite: it has run, so its code cache now holds the functions that ran.
        entry.saved = true;
        writeCache(entry.diskCache, entry.key, entry.script.createCachedData());
      }
    }
    return entry.script.runInContext(vmContext);
  };
}

// The counts, where a test can read them (packages/testing/src/code-cache.test.ts proves the cache is in use).
globalThis[Symbol.for('platform.jest.codeCache')] = stats;
let warned = false;

class CodeCachingRuntime extends Runtime {
  constructor(config, environment, resolver, transformer, cacheFS, coverageOptions, ...rest) {
    super(config, environment, resolver, transformer, cacheFS, coverageOptions, ...rest);
    // V8 coverage reports positions in the compiled text, which jest maps as its own compile made it:
    // with `--coverage --coverageProvider=v8`, jest compiles as it always does.
    if (coverageOptions?.collectCoverage && coverageOptions.coverageProvider === 'v8') return;
    const executor = this.executor;
    const original = executor && Object.getPrototypeOf(executor).compile;
    if (typeof original !== 'function' || typeof executor.dynamicImport !== 'function' || !Array.isArray(executor.injectedModuleParameters)) {
      if (!warned) process.stderr.write('packages/testing/jest/runtime.cjs: this jest-runtime has no module executor to hook: every suite compiles its modules again, as jest does\n');
      warned = true;
      return;
    }
    executor.compile = compileOncePerWorker(original, cacheDirectory(config.cacheDirectory));
  }

  teardown() {
    super.teardown();
    // The finished suite's runtime and context must not outlive it here (jest's --detectLeaks checks).
    if (active.executor === this.executor) {
      active.executor = undefined;
      active.vmContext = undefined;
    }
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
