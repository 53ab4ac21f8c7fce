// Plain data helpers over synthesized JSON, free of cdktf: the matchers (loaded for every suite by
// setup.ts) use them, so a suite that synthesizes nothing does not load cdktf and the providers.

/** A synthesized stack's Terraform JSON, parsed. */
export interface StackJson {
  readonly terraform?: Record<string, unknown>;
  readonly provider?: Record<string, ReadonlyArray<Record<string, unknown>>>;
  readonly resource?: Record<string, Record<string, Record<string, unknown>>>;
  readonly data?: Record<string, Record<string, Record<string, unknown>>>;
  readonly output?: Record<string, Record<string, unknown>>;
  readonly [key: string]: unknown;
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
