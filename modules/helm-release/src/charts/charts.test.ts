import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { TerraformStack, Testing } from 'cdktf';
import { environmentOfTier, firstEnvironment } from '@platform/testing';
import { parse } from 'yaml';
import { HelmRelease } from '../helm-release';
import { argoCdChart } from './argo-cd';
import { EXTERNAL_SECRETS_SERVICE_ACCOUNT, externalSecretsChart } from './external-secrets';
import { PLATFORM_OBJECTS_CHART_DIR, platformObjectsChart } from './platform-objects';
import { reloaderChart } from './reloader';

describe('chart definitions', () => {
  it('GIVEN a version WHEN the Argo CD chart is defined THEN it comes from argo-helm at that version with CRDs kept', () => {
    const chart = argoCdChart('8.3.8');
    expect(chart).toMatchObject({ repository: 'https://argoproj.github.io/argo-helm', chart: 'argo-cd', version: '8.3.8' });
    expect(chart.defaults.crds).toEqual({ install: true, keep: true });
  });

  it('GIVEN the Argo CD chart in a production environment and in the first one WHEN released THEN only the production one gets its values-<env>.yaml replicas', () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 'test');
    new HelmProvider(stack, 'helm', {});
    const production = environmentOfTier('production');
    const prod = new HelmRelease(stack, 'Prod', { chart: argoCdChart('8.3.8'), name: 'argocd', namespace: 'argocd', environment: production });
    const dev = new HelmRelease(stack, 'Dev', { chart: argoCdChart('8.3.8'), name: 'argocd', namespace: 'argocd', environment: firstEnvironment() });
    expect(prod.values).toMatchObject({ server: { replicas: 2 }, repoServer: { replicas: 2 }, applicationSet: { replicas: 2 } });
    expect(prod.valueLayers).toEqual(['defaults', `modules/helm-release/src/charts/values/argo-cd/values-${production}.yaml`]);
    expect(dev.values).not.toHaveProperty('server');
  });

  it('GIVEN a version WHEN the External Secrets chart is defined THEN it installs its CRDs and a fixed service account name', () => {
    const chart = externalSecretsChart('0.20.2');
    expect(chart).toMatchObject({ repository: 'https://charts.external-secrets.io', chart: 'external-secrets', version: '0.20.2' });
    expect(chart.defaults).toEqual({ installCRDs: true, serviceAccount: { create: true, name: EXTERNAL_SECRETS_SERVICE_ACCOUNT } });
  });

  it('GIVEN a version WHEN the Reloader chart is defined THEN it comes from stakater-charts at that version, watching every namespace, Secrets only, also on creation', () => {
    const chart = reloaderChart('2.1.4');
    expect(chart).toMatchObject({ repository: 'https://stakater.github.io/stakater-charts', chart: 'reloader', version: '2.1.4' });
    expect(chart.defaults).toEqual({ reloader: { watchGlobally: true, ignoreConfigMaps: true, reloadOnCreate: true } });
  });

  it('GIVEN charts/platform-objects WHEN defined THEN it is local, versioned by its Chart.yaml and declares its reference paths', () => {
    const chart = platformObjectsChart();
    const meta = parse(readFileSync(path.join(PLATFORM_OBJECTS_CHART_DIR, 'Chart.yaml'), 'utf8')) as { version: string };
    expect(chart.repository).toBeUndefined();
    expect(chart.chart).toBe(PLATFORM_OBJECTS_CHART_DIR);
    expect(chart.version).toBe(meta.version);
    expect(chart.notSecrets).toContain('objects.*.spec.data.*.secretKey');
  });

  it('GIVEN a folder without Chart.yaml WHEN defined THEN the version is empty, so HelmRelease rejects it', () => {
    expect(platformObjectsChart('/nonexistent').version).toBe('');
  });
});
