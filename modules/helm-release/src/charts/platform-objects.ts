import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { type ChartDefinition, type KubernetesObject } from '../types';

/** The local chart that installs a list of Kubernetes objects (charts/platform-objects). */
export const PLATFORM_OBJECTS_CHART_DIR = path.resolve(__dirname, '..', '..', '..', '..', 'charts', 'platform-objects');

/** Values of charts/platform-objects: the objects it renders, one YAML document each. */
export interface PlatformObjectsValues {
  readonly objects: readonly KubernetesObject[];
}

/**
 * charts/platform-objects at the version in its Chart.yaml. The objects are custom resources of the
 * operators (Argo CD, External Secrets), built and validated by the gitops module; their reference fields
 * (a Secret key name, a Secrets Manager key, the Secret names a service mounts) look like secrets to the
 * values scan and are declared here as references.
 */
export function platformObjectsChart(chartDir: string = PLATFORM_OBJECTS_CHART_DIR): ChartDefinition<PlatformObjectsValues> {
  let meta: { version?: unknown } | undefined;
  try {
    meta = parse(readFileSync(path.join(chartDir, 'Chart.yaml'), 'utf8')) as { version?: unknown };
  } catch {
    meta = undefined; // HelmRelease reports the missing chart.
  }
  return {
    chart: chartDir,
    version: typeof meta?.version === 'string' ? meta.version : '',
    defaults: { objects: [] },
    notSecrets: [
      // ExternalSecret: the key inside the Kubernetes Secret (a name, not a value).
      'objects.*.spec.data.*.secretKey',
      // ApplicationSet list elements: the names of the Secrets each service mounts.
      'objects.*.spec.generators.*.list.elements.*.helmValues.externalSecrets.*',
    ],
  };
}
