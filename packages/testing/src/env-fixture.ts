import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { deepMerge, environmentSchema, type EnvironmentConfig } from '@platform/config';
import { parse, parseDocument } from 'yaml';
import { repoRoot } from './tools';

/** The repository's environment folder. */
export const ENVS_DIR = path.join(repoRoot, 'envs');

interface EnvFileSummary {
  readonly name: string;
  readonly tier: string;
  readonly wave: number;
}

/**
 * Environment files parsed, by their text: a suite asks for the same few files again and again (every
 * `firstEnvironment()` reads them all). Each caller gets its own copy.
 */
const parsedByText = new Map<string, unknown>();
function readEnvFile(dir: string, file: string): Record<string, unknown> {
  const text = readFileSync(path.join(dir, file), 'utf8');
  if (!parsedByText.has(text)) parsedByText.set(text, parse(text) ?? {});
  return structuredClone(parsedByText.get(text)) as Record<string, unknown>;
}

function summaries(dir = ENVS_DIR): EnvFileSummary[] {
  const base = readEnvFile(dir, '_base.yaml');
  return readdirSync(dir)
    .filter((f) => /^[a-z][a-z0-9]{1,15}\.ya?ml$/.test(f))
    .map((f) => {
      const merged = deepMerge(base, readEnvFile(dir, f)) as { tier?: string; promotion?: { wave?: number } };
      return { name: f.replace(/\.ya?ml$/, ''), tier: String(merged.tier), wave: Number(merged.promotion?.wave) };
    })
    .sort((a, b) => a.wave - b.wave || a.name.localeCompare(b.name));
}

/** Names of the repository's environments (from `envs/`), in promotion order: wave, then name. */
export function environmentNames(dir = ENVS_DIR): string[] {
  return summaries(dir).map((s) => s.name);
}

/** Names of the repository's environments sorted by name (the order the loader returns them in). */
export function environmentNamesSorted(dir = ENVS_DIR): string[] {
  return environmentNames(dir).sort();
}

/** The first environment of the first wave: the usual "an environment" of a test. */
export function firstEnvironment(dir = ENVS_DIR): string {
  return environmentNames(dir)[0]!;
}

/** The first environment of the given tier, in promotion order. Throws when envs/ has none. */
export function environmentOfTier(tier: 'production' | 'non-production', dir = ENVS_DIR): string {
  const found = summaries(dir).find((s) => s.tier === tier);
  if (!found) throw new Error(`envs/ has no ${tier} environment`);
  return found.name;
}

/** Environments of the repository with their wave, in promotion order. */
export function environmentWaves(dir = ENVS_DIR): Array<{ name: string; wave: number; tier: string }> {
  return summaries(dir).map((s) => ({ ...s }));
}

/**
 * A name no environment has and no real environment would take (e.g. `zt3f9a`), stable for a seed:
 * tests use it for "a new environment" and "a missing environment".
 */
export function generatedEnvironmentName(seed = 'new', dir = ENVS_DIR): string {
  const taken = new Set(environmentNames(dir));
  for (let i = 0; ; i++) {
    const name = `zt${createHash('sha256').update(`${seed}:${i}`).digest('hex').replace(/[^a-z0-9]/g, '').slice(0, 6)}`;
    if (!taken.has(name)) return name;
  }
}

/**
 * A validated environment for tests: the repository's real `envs/_base.yaml` + `envs/<name>.yaml`,
 * with `patch` merged over them (mappings key by key, lists replaced). Stays valid as the schema grows.
 * @default name - the first environment of the first wave
 */
export function environmentFixture(name = firstEnvironment(), patch: Record<string, unknown> = {}, as = name): EnvironmentConfig {
  const merged = deepMerge(deepMerge(readEnvFile(ENVS_DIR, '_base.yaml'), readEnvFile(ENVS_DIR, `${name}.yaml`)), patch);
  return { ...environmentSchema.parse(merged), name: as, file: `envs/${as}.yaml` };
}

/** A 12-digit account ID derived from a name: unique per name, never one of the repository's. */
export function generatedAccountId(name: string): string {
  const digits = BigInt(`0x${createHash('sha256').update(`account:${name}`).digest('hex').slice(0, 15)}`).toString().padStart(12, '9');
  return `9${digits.slice(-11)}`;
}

/**
 * Writes `<dir>/<name>.yaml`: a copy of an existing environment file (`from`, default the first
 * environment) with everything that must be unique replaced — account, hosted zone, hostnames,
 * cluster, OIDC issuer, state bucket, KMS keys' account — and the given wave. Comments and layout
 * of the source file are kept. Returns the file's path.
 */
export function writeGeneratedEnvironment(dir: string, name: string, options: { from?: string; wave?: number } = {}): string {
  const from = options.from ?? firstEnvironment(dir);
  const sourceFile = readdirSync(dir).find((f) => f === `${from}.yaml` || f === `${from}.yml`)!;
  const text = readFileSync(path.join(dir, sourceFile), 'utf8');
  const merged = deepMerge(readEnvFile(dir, '_base.yaml'), readEnvFile(dir, sourceFile)) as {
    aws: { accountId: string; region: string };
    services?: Array<{ name: string }>;
  };
  const oldAccount = merged.aws.accountId;
  const account = generatedAccountId(name);
  const region = merged.aws.region;
  const zone = `${name}.generated.example`;
  const hex = createHash('sha256').update(`cluster:${name}`).digest('hex').toUpperCase().slice(0, 32);
  const doc = parseDocument(text.split(oldAccount).join(account));
  doc.setIn(['aws', 'accountId'], account);
  doc.setIn(['dns', 'zoneName'], zone);
  doc.setIn(['dns', 'zoneId'], `Z${hex.slice(0, 20)}`);
  doc.setIn(['cluster', 'name'], `platform-${name}`);
  doc.setIn(['cluster', 'oidcIssuer'], `oidc.eks.${region}.amazonaws.com/id/${hex}`);
  doc.setIn(['state', 'bucket'], `tfstate-${account}-${region}`);
  (merged.services ?? []).forEach((svc, i) => doc.setIn(['services', i, 'hostname'], `${svc.name}.${zone}`));
  if (options.wave !== undefined) doc.setIn(['promotion', 'wave'], options.wave);
  const out = path.join(dir, `${name}.yaml`);
  writeFileSync(out, doc.toString());
  return out;
}

/** A temporary copy of the repository's `envs/` folder (the caller removes it). Returns the new envs folder. */
export function copyEnvironments(prefix = 'envs-copy-'): string {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), prefix)), 'envs');
  cpSync(ENVS_DIR, dir, { recursive: true });
  return dir;
}

/** The service chart, whose `values-<env>.yaml` every environment needs. */
export const SERVICE_CHART_DIR = path.join(repoRoot, 'charts', 'service');

/**
 * Writes `charts/service/values-<name>.yaml` for a generated environment: a copy of the values file of
 * the first environment of the same tier, with `environment` set to the new name. Returns a function
 * that removes it again (call it in afterAll: the file is in the repository's chart folder, where
 * synth looks for it). The generated name keeps parallel test files apart.
 */
export function writeGeneratedChartValues(name: string, tier: 'production' | 'non-production'): () => void {
  const model = environmentOfTier(tier);
  const doc = parseDocument(readFileSync(path.join(SERVICE_CHART_DIR, `values-${model}.yaml`), 'utf8'));
  doc.set('environment', name);
  const file = path.join(SERVICE_CHART_DIR, `values-${name}.yaml`);
  writeFileSync(file, doc.toString());
  return () => rmSync(file, { force: true });
}
