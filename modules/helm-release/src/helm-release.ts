import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Release } from '@cdktf/provider-helm/lib/release';
import { ConfigError, EXACT_SEMVER, showValue, type Problem } from '@platform/config';
import { AssetType, TerraformAsset, Token, type ITerraformDependable, type TerraformProvider } from 'cdktf';
import { Construct } from 'constructs';
import { findSecretValues } from './secrets';
import { type ChartDefinition, type DeepPartial, type SensitiveValue } from './types';
import { mergeValues, readEnvironmentValues, toTerraformYaml, type Values } from './values';

export interface HelmReleaseProps<TValues extends object> {
  /** The chart: where it comes from, its pinned version and the platform's typed defaults. */
  readonly chart: ChartDefinition<TValues>;
  /** Release name: a DNS label of at most 53 characters. */
  readonly name: string;
  /** Namespace the release is installed into. */
  readonly namespace: string;
  /**
   * Environment name; selects `values-<env>.yaml` in the chart's `valuesDir`.
   * @default - no per-environment file is layered
   */
  readonly environment?: string;
  /**
   * Typed overrides, the last layer (usually built from the environment file).
   * @default - none
   */
  readonly values?: DeepPartial<TValues>;
  /**
   * Secret values, passed with `set_sensitive` (masked in plans, never in `values`). Each value must be a
   * Terraform reference, e.g. from a `DataAwsSecretsmanagerSecretVersion`.
   * @default - none
   */
  readonly sensitiveValues?: ReadonlyArray<SensitiveValue<TValues>>;
  /**
   * Value paths, besides the chart's own `notSecrets`, whose secret-looking keys hold references.
   * @default - none
   */
  readonly notSecrets?: readonly string[];
  /**
   * Create the namespace when it does not exist.
   * @default true
   */
  readonly createNamespace?: boolean;
  /**
   * Seconds Helm waits for each Kubernetes operation (and for the release to become ready).
   * @default 600
   */
  readonly timeoutSeconds?: number;
  /**
   * Release revisions Helm keeps (each is a Secret in the namespace).
   * @default 10
   */
  readonly maxHistory?: number;
  /**
   * Helm provider to install with.
   * @default - the stack's default `helm` provider
   */
  readonly provider?: TerraformProvider;
  /**
   * What must be in place first, e.g. the operator release whose CRDs this chart's objects use.
   * @default - nothing
   */
  readonly dependsOn?: ITerraformDependable[];
}

export const HELM_RELEASE_DEFAULTS = {
  timeoutSeconds: 600,
  maxHistory: 10,
  createNamespace: true,
} as const;

const RELEASE_NAME = /^[a-z0-9]([a-z0-9-]{0,51}[a-z0-9])?$/;
const K8S_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const ENV_NAME = /^[a-z][a-z0-9]{1,15}$/;
const REPOSITORY = /^(https|oci):\/\/[^\s]+$/;

/**
 * A Helm chart installed into the environment's cluster, with values that are typed, layered and
 * free of secrets. Values are layered in this order, later layers winning (Helm's own merge rules):
 *
 * 1. the chart's `values.yaml` (applied by Helm itself);
 * 2. the chart definition's `defaults` — the platform's typed baseline;
 * 3. `values-<env>.yaml` from the definition's `valuesDir`, when the file exists;
 * 4. `values` — typed overrides from the environment file.
 *
 * Layers 2–4 are merged here and reach Terraform as one YAML document in `values`; secrets travel
 * only in `set_sensitive` (`sensitiveValues`) or, better, never through Terraform at all (an
 * ExternalSecret). The chart version is always exact; the release is atomic, waits for readiness
 * (and Jobs), cleans up on failure, times out and keeps a bounded history.
 *
 * Construct ids: Resource (the `helm_release`), Chart (the copied local chart, for local charts only).
 */
export class HelmRelease<TValues extends object> extends Construct {
  /** The `helm_release` resource. */
  public readonly release: Release;
  /** Release name. */
  public readonly releaseName: string;
  /** Namespace of the release. */
  public readonly namespace: string;
  /** The merged values (layers 2–4) exactly as they are sent, before token resolution. */
  public readonly values: Readonly<Values>;
  /** Where each layer came from, lowest first, e.g. `defaults`, `…/values-prod.yaml`, `overrides`. */
  public readonly valueLayers: readonly string[];

