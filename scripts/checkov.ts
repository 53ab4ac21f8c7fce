// The independent scanner, in two parts, both with checkov (pinned in scripts/setup-tools.sh):
//   1. terraform_json: synthesizes every environment into a temporary folder and scans the stacks;
//   2. kubernetes: renders charts/service for every service of every environment (envs/), with the
//      values Argo CD's ApplicationSet passes, exactly as Argo CD deploys it (`helm template --skip-tests`:
//      Argo CD does not run Helm test hooks), and scans the manifests.
// Fails on any failed check that packages/policy/checkov-skips.yaml does not list with a reason, and on
// any file checkov cannot parse.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runSynth } from '@platform/cli/src/commands/synth';
import { loadEnvironments } from '@platform/config';
import { serviceChartValues } from '@platform/gitops-module';
import { type CheckovResult, type CheckovSkip, loadCheckovSkips, runCheckov } from '@platform/policy/src/checkov';
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

/** checkov's kubernetes framework over a folder of rendered manifests. */
function runCheckovKubernetes(checkov: string, dir: string, skips: readonly CheckovSkip[]): CheckovResult {
  const args = ['-d', dir, '--framework', 'kubernetes', '--quiet', '--compact', '-o', 'json', '--skip-download'];
  if (skips.length) args.push('--skip-check', skips.map((s) => s.id).join(','));
  const run = spawnSync(checkov, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: { ...process.env, BC_SKIP_MAPPING: 'TRUE' } });
  if (run.error) throw run.error;
  let reports: unknown;
  try {
    reports = JSON.parse(run.stdout);
  } catch {
    throw new Error(`checkov (kubernetes) did not produce a JSON report (exit ${run.status}):\n${run.stderr.slice(-2000)}`);
  }
  const list = (Array.isArray(reports) ? reports : [reports]) as Array<{
    results?: { failed_checks?: Array<{ check_id: string; check_name: string; resource: string; file_path: string }> };
    summary?: { passed?: number; skipped?: number; parsing_errors?: number };
  }>;
  return {
    passed: list.reduce((n, r) => n + (r.summary?.passed ?? 0), 0),
    skipped: list.reduce((n, r) => n + (r.summary?.skipped ?? 0), 0),
    parsingErrors: list.reduce((n, r) => n + (r.summary?.parsing_errors ?? 0), 0),
    failed: list.flatMap((r) =>
      (r.results?.failed_checks ?? []).map((f) => ({ check: f.check_id, name: f.check_name, resource: f.resource, file: f.file_path.replace(/^\//, '') })),
    ),
  };
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
  report(`kubernetes (charts/service, ${rendered} rendered services)`, runCheckovKubernetes(toolPath('checkov'), manifests, skips), skips);
} finally {
  rmSync(out, { recursive: true, force: true });
}
