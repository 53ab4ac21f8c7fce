import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { MAX_WAVES } from '@platform/config';
import { CI_ROLE_PURPOSES } from '@platform/naming';
import {
  copyEnvironments,
  ENVS_DIR,
  environmentNames,
  environmentWaves,
  generatedEnvironmentName,
  SERVICE_CHART_DIR,
  toolPath,
  writeGeneratedChartValues,
  writeGeneratedEnvironment,
} from '@platform/testing';
import { parseDocument } from 'yaml';
import { type EnvironmentListing, runEnvironments } from './environments';
import { runSynth } from './synth';

function run(options: { envDir: string; json?: boolean }) {
  const out: string[] = [];
  const err: string[] = [];
  const code = runEnvironments({ ...options, write: (l) => out.push(l), writeErr: (l) => err.push(l) });
  return { code, out, err };
}

describe('platform environments', () => {
  const copies: string[] = [];
  const cleanups: Array<() => void> = [];
  afterAll(() => {
    copies.forEach((d) => rmSync(path.dirname(d), { recursive: true, force: true }));
    cleanups.forEach((c) => c());
  });
  const copy = () => {
    const dir = copyEnvironments('environments-cmd-');
    copies.push(dir);
    return dir;
  };

  test('GIVEN the repository envs WHEN listed as JSON THEN every environment appears in wave order with its stacks, kinds and CI roles', () => {
    const { code, out } = run({ envDir: ENVS_DIR, json: true });
    expect(code).toBe(0);
    expect(out).toHaveLength(1);
    const listing = JSON.parse(out[0]!) as EnvironmentListing;
    expect(listing.environments.map((e) => e.name)).toEqual(environmentNames());
    for (const env of listing.environments) {
      expect(env.file).toBe(`envs/${env.name}.yaml`);
      expect(env.accountId).toMatch(/^\d{12}$/);
      expect(['production', 'non-production']).toContain(env.tier);
      expect(env.wave).toBe(environmentWaves().find((w) => w.name === env.name)!.wave);
      expect(Object.keys(env.roles)).toEqual([...CI_ROLE_PURPOSES]);
      for (const purpose of CI_ROLE_PURPOSES) {
        expect(env.roles[purpose]).toBe(`arn:aws:iam::${env.accountId}:role/platform-ci-${env.name}-${purpose}`);
      }
      // The stacks definePlatform builds, classified from what they are and the providers they use.
      expect(env.stacks.find((s) => s.id === `${env.name}-services`)?.kind).toBe('aws');
      expect(env.stacks.find((s) => s.id === `${env.name}-platform`)?.kind).toBe('cluster');
      for (const s of env.stacks) expect(s.id.startsWith(`${env.name}-`)).toBe(true);
    }
    expect(listing.environments.flatMap((e) => e.stacks).filter((s) => s.kind === 'bootstrap').length).toBeGreaterThan(0);
    // Waves contiguous from 1, each listing its environments in the same order.
    expect(listing.waves.map((w) => w.wave)).toEqual(listing.waves.map((_, i) => i + 1));
    expect(listing.waves.length).toBeLessThanOrEqual(MAX_WAVES);
    expect(listing.waves.flatMap((w) => w.environments)).toEqual(environmentNames());
  });

  test('GIVEN the repository envs WHEN listed as text THEN a table has one row per environment with wave, tier, account and stacks', () => {
    const { code, out } = run({ envDir: ENVS_DIR });
    expect(code).toBe(0);
    expect(out[0]).toMatch(/^WAVE\s+ENVIRONMENT\s+TIER\s+ACCOUNT\s+REGION\s+STACKS$/);
    const names = environmentNames();
    names.forEach((name, i) => {
      expect(out[i + 1]).toMatch(new RegExp(`^\\d+\\s+${name}\\s+(non-)?production\\s+\\d{12}\\s+[a-z0-9-]+\\s+${name}-services \\(aws\\)`));
    });
    expect(out.at(-1)).toMatch(new RegExp(`^${names.length} environments in \\d+ waves: 1: `));
  });

  test('GIVEN a generated environment in a new last wave WHEN listed THEN it appears last, alone in its wave, with its own stacks', () => {
    const dir = copy();
    const name = generatedEnvironmentName('listing');
    const lastWave = Math.max(...environmentWaves().map((w) => w.wave));
    writeGeneratedEnvironment(dir, name, { wave: lastWave + 1 });
    cleanups.push(writeGeneratedChartValues(name, 'non-production'));
    const listing = JSON.parse(run({ envDir: dir, json: true }).out[0]!) as EnvironmentListing;
    expect(listing.environments.at(-1)).toMatchObject({
      name,
      wave: lastWave + 1,
      stacks: [
        { id: `${name}-services`, kind: 'aws' },
        { id: `${name}-platform`, kind: 'cluster' },
        { id: `${name}-bootstrap`, kind: 'bootstrap' },
      ],
    });
    expect(listing.waves.at(-1)).toEqual({ wave: lastWave + 1, environments: [name] });
  });

  test('GIVEN a wave left empty WHEN listed THEN exit 1 names the file, the field and the missing wave', () => {
    const dir = copy();
    const name = generatedEnvironmentName('gap');
    const lastWave = Math.max(...environmentWaves().map((w) => w.wave));
    writeGeneratedEnvironment(dir, name, { wave: lastWave + 2 });
    const { code, err, out } = run({ envDir: dir, json: true });
    expect(code).toBe(1);
    expect(out).toEqual([]);
    expect(err.join('\n')).toMatch(new RegExp(`/${name}\\.yaml:\\d+: promotion\\.wave ${lastWave + 2} leaves wave ${lastWave + 1} empty`));
  });

  test('GIVEN a wave beyond MAX_WAVES or a missing wave WHEN listed THEN exit 1 with the limit', () => {
    const dir = copy();
    const first = environmentNames()[0]!;
    const file = path.join(dir, `${first}.yaml`);
    const doc = parseDocument(readFileSync(file, 'utf8'));
    doc.setIn(['promotion', 'wave'], MAX_WAVES + 1);
    writeFileSync(file, doc.toString());
    expect(run({ envDir: dir }).err.join('\n')).toMatch(new RegExp(`promotion\\.wave ${MAX_WAVES + 1} must be at most ${MAX_WAVES}`));
    doc.delete('promotion');
    writeFileSync(file, doc.toString());
    expect(run({ envDir: dir }).err.join('\n')).toMatch(/promotion is missing — add it/);
  });
});

