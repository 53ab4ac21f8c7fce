#!/usr/bin/env node
// Runs the CLI precompiled by ./build.cjs (one JavaScript file, built at `npm ci` by the root `prepare`
// script) when it is fresh — every source it was built from unchanged — and rebuilds it first when it is
// not. Without esbuild, or with PLATFORM_DEBUG=1 (source-mapped stack traces), it runs the TypeScript
// sources through tsx instead: slower, same output.
'use strict';

// `platform … | head`: a closed pipe ends the run quietly, as for any Unix tool.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

/**
 * Loads the bundle like `require`, with V8's code cache beside it (`<bundle>.<command>.v8cache`, written after the first
 * run, so it holds the functions that run compiled): start-up skips parsing and compiling most of it.
 */
function requireWithCodeCache(file) {
  const fs = require('node:fs');
  const path = require('node:path');
  const vm = require('node:vm');
  const Module = require('node:module');
  // One cache per sub-command: each holds the functions its own runs compiled.
  const command = /^[a-z][a-z-]*$/.test(process.argv[2] ?? '') ? process.argv[2] : 'help';
  const cacheFile = `${file}.${command}.v8cache`;
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(fs.readFileSync(file, 'utf8')), { filename: file, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once('exit', () => {
      try {
        const tmp = `${cacheFile}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, script.createCachedData());
        fs.renameSync(tmp, cacheFile);
      } catch {
        // A read-only node_modules: run without the cache.
      }
    });
  }
  const mod = new Module(file, module);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(path.dirname(file));
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
  mod.loaded = true;
  return mod.exports;
}

async function loadProgram() {
  if (!process.env.PLATFORM_DEBUG) {
    const { build, freshBundle } = require('./build.cjs');
    let bundle = freshBundle();
    if (!bundle) {
      try {
        bundle = await build();
      } catch {
        bundle = undefined;
      }
    }
    if (bundle) {
      try {
        return requireWithCodeCache(bundle);
      } catch (err) {
        // Removed by a concurrent rebuild between the freshness check and the read: run from sources.
        if (err.code !== 'ENOENT') throw err;
      }
    }
  }
  require('tsx/cjs');
  return require('../src/program.ts');
}

loadProgram()
  .then((program) => program.main(process.argv))
  .then((code) => {
    process.exitCode = code;
  });
