import { TerraformStack, Testing } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';

/** A synthesized stack's Terraform JSON, parsed. */
export interface StackJson {
  readonly terraform?: Record<string, unknown>;
  readonly provider?: Record<string, ReadonlyArray<Record<string, unknown>>>;
  readonly resource?: Record<string, Record<string, Record<string, unknown>>>;
  readonly data?: Record<string, Record<string, Record<string, unknown>>>;
  readonly output?: Record<string, Record<string, unknown>>;
  readonly [key: string]: unknown;
}

/** Synthesizes one stack (running its validations) and parses the JSON. */
export function synthJson(stack: TerraformStack): StackJson {
  return JSON.parse(Testing.synth(stack, true)) as StackJson;
}

/** Every resource of one type, by logical id (empty when there is none). */
export function resourcesOf(json: StackJson, type: string): Record<string, Record<string, unknown>> {
  return json.resource?.[type] ?? {};
}

/** Every data source of one type, by logical id. */
export function dataSourcesOf(json: StackJson, type: string): Record<string, Record<string, unknown>> {
  return json.data?.[type] ?? {};
}

/** Drops every `//` metadata key, at any depth: what a reviewer compares. */
export function withoutMetadata<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutMetadata) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([k]) => k !== '//')
        .map(([k, v]) => [k, withoutMetadata(v)]),
    ) as T;
  }
  return value;
}

/** A bare stack with an AWS provider, for testing a module outside the stack factory. */
export function awsTestStack(id = 'test'): TerraformStack {
  const stack = new TerraformStack(Testing.app(), id);
  new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
  return stack;
}
