import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { ConfigError } from '@platform/config';
import { ref, TerraformStack, Testing, Token } from 'cdktf';
import { parse } from 'yaml';
import { HelmRelease, type HelmReleaseProps } from './helm-release';
import { type ChartDefinition } from './types';

interface DemoValues {
  readonly replicas?: number;
  readonly image?: { readonly repository?: string; readonly tag?: string };
  readonly tolerations?: readonly string[];
  readonly auth?: { readonly password?: string; readonly existingSecret?: string };
  readonly annotations?: Readonly<Record<string, string>>;
  readonly note?: string;
}

const demoChart = (over: Partial<ChartDefinition<DemoValues>> = {}): ChartDefinition<DemoValues> => ({
  repository: 'https://charts.example.com',
  chart: 'demo',
  version: '1.2.3',
  defaults: { replicas: 1, image: { repository: 'nginx', tag: '1.27.0' }, tolerations: ['a', 'b'] },
  ...over,
});

interface Synth {
  readonly release: HelmRelease<DemoValues>;
  readonly resource: Record<string, unknown>;
  readonly values: Record<string, unknown>;
}

function synth(props: Partial<HelmReleaseProps<DemoValues>> = {}, build?: (stack: TerraformStack) => void): Synth {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'test');
  new HelmProvider(stack, 'helm', {});
  build?.(stack);
  const release = new HelmRelease<DemoValues>(stack, 'Demo', { chart: demoChart(), name: 'demo', namespace: 'demo', ...props });
  const tf = JSON.parse(Testing.synth(stack)) as { resource: { helm_release: Record<string, Record<string, unknown>> } };
  const resource = Object.values(tf.resource.helm_release)[0]!;
  return { release, resource, values: parse((resource.values as string[])[0]!) as Record<string, unknown> };
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.field}: ${p.message}`);
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('HelmRelease', () => {
  describe('defaults', () => {
    it('GIVEN a chart with no options WHEN synthesized THEN the release is atomic, waits, cleans up, times out and keeps 10 revisions', () => {
      const { resource } = synth();
      expect(resource).toMatchObject({
        name: 'demo',
        namespace: 'demo',
        repository: 'https://charts.example.com',
        chart: 'demo',
        version: '1.2.3',
        atomic: true,
        wait: true,
        wait_for_jobs: true,
        cleanup_on_fail: true,
        timeout: 600,
        max_history: 10,
        create_namespace: true,
      });
      expect(resource).not.toHaveProperty('set_sensitive');
    });

    it('GIVEN explicit timeout, history and namespace creation WHEN synthesized THEN they replace the defaults', () => {
      const { resource } = synth({ timeoutSeconds: 900, maxHistory: 3, createNamespace: false });
      expect(resource).toMatchObject({ timeout: 900, max_history: 3, create_namespace: false });
    });

    it('GIVEN only the chart defaults WHEN synthesized THEN values is one YAML document holding them', () => {
      const { resource, values, release } = synth();
      expect(resource.values).toHaveLength(1);
      expect(values).toEqual({ replicas: 1, image: { repository: 'nginx', tag: '1.27.0' }, tolerations: ['a', 'b'] });
      expect(release.valueLayers).toEqual(['defaults']);
    });
  });

  describe('value layering', () => {
    function valuesDir(files: Record<string, string>): string {
      const dir = mkdtempSync(path.join(tmpdir(), 'helm-values-'));
      for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
      return dir;
    }

    it('GIVEN defaults, a values-<env>.yaml and typed overrides WHEN merged THEN later layers win key by key and lists are replaced', () => {
      const dir = valuesDir({ 'values-envthree.yaml': 'replicas: 3\nimage:\n  tag: "1.28.0"\ntolerations: [c]\nnote: from-file\n' });
      const { values, release } = synth({
        chart: demoChart({ valuesDir: dir }),
        environment: 'envthree',
        values: { note: 'from-env-file', image: { repository: 'registry.example.com/nginx' } },
      });
      expect(values).toEqual({
        replicas: 3,
        image: { repository: 'registry.example.com/nginx', tag: '1.28.0' },
        tolerations: ['c'],
        note: 'from-env-file',
      });
      expect(release.valueLayers).toEqual(['defaults', expect.stringMatching(/values-envthree\.yaml$/), 'overrides']);
    });

    it('GIVEN no values file for the environment WHEN synthesized THEN that layer is skipped', () => {
      const dir = valuesDir({ 'values-envthree.yaml': 'replicas: 3\n' });
      const { values, release } = synth({ chart: demoChart({ valuesDir: dir }), environment: 'envone' });
      expect(values.replicas).toBe(1);
      expect(release.valueLayers).toEqual(['defaults']);
    });

    it('GIVEN a null in a later layer WHEN merged THEN the key is removed (Helm semantics)', () => {
      const dir = valuesDir({ 'values-envone.yaml': 'tolerations: null\n' });
      const { values } = synth({ chart: demoChart({ valuesDir: dir }), environment: 'envone' });
      expect(values).not.toHaveProperty('tolerations');
    });

    it('GIVEN a values-<env>.yaml that is not YAML WHEN synthesized THEN the error names the file', () => {
      const dir = valuesDir({ 'values-envone.yaml': 'replicas: [1\n' });
      expect(() => synth({ chart: demoChart({ valuesDir: dir }), environment: 'envone' })).toThrow(/values-envone\.yaml is not valid YAML/);
    });

    it('GIVEN a literal "${" in a value WHEN synthesized THEN it is escaped so Terraform does not interpolate it', () => {
      const { resource, values } = synth({ values: { note: 'price: ${AMOUNT} %{if}' } });
      expect((resource.values as string[])[0]).toContain('$${AMOUNT} %%{if}');
      expect(values.note).toBe('price: $${AMOUNT} %%{if}');
    });

    it('GIVEN a Terraform reference in a value WHEN synthesized THEN it becomes an interpolation inside the YAML', () => {
      const { resource } = synth({
        values: { annotations: { 'eks.amazonaws.com/role-arn': Token.asString(ref('aws_iam_role.x.arn')) } },
      });
      expect((resource.values as string[])[0]).toContain('eks.amazonaws.com/role-arn: ${aws_iam_role.x.arn}');
    });
  });

  describe('version pinning', () => {
    it.each(['latest', '^1.2.0', '~1', '>=1.0.0', '1.x', '*', 'v1.2.3', '1.2', '1.2.3 || 2.0.0'])(
      'GIVEN chart version %p WHEN constructed THEN it is rejected as not exact',
      (version) => {
        expect(problemsOf(() => synth({ chart: demoChart({ version }) }))).toEqual([
          expect.stringMatching(/^chart\.version: is not an exact version — pin one such as "1\.2\.3"/),
        ]);
      }
    );

    it.each(['', undefined])('GIVEN a missing chart version (%p) WHEN constructed THEN it is rejected as missing', (version) => {
      expect(problemsOf(() => synth({ chart: demoChart({ version: version as string }) }))).toEqual([
        expect.stringMatching(/^chart\.version: is missing — pin an exact chart version/),
      ]);
    });

    it.each(['0.20.2', '8.3.8', '1.0.0-rc.1', '2.1.0+build.5'])('GIVEN exact version %p WHEN synthesized THEN it is pinned', (version) => {
      expect(synth({ chart: demoChart({ version }) }).resource.version).toBe(version);
    });
  });

  describe('secrets never travel in values', () => {
    it('GIVEN a literal password in the overrides WHEN constructed THEN the error names the path and both allowed routes, without the value', () => {
      let message = '';
      try {
        synth({ values: { auth: { password: 'hunter2-hunter2' } } });
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/values\.auth\.password holds a literal of 15 characters under the secret-looking key "password"/);
      expect(message).toMatch(/create an ExternalSecret/);
      expect(message).toMatch(/sensitiveValues \(set_sensitive\) fed from a DataAwsSecretsmanagerSecretVersion/);
      expect(message).not.toContain('hunter2');
    });

    it('GIVEN a secret in a values-<env>.yaml WHEN constructed THEN it is rejected too', () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'helm-values-'));
      writeFileSync(path.join(dir, 'values-envone.yaml'), 'annotations:\n  apiToken: abc123\n');
      expect(() => synth({ chart: demoChart({ valuesDir: dir }), environment: 'envone' })).toThrow(
        /values\.annotations\.apiToken holds a literal of 6 characters under the secret-looking key "apiToken"/
      );
    });

    it('GIVEN a Terraform reference under a secret-looking key WHEN constructed THEN it is rejected (it would print in plans)', () => {
      expect(() => synth({ values: { auth: { password: Token.asString(ref('data.x.secret_string')) } } })).toThrow(
        /values\.auth\.password holds a Terraform reference under the secret-looking key "password"/
      );
    });

    it('GIVEN only a reference to a Secret (existingSecret) and an empty password WHEN synthesized THEN it is accepted', () => {
      const { values } = synth({ values: { auth: { existingSecret: 'demo-auth', password: '' } } });
      expect(values.auth).toEqual({ existingSecret: 'demo-auth', password: '' });
    });

    it('GIVEN a secret-looking path declared in notSecrets WHEN synthesized THEN it is accepted', () => {
      const { values } = synth({ values: { annotations: { 'vault.io/secret-key': 'db' } }, notSecrets: ['annotations.*'] });
      expect(values.annotations).toEqual({ 'vault.io/secret-key': 'db' });
    });

    it('GIVEN sensitiveValues fed by a Terraform reference WHEN synthesized THEN they go to set_sensitive, not values', () => {
      const secret = Token.asString(ref('data.aws_secretsmanager_secret_version.db.secret_string'));
      const { resource } = synth({ sensitiveValues: [{ path: 'auth.password', value: secret }] });
      expect(resource.set_sensitive).toEqual([
        { name: 'auth.password', value: '${data.aws_secretsmanager_secret_version.db.secret_string}' },
      ]);
      expect((resource.values as string[])[0]).not.toContain('password');
    });

    it('GIVEN a literal in sensitiveValues WHEN constructed THEN it is rejected', () => {
      expect(problemsOf(() => synth({ sensitiveValues: [{ path: 'auth.password', value: 'plain' }] }))).toEqual([
        expect.stringMatching(/^sensitiveValues\[0\]\.value: is a literal \(5 characters\) — a sensitive value must be a Terraform reference/),
      ]);
    });
  });

  describe('local charts', () => {
    it('GIVEN a chart folder in the repository WHEN synthesized THEN it is copied as an asset and installed from there, without a repository', () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'chart-'));
      writeFileSync(path.join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: local\nversion: 0.1.0\n');
      const { resource } = synth({ chart: demoChart({ repository: undefined, chart: dir, version: '0.1.0' }) });
      expect(resource.chart).toMatch(/^assets\/Demo_Chart_[0-9A-F]+\/[0-9A-F]+$/);
      expect(resource).not.toHaveProperty('repository');
      expect(resource.version).toBe('0.1.0');
    });

    it('GIVEN no repository and a path without Chart.yaml WHEN constructed THEN it is rejected', () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'not-a-chart-'));
      mkdirSync(path.join(dir, 'templates'));
      expect(() => synth({ chart: demoChart({ repository: undefined, chart: dir }) })).toThrow(/chart\.chart .* is not a local chart/);
    });
  });

  describe('prop validation', () => {
    it('GIVEN several invalid props WHEN constructed THEN one error lists every problem', () => {
      const problems = problemsOf(() =>
        synth({
          chart: demoChart({ repository: 'ftp://charts', chart: 'org/demo' }),
          name: 'Demo_Release',
          namespace: 'Not OK',
          environment: 'Prod',
          timeoutSeconds: 5,
          maxHistory: 0,
        })
      );
      expect(problems).toEqual([
        expect.stringMatching(/^chart\.repository: is not a Helm repository/),
        expect.stringMatching(/^chart\.chart: is not a chart name/),
        expect.stringMatching(/^name: is not a Helm release name/),
        expect.stringMatching(/^namespace: is not a Kubernetes namespace name/),
        expect.stringMatching(/^environment: is not an environment name/),
        expect.stringMatching(/^timeoutSeconds: must be a whole number of seconds from 60 to 3600/),
        expect.stringMatching(/^maxHistory: must be a whole number from 1 to 100/),
      ]);
    });

    it('GIVEN an invalid prop WHEN constructed THEN the heading names the construct path', () => {
      expect(() => synth({ name: 'x'.repeat(54) })).toThrow(/^HelmRelease "test\/Demo": 1 invalid prop/);
    });
  });

  describe('typed values (compile-time)', () => {
    it('GIVEN a misspelt value key WHEN type-checked THEN tsc rejects it (the expect-error lines prove it)', () => {
      const props: HelmReleaseProps<DemoValues> = {
        chart: demoChart(),
        name: 'demo',
        namespace: 'demo',
        // @ts-expect-error — "replica" is not a value of the chart (it is "replicas").
        values: { replica: 2 },
      };
      const sensitive: HelmReleaseProps<DemoValues>['sensitiveValues'] = [
        // @ts-expect-error — "auth.pasword" is not a path of the chart's values.
        { path: 'auth.pasword', value: 'x' },
      ];
      expect(props.name).toBe('demo');
      expect(sensitive).toHaveLength(1);
    });
  });
});
