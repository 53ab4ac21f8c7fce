import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { loadPlanFile } from '../src/load';
import { type Plan, type StackPlan } from '../src/types';

/** Folder of this package's test fixtures. */
export const fixturesDir = path.join(__dirname, 'fixtures');

export type FixtureGroup = 'opentofu' | 'custom' | 'invalid';

export function fixturePath(group: FixtureGroup, name: string): string {
  return path.join(fixturesDir, group, name);
}

/** The `.json` fixture names of a group, sorted. */
export function fixtureNames(group: FixtureGroup): string[] {
  return readdirSync(path.join(fixturesDir, group))
    .filter((name) => name.endsWith('.json'))
    .sort();
}

export function loadFixture(group: FixtureGroup, name: string): Plan {
  return loadPlanFile(fixturePath(group, name));
}

/** A one-stack list for the renderers, named after the fixture. */
export function fixtureStack(group: FixtureGroup, name: string): StackPlan[] {
  return [{ stack: name.replace(/\.json$/, ''), plan: loadFixture(group, name) }];
}

/**
 * Every sensitive value in the fixtures. The custom fixtures put `SECRET` in every sensitive value
 * and in no other value; `boop` is the sensitive value of OpenTofu's sensitive-values.json.
 */
export const SECRET_MARKERS = ['SECRET', 'boop'] as const;

/** The secret strings of a text, if any. */
export function leakedSecrets(text: string): string[] {
  return SECRET_MARKERS.filter((marker) => text.includes(marker));
}

/**
 * Plan JSON text with `count` resources: every `deleteEvery`-th one is deleted (the rest updated),
 * each with a few changed attributes, like a large real plan.
 */
export function generatePlanJson(count: number, options: { readonly deleteEvery?: number; readonly attributes?: number } = {}): string {
  const deleteEvery = options.deleteEvery ?? 10;
  const attributes = options.attributes ?? 3;
  const resourceChanges = Array.from({ length: count }, (_, index) => {
    const before = Object.fromEntries(Array.from({ length: attributes }, (__, a) => [`attribute_${a}`, `old-value-${index}-${a}`]));
    const isDelete = index % deleteEvery === 0;
    const after = isDelete ? null : Object.fromEntries(Object.keys(before).map((key) => [key, `new-value-${index}`]));
    return {
      address: `aws_ssm_parameter.generated[${index}]`,
      mode: 'managed',
      type: 'aws_ssm_parameter',
      name: 'generated',
      index,
      provider_name: 'registry.terraform.io/hashicorp/aws',
      ...(isDelete ? { action_reason: 'delete_because_count_index' } : {}),
      change: {
        actions: [isDelete ? 'delete' : 'update'],
        before,
        after,
        after_unknown: {},
        before_sensitive: {},
        after_sensitive: isDelete ? false : {},
      },
    };
  });
  return JSON.stringify({ format_version: '1.2', terraform_version: '1.9.5', resource_changes: resourceChanges });
}
