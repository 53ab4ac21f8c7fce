import { type EnvironmentConfig } from '@platform/config';

/** Synthesized Terraform JSON of one stack, as `TerraformStack.toTerraform()` returns it. */
export interface StackJson {
  readonly terraform?: {
    readonly backend?: Record<string, Record<string, unknown>>;
    readonly [key: string]: unknown;
  };
  readonly provider?: Record<string, ReadonlyArray<Record<string, unknown>>>;
  readonly resource?: Record<string, Record<string, Record<string, unknown>>>;
  readonly data?: Record<string, Record<string, Record<string, unknown>>>;
}

/** What a rule sees of one stack. */
export interface PolicyContext {
  /** Stack id, e.g. `dev-services`. */
  readonly stackId: string;
  readonly json: StackJson;
  /** The environment the stack belongs to, when it is an environment stack. */
  readonly env?: EnvironmentConfig;
  /** `type.logicalId` of every resource whose provider schema has `tags` (from the construct classes). */
  readonly taggable: ReadonlySet<string>;
}

/** One resource (or the stack itself) breaking one rule. */
export interface Finding {
  /** Construct path of the offender, e.g. `dev-services/payments/Repository/Resource`. */
  readonly path: string;
  /** What is wrong, specifically. */
  readonly message: string;
}

export interface Rule {
  /** Stable id used in messages and suppressions, e.g. `ECR-001`. */
  readonly id: string;
  /** One-line rationale: why the rule exists. */
  readonly rationale: string;
  /** How to fix an offender. */
  readonly fix: string;
  readonly check: (ctx: PolicyContext) => Finding[];
}

/** A resource body with its type, logical id and construct path. */
export interface ResourceRef {
  readonly type: string;
  readonly id: string;
  readonly path: string;
  readonly body: Record<string, unknown>;
}
