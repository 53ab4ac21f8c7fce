// Preloaded by scripts/bench.ts (NODE_OPTIONS=--require): each node process appends its peak RSS (KiB) to
// $BENCH_RSS_FILE on exit, so a synth that runs in two processes is measured whole.
'use strict';
const file = process.env.BENCH_RSS_FILE;
if (file) process.on('exit', () => require('node:fs').appendFileSync(file, `${process.pid} ${process.resourceUsage().maxRSS}\n`));
