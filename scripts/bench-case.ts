// One benchmark sample (run by scripts/bench.ts in a fresh process): synth ENV_DIR into OUTDIR,
// the same synthPlatform as `platform synth` (policy gate included); print {synthMs, maxRssMiB, stacks, resources} as JSON.
import { loadEnvironments } from '@platform/config';
import { synthPlatform } from '@platform/cli/src/commands/synth';

const [envDir, outdir] = process.argv.slice(2);
const started = process.hrtime.bigint();
const envs = loadEnvironments(envDir);
const { stacks } = synthPlatform(outdir, envs);
const synthMs = Number(process.hrtime.bigint() - started) / 1e6;
process.stdout.write(
  JSON.stringify({
    synthMs,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    stacks: stacks.length,
    resources: stacks.reduce((n, s) => n + s.resources, 0),
  }),
);
