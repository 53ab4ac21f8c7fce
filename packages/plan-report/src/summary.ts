import { type ChangeAction, type OutputChange, type Plan, type ResourceChange } from './types';

/** What a change does, with the two-step replace actions folded into one kind. */
export type ChangeKind = 'create' | 'update' | 'replace' | 'delete' | 'no-op' | 'read' | 'forget';

/** Per-kind counts of a plan's resource changes. */
export interface PlanSummary {
  readonly create: number;
  readonly update: number;
  readonly replace: number;
  readonly delete: number;
  readonly noOp: number;
  readonly read: number;
  readonly forget: number;
}

/** Overall verdict for a stack: nothing to do, changes, or changes that destroy something. */
export type PlanStatus = 'no changes' | 'changes' | 'destroys';

/**
 * Classifies `change.actions`: `["delete","create"]` (destroy first) and `["create","delete"]`
 * (create_before_destroy) are both a replace; `["create","forget"]` replaces an object while
 * leaving the old one in place, also a replace.
 */
export function changeKind(actions: readonly ChangeAction[]): ChangeKind {
  if (actions.length === 1) return actions[0] ?? 'no-op';
  if (actions.includes('create') && (actions.includes('delete') || actions.includes('forget'))) return 'replace';
  // Not a combination Terraform writes today; the most destructive word wins.
  for (const kind of ['delete', 'forget', 'update', 'create', 'read'] as const) {
    if (actions.includes(kind)) return kind;
  }
  return 'no-op';
}

/** True for kinds that destroy an existing object. */
export function isDestructive(kind: ChangeKind): boolean {
  return kind === 'delete' || kind === 'replace';
}

/** Counts a plan's resource changes by kind. */
export function summarize(plan: Plan): PlanSummary {
  const counts: Record<ChangeKind, number> = { create: 0, update: 0, replace: 0, delete: 0, 'no-op': 0, read: 0, forget: 0 };
  for (const resource of plan.resourceChanges) counts[changeKind(resource.change.actions)] += 1;
  return {
    create: counts.create,
    update: counts.update,
    replace: counts.replace,
    delete: counts.delete,
    noOp: counts['no-op'],
    read: counts.read,
    forget: counts.forget,
  };
}

/** True when an output's value changes. */
export function outputChanged(output: OutputChange): boolean {
  return changeKind(output.actions) !== 'no-op';
}

/**
 * `destroys` when a resource is deleted or replaced; `changes` for any other resource change,
 * a moved or imported resource, or a changed output; otherwise `no changes`. Data-source reads
 * alone do not count as changes: they change no infrastructure.
 */
export function planStatus(plan: Plan): PlanStatus {
  const summary = summarize(plan);
  if (summary.delete + summary.replace > 0) return 'destroys';
  const movedOrImported = plan.resourceChanges.some((resource) => isMoved(resource) || resource.change.importingId !== undefined);
  const outputs = Object.values(plan.outputChanges).some(outputChanged);
  return summary.create + summary.update + summary.forget > 0 || movedOrImported || outputs ? 'changes' : 'no changes';
}

/** True when a `moved` block (or similar) changed the resource's address since the last run. */
export function isMoved(resource: ResourceChange): boolean {
  return resource.previousAddress !== undefined && resource.previousAddress !== resource.address;
}
