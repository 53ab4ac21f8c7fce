/**
 * A chart the platform installs, with the TypeScript interface of the values the platform sets.
 * `TValues` covers only that subset (not the whole upstream values.yaml): a key that is not in it is
 * a compile error, so a misspelt value never reaches a cluster.
 */
export interface ChartDefinition<TValues extends object> {
  /**
   * Helm repository (`https://…` or `oci://…`).
   * @default - a chart checked into this repository; `chart` is then the absolute path of its folder
   */
  readonly repository?: string;
  /** Chart name in the repository, or the absolute path of a local chart folder (holding Chart.yaml). */
  readonly chart: string;
  /** Exact chart version (SemVer 2, e.g. "8.3.8"). Ranges, "latest" and missing versions are rejected. */
  readonly version: string;
  /** The platform's baseline values for this chart, layered over the chart's own values.yaml. */
  readonly defaults: DeepPartial<TValues>;
  /**
   * Folder holding `values-<env>.yaml` files layered over `defaults` for each environment.
   * @default - no per-environment file
   */
  readonly valuesDir?: string;
  /**
   * Value paths whose keys look like secrets but hold references (a Secret's name, a Secrets Manager key),
   * dotted, `*` for one key or list index, `**` for any depth, e.g. `objects.*.spec.data.*.secretKey`.
   * @default - none
   */
  readonly notSecrets?: readonly string[];
}

/** Every field optional, recursively; lists are replaced as a whole (Helm's merge rule), so they stay as they are. */
export type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

type Depth = [never, 0, 1, 2, 3, 4, 5];

/**
 * Dotted Helm `--set` paths into `T` (`server.replicas`, `configs.params.${string}`), to a depth of six.
 * Lists are not descended into: set a whole list through `values`.
 */
export type ValuePath<T, D extends number = 6> = [D] extends [never]
  ? never
  : T extends readonly unknown[]
    ? never
    : T extends object
      ? {
          [K in keyof T & string]-?:
            | K
            | (NonNullable<T[K]> extends readonly unknown[]
                ? never
                : NonNullable<T[K]> extends object
                  ? `${K}.${ValuePath<NonNullable<T[K]>, Depth[D]>}`
                  : never);
        }[keyof T & string]
      : never;

/**
 * A value that must not appear in plain text: passed with `set_sensitive` (masked in plans).
 * `value` must be a Terraform reference, e.g. a `DataAwsSecretsmanagerSecretVersion`'s `secretString`
 * (or `Fn.lookup(Fn.jsondecode(…), "password")`); a literal string is rejected because it would sit in
 * the repository and the synthesized configuration.
 */
export interface SensitiveValue<TValues> {
  /** Helm path of the value, e.g. `configs.secret.argocdServerAdminPassword`. */
  readonly path: ValuePath<TValues>;
  /** A Terraform reference (unresolved token) that yields the secret at apply time. */
  readonly value: string;
}

/** A Kubernetes object as YAML data (what the platform-objects chart renders). */
export interface KubernetesObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly [field: string]: unknown;
}
