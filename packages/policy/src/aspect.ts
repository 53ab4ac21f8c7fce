import { type EnvironmentConfig } from '@platform/config';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Aspects, type IAspect, TerraformResource, TerraformStack } from 'cdktf';
import { type IConstruct } from 'constructs';
import { RULES } from './pack';
import { isSuppressed, listSuppressions } from './suppressions';
import { type PolicyContext, type Rule, type StackJson } from './types';

/** One violation, as reported. */
export interface Violation {
  readonly rule: string;
  readonly path: string;
  readonly message: string;
  readonly fix: string;
}

/**
 * Runs rules over one stack and drops suppressed findings. `json` is the stack's synthesized
 * Terraform when already at hand (e.g. read back from cdk.tf.json); otherwise it is produced here.
 */
export function evaluateStack(stack: TerraformStack, rules: readonly Rule[] = RULES, json: StackJson = stack.toTerraform() as StackJson): Violation[] {
  const taggable = new Set<string>();
  for (const c of stack.node.findAll()) {
    if (c instanceof TerraformResource && c.terraformResourceType.startsWith('aws_') && 'tagsInput' in c) {
      taggable.add(`${c.terraformResourceType}.${stack.getLogicalId(c)}`);
    }
  }
  const env = (stack as unknown as { env?: EnvironmentConfig }).env;
  const ctx: PolicyContext = { stackId: stack.node.id, json, env, taggable };
  const suppressed = listSuppressions(stack);
  return rules.flatMap((rule) =>
    rule
      .check(ctx)
      .filter((f) => !isSuppressed(suppressed, rule.id, f.path))
      .map((f) => ({ rule: rule.id, path: f.path, message: f.message, fix: rule.fix })),
  );
}

export function formatViolation(v: Violation): string {
  return `[${v.rule}] ${v.path}: ${v.message} — fix: ${v.fix}`;
}

/**
 * The policy gate as an Aspect: every stack it reaches gets a validation that evaluates the policy
 * pack on the stack's Terraform and fails synth with one line per violation (rule id, construct path,
 * problem, fix).
 */
export class PolicyGate implements IAspect {
  private readonly stacks = new WeakSet<TerraformStack>();

  constructor(private readonly rules: readonly Rule[] = RULES) {}

  visit(node: IConstruct): void {
    if (!(node instanceof TerraformStack) || this.stacks.has(node)) return;
    this.stacks.add(node);
    node.node.addValidation({ validate: () => evaluateStack(node, this.rules).map(formatViolation) });
  }
}

/**
 * Puts the policy gate on every stack under `scope` (call after the stacks exist). cdktf runs a
 * stack's aspects from the stack down, so an aspect on the App itself would never be invoked.
 */
export function applyPolicy(scope: IConstruct, gate: PolicyGate = new PolicyGate()): void {
  for (const c of scope.node.findAll()) {
    if (c instanceof TerraformStack) Aspects.of(c).add(gate);
  }
}

/** Synth failed because stacks break the policy; the message lists every violation. */
export class PolicyViolationError extends Error {
  constructor(public readonly violations: readonly Violation[]) {
    super(`policy gate: ${violations.length} violation${violations.length === 1 ? '' : 's'}:\n${violations.map((v) => `  - ${formatViolation(v)}`).join('\n')}`);
    this.name = 'PolicyViolationError';
  }
}

/**
 * The policy gate on synthesized output: evaluates every stack of `app` on the `cdk.tf.json` it just
 * wrote to `outdir` (what is checked is exactly what Terraform will read) and throws
 * `PolicyViolationError` listing every violation. The atomic synth calls this before it replaces
 * `cdktf.out`, so a violating synth writes nothing. Reading the file back avoids resolving every
 * token a second time, which a cdktf validation (`PolicyGate`) costs.
 */
export function enforcePolicy(app: IConstruct, outdir: string, rules: readonly Rule[] = RULES): void {
  const violations = app.node.children
    .filter((c): c is TerraformStack => c instanceof TerraformStack)
    .flatMap((stack) => {
      const file = path.join(outdir, 'stacks', stack.node.id, 'cdk.tf.json');
      return evaluateStack(stack, rules, JSON.parse(readFileSync(file, 'utf8')) as StackJson);
    });
  if (violations.length > 0) throw new PolicyViolationError(violations);
}
