/**
 * The parts of a Terraform/OpenTofu plan (`terraform show -json tfplan`) this package reads,
 * after validation (see `schema.ts`). Field names follow the JSON format, in camelCase.
 * Reference: https://developer.hashicorp.com/terraform/internals/json-format
 */

/** Any value JSON can hold. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** One word of `change.actions`. */
export type ChangeAction = 'no-op' | 'create' | 'read' | 'update' | 'delete' | 'forget';

/**
 * A `change` object: the value before and after, plus the mirror structures that mark
 * which parts are unknown until apply or sensitive. A mirror is `true` (everything here),
 * `false`/absent (nothing here), or an object/array with the same shape as the value.
 */
export interface Change {
  readonly actions: readonly ChangeAction[];
  readonly before: JsonValue;
  readonly after: JsonValue;
  readonly afterUnknown: JsonValue;
  readonly beforeSensitive: JsonValue;
  readonly afterSensitive: JsonValue;
  /** Attribute paths that force replacement, e.g. `[["ami"], ["network_interface", 0, "subnet_id"]]`. */
  readonly replacePaths: ReadonlyArray<ReadonlyArray<string | number>>;
  /** Set when the change imports an existing object (`import` block). */
  readonly importingId?: string;
}

/** An entry of `resource_changes` or `resource_drift`. */
export interface ResourceChange {
  readonly address: string;
  /** Set when a `moved` block (or a count/for_each switch) changed the address since the last run. */
  readonly previousAddress?: string;
  readonly moduleAddress?: string;
  readonly mode: 'managed' | 'data';
  readonly type: string;
  readonly name: string;
  readonly providerName?: string;
  /** Set when the change is about a deposed object left behind by a create_before_destroy replace. */
  readonly deposed?: string;
  /** Why Terraform chose this action, e.g. `replace_because_cannot_update`. */
  readonly actionReason?: string;
  readonly change: Change;
}

/** An entry of `output_changes`. */
export interface OutputChange {
  readonly actions: readonly ChangeAction[];
  readonly before: JsonValue;
  readonly after: JsonValue;
  readonly afterUnknown: JsonValue;
  readonly beforeSensitive: JsonValue;
  readonly afterSensitive: JsonValue;
}

/** A validated plan. */
export interface Plan {
  readonly formatVersion: string;
  readonly terraformVersion?: string;
  readonly resourceChanges: readonly ResourceChange[];
  /** Changes made outside Terraform, detected while refreshing. */
  readonly resourceDrift: readonly ResourceChange[];
  readonly outputChanges: Readonly<Record<string, OutputChange>>;
}

/** One stack's plan, as handed to the renderers. */
export interface StackPlan {
  readonly stack: string;
  readonly plan: Plan;
}
