import { z } from 'zod';
import { type Change, type ChangeAction, type JsonValue, type OutputChange, type Plan, type ResourceChange } from './types';

/**
 * Zod schema over the parts of `terraform show -json` output this package reads. Unknown
 * properties are ignored (the format promises only additions within a major version), and
 * `format_version` must be 1.x (a new major version may change meanings).
 */

// The text came from JSON.parse, so any defined value is JSON; this only rejects absence.
const json = z.custom<JsonValue>((value) => value !== undefined, { message: 'expected a JSON value' });
const mirror = json.optional().default(false);

const action = z.enum(['no-op', 'create', 'read', 'update', 'delete', 'forget'] satisfies ChangeAction[]);
const actions = z.array(action).min(1, { message: 'expected at least one action' });

const rawChange = z.object({
  actions,
  before: json.optional().default(null),
  after: json.optional().default(null),
  after_unknown: mirror,
  before_sensitive: mirror,
  after_sensitive: mirror,
  replace_paths: z.array(z.array(z.union([z.string(), z.number()]))).optional(),
  importing: z.object({ id: z.string().optional() }).optional(),
});

const rawResourceChange = z.object({
  address: z.string().min(1),
  previous_address: z.string().optional(),
  module_address: z.string().optional(),
  mode: z.enum(['managed', 'data']),
  type: z.string(),
  name: z.string(),
  provider_name: z.string().optional(),
  deposed: z.string().optional(),
  action_reason: z.string().optional(),
  change: rawChange,
});

const rawOutputChange = rawChange.pick({
  actions: true,
  before: true,
  after: true,
  after_unknown: true,
  before_sensitive: true,
  after_sensitive: true,
});

export const rawPlanSchema = z.object({
  format_version: z.string().refine((version) => /^1(\.\d+)*$/.test(version), {
    error: (issue) => `unsupported format_version ${JSON.stringify(issue.input)} (this reader understands 1.x)`,
  }),
  terraform_version: z.string().optional(),
  resource_changes: z.array(rawResourceChange).optional().default([]),
  resource_drift: z.array(rawResourceChange).optional().default([]),
  output_changes: z.record(z.string(), rawOutputChange).optional().default({}),
});

type RawPlan = z.infer<typeof rawPlanSchema>;
type RawResourceChange = RawPlan['resource_changes'][number];
type RawOutputChange = RawPlan['output_changes'][string];

/** Maps the validated JSON onto the package's readonly camelCase model. */
export function toPlan(raw: RawPlan): Plan {
  return {
    formatVersion: raw.format_version,
    ...(raw.terraform_version === undefined ? {} : { terraformVersion: raw.terraform_version }),
    resourceChanges: raw.resource_changes.map(toResourceChange),
    resourceDrift: raw.resource_drift.map(toResourceChange),
    outputChanges: Object.fromEntries(Object.entries(raw.output_changes).map(([name, output]) => [name, toOutputChange(output)])),
  };
}

function toOutputChange(raw: RawOutputChange): OutputChange {
  return {
    actions: raw.actions,
    before: raw.before,
    after: raw.after,
    afterUnknown: raw.after_unknown,
    beforeSensitive: raw.before_sensitive,
    afterSensitive: raw.after_sensitive,
  };
}

function toResourceChange(raw: RawResourceChange): ResourceChange {
  const change: Change = {
    ...toOutputChange(raw.change),
    replacePaths: raw.change.replace_paths ?? [],
    ...(raw.change.importing?.id === undefined ? {} : { importingId: raw.change.importing.id }),
  };
  return {
    address: raw.address,
    mode: raw.mode,
    type: raw.type,
    name: raw.name,
    change,
    ...optional('previousAddress', raw.previous_address),
    ...optional('moduleAddress', raw.module_address),
    ...optional('providerName', raw.provider_name),
    ...optional('deposed', raw.deposed),
    ...optional('actionReason', raw.action_reason),
  };
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}
