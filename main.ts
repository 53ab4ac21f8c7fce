// Entry point for `cdktf synth` (cdktf.json "app"). `npm run synth` (platform synth) does the same, faster.
import { runSynth } from '@platform/cli/src/commands/synth';

process.exitCode = runSynth({ outdir: process.env.CDKTF_OUTDIR ?? 'cdktf.out', quiet: false });
