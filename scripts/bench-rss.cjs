// Preloaded by scripts/bench.ts (`node --require`): reports the process's peak RSS (KiB) on exit.
'use strict';
process.on('exit', () => process.stderr.write(`\nplatform-bench-rss ${process.resourceUsage().maxRSS}\n`));
