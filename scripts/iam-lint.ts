/**
 * IAM checked by the field's own tools. Synthesizes the whole app (every environment of envs/), renders
 * every `aws_iam_policy_document` (trust and permission documents, bucket and boundary policies) to the
 * JSON AWS evaluates, and runs:
 * - parliament over every document: zero findings, except those listed with a reason in
 *   scripts/iam-lint-ignores.yaml (an entry that matches nothing is itself a finding);
 * - cloudsplaining over every CI role's permissions (`platform-ci-<env>-<purpose>`): privilege
 *   escalation, resource exposure and credentials exposure are reported per role; the pr-plan roles must
 *   have none (stacks/iam-lint.test.ts asserts it).
 *
 * Usage: npx tsx scripts/iam-lint.ts   (exit 1 on any finding; needs `npm run setup-tools` once)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadEnvironments } from '@platform/config';
import { asProviderJson, policyDocumentsOf, rolesOf, type IamPolicy } from '@platform/ci-identity-module/test/synthesized-policies';
import { definePlatform } from '@platform/stacks/app';
import { App, TerraformStack, Testing } from 'cdktf';
import { parse } from 'yaml';

const ROOT = path.resolve(__dirname, '..');
export const IGNORES_FILE = path.join(ROOT, 'scripts', 'iam-lint-ignores.yaml');
const PYTHON = path.join(ROOT, '.tools', 'venv', 'bin', 'python');
const LINTER = path.join(ROOT, 'scripts', 'iam-lint.py');

export interface ParliamentFinding {
  readonly policy: string;
  readonly issue: string;
  readonly detail: unknown;
  readonly location: unknown;
}
export interface RoleRisks {
  readonly role: string;
  readonly privilegeEscalation: unknown[];
  readonly resourceExposure: string[];
  readonly credentialsExposure: string[];
  readonly dataExfiltration: string[];
  readonly infrastructureModification: string[];
}
export interface Ignore {
  readonly policy: string;
  readonly issue: string;
  readonly detail?: string;
  readonly reason: string;
}
export interface IamLintReport {
  /** How many policy documents were linted. */
  readonly policies: number;
  /** parliament findings not covered by an ignore. */
  readonly findings: ParliamentFinding[];
  /** parliament findings covered by an ignore, with its reason. */
  readonly ignored: Array<ParliamentFinding & { readonly reason: string }>;
  /** Ignores that matched nothing, or are malformed: each is a problem too. */
  readonly badIgnores: string[];
  /** cloudsplaining's classification of each CI role's permissions. */
  readonly roles: RoleRisks[];
}

/** Every policy document and every CI role of the whole app, rendered with placeholder ARNs. */
export function collectPolicies(envDir = path.join(ROOT, 'envs')): { policies: Array<{ name: string; policy: unknown }>; roles: Array<{ name: string; policies: IamPolicy[] }> } {
  const app = new App({ stackTraces: false });
  definePlatform(app, loadEnvironments(envDir, { root: ROOT }));
  const policies: Array<{ name: string; policy: unknown }> = [];
  const roles: Array<{ name: string; policies: IamPolicy[] }> = [];
  for (const stack of app.node.children.filter((c): c is TerraformStack => c instanceof TerraformStack)) {
    const json = JSON.parse(Testing.synth(stack, false)) as Parameters<typeof policyDocumentsOf>[0];
    for (const [id, policy] of policyDocumentsOf(json)) policies.push({ name: `${stack.node.id}/${id}`, policy: asProviderJson(policy) });
    for (const role of rolesOf(stack.node.id, json)) {
      if (role.name.startsWith('platform-ci-')) roles.push({ name: role.name, policies: role.permissions });
    }
  }
  return { policies, roles };
}

