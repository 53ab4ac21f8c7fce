// One benchmark sample (run by scripts/bench.ts in a fresh process): synth ENV_DIR into OUTDIR,
// print {synthMs, maxRssMiB, stacks, resources} as JSON.
import { loadEnvironments } from '@platform/config';
import { synthesizeAtomically } from '@platform/stack-factory';
import { definePlatform } from '@platform/stacks';

const [envDir, outdir] = process.argv.slice(2);
const started = process.hrtime.bigint();
const envs = loadEnvironments(envDir);
const stacks = synthesizeAtomically(outdir, (app) => definePlatform(app, envs));
const synthMs = Number(process.hrtime.bigint() - started) / 1e6;
process.stdout.write(
  JSON.stringify({
    synthMs,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    stacks: stacks.length,
    resources: stacks.reduce((n, s) => n + s.resources, 0),
  }),
);
