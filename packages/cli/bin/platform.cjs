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
    if (bundle) return require(bundle);
  }
  require('tsx/cjs');
  return require('../src/program.ts');
}

loadProgram()
  .then((program) => program.main(process.argv))
  .then((code) => {
    process.exitCode = code;
  });