  constructor(scope: Construct, id: string, props: HelmReleaseProps<TValues>) {
    super(scope, id);
    const label = `HelmRelease "${this.node.path}"`;
    const problems: Problem[] = [];
    const add: Add = (field, message, ...value) =>
      problems.push({ source: label, field, ...(value.length > 0 ? { value: value[0] } : {}), message });

    checkProps(props, add);

    // Value layers 2–4.
    const layers: string[] = ['defaults'];
    const layerValues: Array<Values | undefined> = [props.chart.defaults as Values];
    if (props.environment && props.chart.valuesDir) {
      const file = readEnvironmentValues(props.chart.valuesDir, props.environment);
      if (file?.error) add('chart.valuesDir', `${relative(file.file)} ${file.error}`);
      else if (file) {
        layers.push(relative(file.file));
        layerValues.push(file.values);
      }
    }
    if (props.values) {
      layers.push('overrides');
      layerValues.push(props.values as Values);
    }
    const merged = mergeValues(...layerValues);

    for (const finding of findSecretValues(merged, [...(props.chart.notSecrets ?? []), ...(props.notSecrets ?? [])])) {
      const what =
        finding.kind === 'literal'
          ? `holds a literal of ${finding.length} characters under the secret-looking key "${finding.key}"`
          : `holds a Terraform reference under the secret-looking key "${finding.key}" (it would print in every plan)`;
      problems.push({
        source: label,
        field: `values.${finding.path}`,
        message:
          `${what} — secrets never travel in Helm values: create an ExternalSecret (Secrets Manager → Kubernetes Secret, ` +
          `see docs/gitops.md) and pass only the Secret's name, or use sensitiveValues (set_sensitive) fed from a ` +
          `DataAwsSecretsmanagerSecretVersion; if the key only names a secret, list its path in the chart's notSecrets`,
      });
    }

    if (problems.length > 0) {
      throw new ConfigError(problems, `${label}: ${problems.length} invalid prop${problems.length === 1 ? '' : 's'}`);
    }

    const local = props.chart.repository === undefined;
    const chart = local
      ? new TerraformAsset(this, 'Chart', { path: props.chart.chart, type: AssetType.DIRECTORY }).path
      : props.chart.chart;

    this.release = new Release(this, 'Resource', {
      name: props.name,
      namespace: props.namespace,
      createNamespace: props.createNamespace ?? HELM_RELEASE_DEFAULTS.createNamespace,
      ...(local ? {} : { repository: props.chart.repository }),
      chart,
      version: props.chart.version,
      values: [toTerraformYaml(merged)],
      ...(props.sensitiveValues && props.sensitiveValues.length > 0
        ? { setSensitive: props.sensitiveValues.map((s) => ({ name: s.path, value: s.value })) }
        : {}),
      atomic: true,
      wait: true,
      waitForJobs: true,
      cleanupOnFail: true,
      timeout: props.timeoutSeconds ?? HELM_RELEASE_DEFAULTS.timeoutSeconds,
      maxHistory: props.maxHistory ?? HELM_RELEASE_DEFAULTS.maxHistory,
      provider: props.provider,
      dependsOn: props.dependsOn,
    });
    this.releaseName = props.name;
    this.namespace = props.namespace;
    this.values = merged;
    this.valueLayers = layers;
  }
}

/** Records a problem; pass the rejected value as the third argument (omit it when the field is missing). */
type Add = (field: string, message: string, ...value: [] | [unknown]) => void;

function checkProps<T extends object>(props: HelmReleaseProps<T>, add: Add): void {
  const { chart } = props;
  const version: unknown = chart?.version;
  if (version === undefined || version === null || version === '') {
    add('chart.version', 'is missing — pin an exact chart version such as "1.2.3" (without one Helm installs whatever is newest)');
  } else if (typeof version !== 'string' || Token.isUnresolved(version) || !EXACT_SEMVER.test(version)) {
    add(
      'chart.version',
      'is not an exact version — pin one such as "1.2.3"; ranges (^ ~ >= x *), "latest" and a "v" prefix let a different chart in without a reviewed change',
      version
    );
  }
  if (chart?.repository !== undefined) {
    if (!REPOSITORY.test(chart.repository)) {
      add('chart.repository', 'is not a Helm repository — use an "https://…" or "oci://…" URL', chart.repository);
    }
    if (!chart.chart || chart.chart.includes('/')) {
      add('chart.chart', 'is not a chart name — give the name inside the repository, e.g. "argo-cd"', chart.chart);
    }
  } else if (!chart?.chart || !path.isAbsolute(chart.chart) || !existsSync(path.join(chart.chart, 'Chart.yaml'))) {
    add('chart.chart', 'is not a local chart — without a repository, give the absolute path of a folder holding Chart.yaml', chart?.chart);
  }
  const literal = (v: unknown) => !(typeof v === 'string' && Token.isUnresolved(v));
  if (literal(props.name) && !RELEASE_NAME.test(props.name ?? '')) {
    add('name', 'is not a Helm release name — use at most 53 lower-case letters, digits and hyphens', props.name);
  }
  if (literal(props.namespace) && !K8S_NAME.test(props.namespace ?? '')) {
    add('namespace', 'is not a Kubernetes namespace name — use up to 63 lower-case letters, digits and hyphens', props.namespace);
  }
  if (props.environment !== undefined && !ENV_NAME.test(props.environment)) {
    add('environment', 'is not an environment name — use 2–16 lower-case letters and digits', props.environment);
  }
  const timeout = props.timeoutSeconds;
  if (timeout !== undefined && (!Number.isInteger(timeout) || timeout < 60 || timeout > 3600)) {
    add('timeoutSeconds', 'must be a whole number of seconds from 60 to 3600', timeout);
  }
  const history = props.maxHistory;
  if (history !== undefined && (!Number.isInteger(history) || history < 1 || history > 100)) {
    add('maxHistory', 'must be a whole number from 1 to 100 (0 would keep every revision forever)', history);
  }
  const seen = new Set<string>();
  (props.sensitiveValues ?? []).forEach((s, i) => {
    const field = `sensitiveValues[${i}]`;
    if (typeof s.path !== 'string' || s.path.length === 0) add(`${field}.path`, 'is empty — give the Helm path of the value');
    else if (seen.has(s.path)) add(`${field}.path`, 'is set twice — give each sensitive value once', s.path);
    else seen.add(s.path);
    if (typeof s.value !== 'string' || !Token.isUnresolved(s.value)) {
      add(
        `${field}.value`,
        `is a literal (${typeof s.value === 'string' ? `${s.value.length} characters` : showValue(s.value)}) — a sensitive value must be a Terraform reference, e.g. a DataAwsSecretsmanagerSecretVersion's secretString, so the secret never sits in the repository`
      );
    }
  });
}

/** Repository-relative path for messages (absolute when outside the working directory). */
function relative(file: string): string {
  const r = path.relative(process.cwd(), file);
  return r.startsWith('..') ? file : r.split(path.sep).join('/');
}
