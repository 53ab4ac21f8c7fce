// The independent scanner, in two parts, both with checkov (pinned in scripts/setup-tools.sh):
//   1. terraform_json: synthesizes every environment into a temporary folder and scans the stacks;
//   2. kubernetes: renders charts/service for every service of every environment (envs/), with the
//      values Argo CD's ApplicationSet passes, exactly as Argo CD deploys it (`helm template --skip-tests`:
//      Argo CD does not run Helm test hooks), and scans the manifests.
// Fails on any failed check that packages/policy/checkov-skips.yaml does not list with a reason, and on
// any file checkov cannot parse.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runSynth } from '@platform/cli/src/commands/synth';
import { loadEnvironments } from '@platform/config';
import { serviceChartValues } from '@platform/gitops-module';
import { type CheckovResult, type CheckovSkip, loadCheckovSkips, runCheckov, scanWithCheckov } from '@platform/policy/src/checkov';
import { gitOpsServices, SERVICE_CHART_PATH } from '@platform/stacks/platform-stack';
import { toolPath } from '@platform/testing';

const root = path.resolve(__dirname, '..');
const out = mkdtempSync(path.join(tmpdir(), 'checkov-synth-'));

/** Renders charts/service once per service (with an image tag) of every environment; returns how many. */
function renderServiceCharts(into: string): number {
  const chart = path.join(root, SERVICE_CHART_PATH);
  let n = 0;
  for (const env of loadEnvironments(path.join(root, 'envs'), { root })) {
    const dir = path.join(into, env.name);
    mkdirSync(dir, { recursive: true });
    for (const svc of gitOpsServices(env)) {
      if (!svc.imageTag) continue;
      const values = path.join(into, `${env.name}-${svc.name}.values.json`);
      writeFileSync(values, JSON.stringify(serviceChartValues({ ...svc, imageTag: svc.imageTag })));
      const manifests = execFileSync(
        toolPath('helm'),
        ['template', '--skip-tests', svc.name, chart, '--namespace', svc.namespace, '-f', path.join(chart, `values-${env.name}.yaml`), '-f', values],
        { encoding: 'utf8' },
      );
      writeFileSync(path.join(dir, `${svc.name}.yaml`), manifests);
      rmSync(values);
      n++;
    }
  }
  return n;
}

function report(what: string, result: CheckovResult, skips: readonly CheckovSkip[]): void {
  for (const f of result.failed) console.log(`FAILED ${f.check} ${f.name}\n  ${f.resource} (${f.file})`);
  console.log(
    `checkov ${what}: ${result.passed} passed, ${result.failed.length} failed, ${result.skipped} skipped (${skips.length} checks skipped with reasons in packages/policy/checkov-skips.yaml), ${result.parsingErrors} parsing errors`,
  );
  if (result.failed.length > 0 || result.parsingErrors > 0) process.exitCode = 1;
}

try {
  const outdir = path.join(out, 'cdktf.out');
  if (runSynth({ outdir, envDir: path.join(root, 'envs'), quiet: true }) !== 0) process.exit(1);
  const skips = loadCheckovSkips(path.join(root, 'packages/policy/checkov-skips.yaml'));
  report('terraform', runCheckov(toolPath('checkov'), path.join(outdir, 'stacks'), skips), skips);

  const manifests = path.join(out, 'kubernetes');
  const rendered = renderServiceCharts(manifests);
  if (rendered === 0) throw new Error('no service of any environment has an image tag: nothing to render and scan');
  report(`kubernetes (charts/service, ${rendered} rendered services)`, scanWithCheckov(toolPath('checkov'), manifests, 'kubernetes', skips), skips);
} finally {
  rmSync(out, { recursive: true, force: true });
}
