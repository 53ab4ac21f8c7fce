// The independent scanner: synthesizes every environment into a temporary folder and scans it with
// checkov (pinned in scripts/setup-tools.sh). Fails on any failed check that
// packages/policy/checkov-skips.yaml does not list with a reason, and on any file checkov cannot parse.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runSynth } from '@platform/cli/src/commands/synth';
import { loadCheckovSkips, runCheckov } from '@platform/policy/src/checkov';
import { toolPath } from '@platform/testing';

const root = path.resolve(__dirname, '..');
const out = mkdtempSync(path.join(tmpdir(), 'checkov-synth-'));
try {
  const outdir = path.join(out, 'cdktf.out');
  if (runSynth({ outdir, envDir: path.join(root, 'envs'), quiet: true }) !== 0) process.exit(1);
  const skips = loadCheckovSkips(path.join(root, 'packages/policy/checkov-skips.yaml'));
  const result = runCheckov(toolPath('checkov'), path.join(outdir, 'stacks'), skips);
  for (const f of result.failed) console.log(`FAILED ${f.check} ${f.name}\n  ${f.resource} (${f.file})`);
  console.log(`checkov: ${result.passed} passed, ${result.failed.length} failed, ${result.skipped} skipped (${skips.length} checks skipped with reasons in packages/policy/checkov-skips.yaml), ${result.parsingErrors} parsing errors`);
  if (result.failed.length > 0 || result.parsingErrors > 0) process.exitCode = 1;
} finally {
  rmSync(out, { recursive: true, force: true });
}