/** Reads the ignore list; malformed entries are reported, not thrown. */
export function readIgnores(file = IGNORES_FILE): { ignores: Ignore[]; problems: string[] } {
  const doc = (parse(readFileSync(file, 'utf8')) ?? {}) as { ignores?: unknown };
  const problems: string[] = [];
  const ignores: Ignore[] = [];
  (Array.isArray(doc.ignores) ? doc.ignores : []).forEach((raw: Record<string, unknown>, i: number) => {
    const where = `${path.relative(ROOT, file)}: ignores[${i}]`;
    if (typeof raw?.policy !== 'string' || typeof raw?.issue !== 'string') problems.push(`${where}: needs policy (a regular expression) and issue (parliament's code)`);
    else if (typeof raw.reason !== 'string' || raw.reason.trim().length < 20) problems.push(`${where}: reason must explain the exception in at least 20 characters`);
    else ignores.push({ policy: raw.policy, issue: raw.issue, reason: raw.reason, ...(typeof raw.detail === 'string' ? { detail: raw.detail } : {}) });
  });
  return { ignores, problems };
}

/** The linters' raw output for rendered policies and roles (scripts/iam-lint.py in .tools/venv). */
export function lintPolicies(input: { policies: Array<{ name: string; policy: unknown }>; roles: Array<{ name: string; policies: unknown[] }> }): { parliament: ParliamentFinding[]; cloudsplaining: RoleRisks[] } {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing — run \`npm run setup-tools\` (installs parliament and cloudsplaining into .tools/venv)`);
  const result = spawnSync(PYTHON, [LINTER], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`scripts/iam-lint.py failed (exit ${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout) as { parliament: ParliamentFinding[]; cloudsplaining: RoleRisks[] };
}

/** Runs parliament and cloudsplaining over the whole app and sorts the findings against the ignores. */
export function runIamLint(options: { envDir?: string; ignoresFile?: string } = {}): IamLintReport {
  const input = collectPolicies(options.envDir);
  const output = lintPolicies(input);
  const { ignores, problems } = readIgnores(options.ignoresFile);
  const used = new Set<Ignore>();
  const findings: ParliamentFinding[] = [];
  const ignored: Array<ParliamentFinding & { reason: string }> = [];
  for (const finding of output.parliament) {
    const match = ignores.find(
      (ig) => ig.issue === finding.issue && new RegExp(ig.policy).test(finding.policy) && (ig.detail === undefined || JSON.stringify(finding.detail).includes(ig.detail)),
    );
    if (match) {
      used.add(match);
      ignored.push({ ...finding, reason: match.reason });
    } else findings.push(finding);
  }
  const stale = ignores.filter((ig) => !used.has(ig)).map((ig) => `ignore ${JSON.stringify(ig.policy)} ${ig.issue} matches no finding — remove it`);
  return { policies: input.policies.length, findings, ignored, badIgnores: [...problems, ...stale], roles: output.cloudsplaining };
}

/** The pr-plan roles' high-risk findings (must be empty). */
export function prPlanRisks(report: IamLintReport): RoleRisks[] {
  return report.roles
    .filter((r) => r.role.endsWith('-pr-plan'))
    .filter((r) => r.privilegeEscalation.length + r.resourceExposure.length + r.credentialsExposure.length > 0);
}

if (require.main === module) {
  const report = runIamLint();
  process.stdout.write(`parliament: ${report.policies} policy documents, ${report.findings.length} findings, ${report.ignored.length} ignored\n`);
  for (const f of report.findings) process.stdout.write(`  ${f.policy}: ${f.issue} ${JSON.stringify(f.detail)}\n`);
  for (const f of report.ignored) process.stdout.write(`  ignored ${f.policy}: ${f.issue} — ${f.reason}\n`);
  for (const p of report.badIgnores) process.stdout.write(`  ${p}\n`);
  for (const r of report.roles) {
    process.stdout.write(
      `cloudsplaining ${r.role}: privilege escalation ${r.privilegeEscalation.length}, resource exposure ${r.resourceExposure.length} [${r.resourceExposure.join(' ')}], credentials exposure ${r.credentialsExposure.length}, data exfiltration ${r.dataExfiltration.length}, infrastructure modification ${r.infrastructureModification.length}\n`,
    );
  }
  const failed = report.findings.length + report.badIgnores.length + prPlanRisks(report).length;
  process.exitCode = failed > 0 ? 1 : 0;
}
