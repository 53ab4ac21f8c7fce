/**
 * `action_reason` values, in plain words. The list is Terraform's documented set
 * (https://developer.hashicorp.com/terraform/internals/json-format, "action_reason"),
 * which OpenTofu shares.
 */
const REASONS: Readonly<Record<string, string>> = {
  replace_because_tainted: 'the object is tainted (a previous apply failed part-way, or it was marked with `taint`)',
  replace_because_cannot_update: 'an attribute that forces replacement changed',
  replace_by_request: 'replacement was requested (`-replace`)',
  replace_by_triggers: 'a `replace_triggered_by` reference changed',
  delete_because_no_resource_config: 'removed from configuration',
  delete_because_no_module: 'its module was removed from configuration',
  delete_because_wrong_repetition: 'the resource switched between `count`, `for_each` and a single instance',
  delete_because_count_index: 'its `count` index is beyond the new `count`',
  delete_because_each_key: 'its key is no longer in `for_each`',
  delete_because_no_move_target: 'a `moved` block points at an address that is not in the configuration',
  read_because_config_unknown: 'its configuration depends on values not known until apply',
  read_because_dependency_pending: 'it depends on a resource with pending changes',
  read_because_check_nested: 'it is used by a `check` block',
};

/** Plain-words explanation of an `action_reason`; unknown reasons are spelled out from their name. */
export function describeReason(reason: string): string {
  return REASONS[reason] ?? reason.replace(/_/g, ' ');
}
