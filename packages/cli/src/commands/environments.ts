import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { type EnvironmentConfig, loadEnvironments } from '@platform/config';
import { CI_ROLE_PURPOSES, ciRoleArn, type CiRolePurpose } from '@platform/naming';
import { BootstrapStack, definePlatform } from '@platform/stacks';
import { App, TerraformProvider, TerraformStack } from 'cdktf';
import { type Command } from 'commander';
import { reportError } from '../errors';

/**
 * How a stack is applied: `bootstrap` once by an administrator (never by CI); `cluster` talks to a
 * Kubernetes cluster (Helm or Kubernetes provider; never planned on pull requests); `aws` AWS only.
 */
export type StackKind = 'bootstrap' | 'cluster' | 'aws';

export interface EnvironmentStackInfo {
  readonly id: string;
  readonly kind: StackKind;
}

/** One environment as the workflows read it (`platform environments --json`). */
export interface EnvironmentInfo {
  readonly name: string;
  readonly file: string;
  readonly accountId: string;
  readonly region: string;
  readonly tier: EnvironmentConfig['tier'];
  readonly wave: number;
  readonly stacks: readonly EnvironmentStackInfo[];
  readonly roles: Readonly<Record<CiRolePurpose, string>>;
}

export interface EnvironmentListing {
  readonly environments: readonly EnvironmentInfo[];
  readonly waves: ReadonlyArray<{ readonly wave: number; readonly environments: readonly string[] }>;
}

/** Terraform providers that reach a Kubernetes cluster. */
const CLUSTER_PROVIDERS = new Set(['helm', 'kubernetes']);

/** Order of stacks in the listing: what CI applies first comes first, the administrator's bootstrap last. */
const KIND_ORDER: Record<StackKind, number> = { aws: 0, cluster: 1, bootstrap: 2 };

/**
 * The stacks `definePlatform` builds for the environments, by environment, with their kind. Builds
 * the construct tree only (no synth): the kind comes from what each stack is and which providers it
 * configures, so a new stack or provider is classified without a list to keep in step.
 */
export function environmentStacks(envs: readonly EnvironmentConfig[]): Map<string, EnvironmentStackInfo[]> {
  const scratch = mkdtempSync(path.join(tmpdir(), 'platform-envs-'));
  const mapped = process.sourceMapsEnabled;
  if (!process.env.PLATFORM_DEBUG) process.setSourceMapsEnabled(false);
  try {
    const app = new App({ outdir: scratch, stackTraces: false, skipValidation: true });
    definePlatform(app, envs);
    const byEnv = new Map<string, EnvironmentStackInfo[]>(envs.map((e) => [e.name, []]));
    for (const stack of app.node.children) {
      if (!(stack instanceof TerraformStack)) continue;
      const env = envs.find((e) => stack.node.id.startsWith(`${e.name}-`));
      if (!env) continue;
      byEnv.get(env.name)!.push({ id: stack.node.id, kind: kindOf(stack) });
    }
    for (const list of byEnv.values()) list.sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.id.localeCompare(b.id));
    return byEnv;
  } finally {
    process.setSourceMapsEnabled(mapped);
    rmSync(scratch, { recursive: true, force: true });
  }
}

function kindOf(stack: TerraformStack): StackKind {
  if (stack instanceof BootstrapStack) return 'bootstrap';
  const cluster = stack.node
    .findAll()
    .some((c) => c instanceof TerraformProvider && CLUSTER_PROVIDERS.has(c.terraformResourceType));
  return cluster ? 'cluster' : 'aws';
}

/** The listing the workflows read: environments by wave then name, with stacks and CI role ARNs. */
export function listEnvironments(envs: readonly EnvironmentConfig[]): EnvironmentListing {
  const sorted = [...envs].sort((a, b) => a.promotion.wave - b.promotion.wave || a.name.localeCompare(b.name));
  const stacks = environmentStacks(sorted);
  const environments = sorted.map((env) => ({
    name: env.name,
    file: env.file,
    accountId: env.aws.accountId,
    region: env.aws.region,
    tier: env.tier,
    wave: env.promotion.wave,
    stacks: stacks.get(env.name) ?? [],
    roles: Object.fromEntries(CI_ROLE_PURPOSES.map((p) => [p, ciRoleArn(env.aws.accountId, env.name, p)])) as Record<CiRolePurpose, string>,
  }));
  const waves = [...new Set(environments.map((e) => e.wave))].map((wave) => ({
    wave,
    environments: environments.filter((e) => e.wave === wave).map((e) => e.name),
  }));
  return { environments, waves };
}

/** A readable table: one row per environment, in wave order. */
export function formatEnvironments(listing: EnvironmentListing): string[] {
  const header = ['WAVE', 'ENVIRONMENT', 'TIER', 'ACCOUNT', 'REGION', 'STACKS'];
  const rows = listing.environments.map((e) => [
    String(e.wave),
    e.name,
    e.tier,
    e.accountId,
    e.region,
    e.stacks.map((s) => `${s.id} (${s.kind})`).join(', '),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [
    line(header),
    ...rows.map(line),
    '',
    `${listing.environments.length} environments in ${listing.waves.length} waves: ${listing.waves.map((w) => `${w.wave}: ${w.environments.join(', ')}`).join('; ')}`,
  ];
}

export interface EnvironmentsOptions {
  /** Folder of environment files. @default envs */
  readonly envDir?: string;
  /** Print JSON (contract 2) instead of a table. */
  readonly json?: boolean;
  readonly write?: (line: string) => void;
  readonly writeErr?: (line: string) => void;
}

/** Prints the environments; returns the exit code (0, or 1 for invalid environment files). */
export function runEnvironments(options: EnvironmentsOptions = {}): number {
  const write = options.write ?? ((l: string) => process.stdout.write(`${l}\n`));
  const writeErr = options.writeErr ?? ((l: string) => process.stderr.write(`${l}\n`));
  try {
    const listing = listEnvironments(loadEnvironments(options.envDir ?? 'envs'));
    if (options.json) write(JSON.stringify(listing));
    else for (const l of formatEnvironments(listing)) write(l);
    return 0;
  } catch (err) {
    return reportError(err, writeErr);
  }
}

export function registerEnvironments(program: Command): void {
  program
    .command('environments')
    .description('List every environment with account, region, tier, promotion wave, stacks (and their kind) and CI roles, in wave order.')
    .option('--env-dir <dir>', 'folder of environment files', 'envs')
    .option('--json', 'print JSON for workflows: {"environments":[…],"waves":[{"wave":1,"environments":[…]}]}')
    .addHelpText(
      'after',
      '\nStack kinds: aws (AWS only), cluster (talks to a Kubernetes cluster: never planned on pull requests),\nbootstrap (applied once by an administrator, never by CI).\n\nExit codes: 0 listed, 1 invalid environment files.',
    )
    .action((opts: { envDir: string; json?: boolean }) => {
      process.exitCode = runEnvironments({ envDir: opts.envDir, json: opts.json });
    });
}
