#!/usr/bin/env node
// Runs the TypeScript sources through tsx (esbuild): no build step, ~0.1 s of start-up.
require('tsx/cjs');
require('../src/program.ts')
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
