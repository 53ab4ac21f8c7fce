// The stock way, measured side by side in `npm run bench` (never used otherwise): what `cdktf init`
// generates — provider packages imported from their roots (barrels) and `cdktf synth` running this file
// through ts-node — synthesizing the same stacks as `npm run synth`.
/* eslint-disable no-restricted-imports -- the barrel imports are what is being measured */
import '@cdktf/provider-aws';
import '@cdktf/provider-helm';
import '@cdktf/provider-kubernetes';
/* eslint-enable no-restricted-imports */
import { runSynth } from '@platform/cli/src/commands/synth';

process.exitCode = runSynth({ outdir: process.env.CDKTF_OUTDIR ?? 'cdktf.out', envDir: process.env.BENCH_ENV_DIR ?? 'envs', quiet: true });
