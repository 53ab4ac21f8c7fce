import { type IConstruct } from 'constructs';
import { ruleById, RULES } from './pack';

export interface Suppression {
  readonly rule: string;
  /** Construct path the suppression applies to (and everything under it). */
  readonly path: string;
  readonly justification: string;
}

const suppressions = new WeakMap<IConstruct, Suppression[]>();

/** Justifications are read in review; a word or two is not one. */
export const MIN_JUSTIFICATION = 20;

/**
 * Exempts a construct (and everything under it) from one policy rule. The rule must exist and the
 * justification must say why, in words a reviewer can check; every suppression is listed in the
 * synth summary.
 */
export function suppress(scope: IConstruct, rule: string, justification: string): void {
  if (!ruleById(rule)) {
    throw new Error(`suppress(${scope.node.path}): unknown policy rule "${rule}" — use one of ${RULES.map((r) => r.id).join(', ')}`);
  }
  if (typeof justification !== 'string' || justification.trim().length < MIN_JUSTIFICATION) {
    throw new Error(`suppress(${scope.node.path}, ${rule}): the justification must explain the exception in at least ${MIN_JUSTIFICATION} characters (got ${JSON.stringify(justification)})`);
  }
  const list = suppressions.get(scope) ?? [];
  list.push({ rule, path: scope.node.path, justification: justification.trim() });
  suppressions.set(scope, list);
}

/** Every suppression under `root`, sorted by path then rule. */
export function listSuppressions(root: IConstruct): Suppression[] {
  return root.node
    .findAll()
    .flatMap((c) => suppressions.get(c) ?? [])
    .sort((a, b) => a.path.localeCompare(b.path) || a.rule.localeCompare(b.rule));
}

/** Is `path` exempt from `rule`, given the suppressions in force under a stack? */
export function isSuppressed(all: readonly Suppression[], rule: string, path: string): boolean {
  return all.some((s) => s.rule === rule && (path === s.path || path.startsWith(`${s.path}/`)));
}
