import { type ChartDefinition } from '../types';

/** Namespace and release name of Stakater Reloader. */
export const RELOADER_NAMESPACE = 'reloader';

/**
 * The values of the stakater/reloader chart that the platform sets — a subset of the chart's values.yaml.
 * A key missing here is a compile error.
 */
export interface ReloaderValues {
  readonly reloader?: {
    /** Watch every namespace (the services live in their own). */
    readonly watchGlobally?: boolean;
    /** Roll only on Secrets: the services' ConfigMaps are chart-managed and roll with their own sync. */
    readonly ignoreConfigMaps?: boolean;
    /** Also roll when a watched Secret is first created (ESO may create it after the Deployment). */
    readonly reloadOnCreate?: boolean;
  };
}

/**
 * Stakater Reloader from its chart repository, at an exact version (from `platformCharts.reloader.version`):
 * rolls a Deployment annotated `secret.reloader.stakater.com/reload: <secrets>` when one of those Secrets
 * changes — how a value rotated in Secrets Manager reaches pods that read it as environment variables.
 */
export function reloaderChart(version: string): ChartDefinition<ReloaderValues> {
  return {
    repository: 'https://stakater.github.io/stakater-charts',
    chart: 'reloader',
    version,
    defaults: { reloader: { watchGlobally: true, ignoreConfigMaps: true, reloadOnCreate: true } },
  };
}
