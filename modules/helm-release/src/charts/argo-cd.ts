import * as path from 'node:path';
import { type ChartDefinition } from '../types';

/**
 * The values of the argo-cd chart (argoproj/argo-helm) that the platform sets — a subset of the
 * chart's values.yaml. Add a key here before setting it anywhere: a key missing here is a compile error.
 */
export interface ArgoCdValues {
  readonly global?: {
    /** Public host name of the Argo CD UI/API (used for links and the ingress, when enabled). */
    readonly domain?: string;
    readonly logging?: { readonly format?: 'text' | 'json'; readonly level?: 'debug' | 'info' | 'warn' | 'error' };
  };
  readonly crds?: {
    /** Install the Application/ApplicationSet/AppProject CRDs with the chart. */
    readonly install?: boolean;
    /** Keep the CRDs (and so every Application) when the release is uninstalled. */
    readonly keep?: boolean;
  };
  readonly configs?: {
    /** argocd-cmd-params-cm entries, e.g. `server.insecure`, `applicationsetcontroller.policy`. */
    readonly params?: Readonly<Record<string, string | number | boolean>>;
    /** argocd-cm entries, e.g. `timeout.reconciliation`. */
    readonly cm?: Readonly<Record<string, string | boolean>>;
  };
  readonly dex?: { readonly enabled?: boolean };
  readonly notifications?: { readonly enabled?: boolean };
  readonly controller?: { readonly replicas?: number };
  readonly server?: { readonly replicas?: number };
  readonly repoServer?: { readonly replicas?: number };
  readonly applicationSet?: { readonly replicas?: number };
  readonly 'redis-ha'?: { readonly enabled?: boolean };
}

/** Argo CD from the argo-helm repository, at an exact chart version (from `platformCharts.argoCd.version`). */
export function argoCdChart(version: string): ChartDefinition<ArgoCdValues> {
  return {
    repository: 'https://argoproj.github.io/argo-helm',
    chart: 'argo-cd',
    version,
    defaults: {
      global: { logging: { format: 'json', level: 'info' } },
      // The CRDs outlive the release: uninstalling Argo CD must not delete every Application with them.
      crds: { install: true, keep: true },
      // No SSO is configured yet: Dex and the notifications controller would only run idle.
      dex: { enabled: false },
      notifications: { enabled: false },
    },
    valuesDir: path.join(__dirname, 'values', 'argo-cd'),
  };
}