describe('a fourth environment: one new file in a copy of envs/ (plus its chart values file)', () => {
  const name = generatedEnvironmentName('fourth');
  let dir: string;
  let work: string;
  let removeValues: () => void;
  beforeAll(() => {
    dir = copyEnvironments('fourth-env-');
    work = mkdtempSync(path.join(tmpdir(), 'fourth-env-out-'));
    const lastWave = Math.max(...environmentWaves().map((w) => w.wave));
    writeGeneratedEnvironment(dir, name, { wave: lastWave + 1 });
    removeValues = writeGeneratedChartValues(name, 'non-production');
  });
  afterAll(() => {
    removeValues();
    rmSync(path.dirname(dir), { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  test('GIVEN the new environment WHEN synthesized THEN it gets its own stacks beside every existing environment', () => {
    const outdir = path.join(work, 'cdktf.out');
    const lines: string[] = [];
    expect(runSynth({ outdir, envDir: dir, write: (l) => lines.push(l) })).toBe(0);
    const stacks = readdirSync(path.join(outdir, 'stacks'));
    for (const env of [...environmentNames(), name]) {
      expect(stacks).toContain(`${env}-services`);
      expect(stacks).toContain(`${env}-platform`);
    }
    expect(stacks).toContain(`${name}-bootstrap`);
    const services = JSON.parse(readFileSync(path.join(outdir, 'stacks', `${name}-services`, 'cdk.tf.json'), 'utf8'));
    expect(services.terraform.backend.s3).toMatchObject({ key: `${name}/services.tfstate` });
  });

  test('GIVEN the new environment WHEN the service chart is rendered with its values file by the real helm THEN it renders for that name', () => {
    const values = path.join(SERVICE_CHART_DIR, `values-${name}.yaml`);
    expect(existsSync(values)).toBe(true);
    const home = mkdtempSync(path.join(work, 'helm-'));
    const result = spawnSync(
      toolPath('helm'),
      ['template', 'orders', SERVICE_CHART_DIR, '--namespace', 'orders', '-f', values, '-f', path.join(SERVICE_CHART_DIR, 'ci', 'test-service.yaml')],
      { encoding: 'utf8', timeout: 60_000, env: { ...process.env, HELM_CACHE_HOME: home, HELM_CONFIG_HOME: home, HELM_DATA_HOME: home } },
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`value: "${name}"`);
  });

  test('GIVEN the new environment WHEN listed THEN it is in its own wave with its stacks and roles', () => {
    const listing = JSON.parse(run({ envDir: dir, json: true }).out[0]!) as EnvironmentListing;
    const env = listing.environments.find((e) => e.name === name)!;
    expect(env.stacks.map((s) => s.kind)).toEqual(['aws', 'cluster', 'bootstrap']);
    expect(env.roles.apply).toBe(`arn:aws:iam::${env.accountId}:role/platform-ci-${name}-apply`);
    expect(listing.waves.at(-1)!.environments).toEqual([name]);
  });
});
