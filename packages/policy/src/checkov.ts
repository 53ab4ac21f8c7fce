import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';

export interface CheckovSkip {
  readonly id: string;
  readonly reason: string;
}

export interface CheckovFailure {
  readonly check: string;
  readonly name: string;
  readonly resource: string;
  readonly file: string;
}

export interface CheckovResult {
  readonly passed: number;
  readonly failed: readonly CheckovFailure[];
  readonly skipped: number;
  readonly parsingErrors: number;
}

const skipsSchema = z.strictObject({
  skips: z.array(
    z.strictObject({
      id: z.string().regex(/^CKV2?_[A-Z0-9]+_\d+$/, 'is not a checkov check id (e.g. CKV_AWS_18)'),
      reason: z.string().trim().min(40, 'must explain why the check does not apply (at least 40 characters)'),
    }),
  ),
});

/** Reads the skip list; every entry needs a check id and a written reason. */
export function loadCheckovSkips(file: string): CheckovSkip[] {
  const result = skipsSchema.safeParse(parse(readFileSync(file, 'utf8')));
  if (!result.success) {
    const [issue] = result.error.issues;
    throw new Error(`${file}: ${issue.path.join('.')} ${issue.message}`);
  }
  return result.data.skips;
}

/**
 * Copies each `stacks/<id>/cdk.tf.json` into a scan folder, dropping `terraform.required_version`:
 * checkov's terraform_json parser rejects the string cdktf writes there (checkov issue 7454) and then
 * skips the whole file. Nothing else changes.
 */
export function prepareScanDir(stacksDir: string, scanDir: string): number {
  let n = 0;
  for (const id of readdirSync(stacksDir).sort()) {
    const file = path.join(stacksDir, id, 'cdk.tf.json');
    let json: { terraform?: Record<string, unknown> };
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      continue;
    }
    delete json.terraform?.required_version;
    mkdirSync(path.join(scanDir, id), { recursive: true });
    writeFileSync(path.join(scanDir, id, 'cdk.tf.json'), JSON.stringify(json, null, 2));
    n++;
  }
  return n;
}

/** Runs checkov over synthesized stacks (terraform_json) with the given skips. */
export function runCheckov(checkov: string, stacksDir: string, skips: readonly CheckovSkip[]): CheckovResult {
  const scanDir = mkdtempSync(path.join(tmpdir(), 'checkov-scan-'));
  try {
    if (prepareScanDir(stacksDir, scanDir) === 0) throw new Error(`${stacksDir}: no stacks/<id>/cdk.tf.json to scan`);
    return scanWithCheckov(checkov, scanDir, 'terraform_json', skips);
  } finally {
    rmSync(scanDir, { recursive: true, force: true });
  }
}

/** Runs one checkov framework over a folder and sums its JSON report(s): what both scans share. */
export function scanWithCheckov(checkov: string, dir: string, framework: 'terraform_json' | 'kubernetes', skips: readonly CheckovSkip[]): CheckovResult {
  const args = ['-d', dir, '--framework', framework, '--quiet', '--compact', '-o', 'json', '--skip-download'];
  if (skips.length) args.push('--skip-check', skips.map((s) => s.id).join(','));
  const run = spawnSync(checkov, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: { ...process.env, BC_SKIP_MAPPING: 'TRUE' } });
  if (run.error) throw run.error;
  let reports: unknown;
  try {
    reports = JSON.parse(run.stdout);
  } catch {
    throw new Error(`checkov (${framework}) did not produce a JSON report (exit ${run.status}):\n${run.stderr.slice(-2000)}`);
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
