import { type PolicyContext, type ResourceRef, type StackJson } from './types';

function refs(group: StackJson['resource'], types?: readonly string[]): ResourceRef[] {
  const out: ResourceRef[] = [];
  for (const [type, byId] of Object.entries(group ?? {})) {
    if (types && !types.includes(type)) continue;
    for (const [id, body] of Object.entries(byId)) {
      const meta = (body['//'] as { metadata?: { path?: string } } | undefined)?.metadata;
      out.push({ type, id, path: meta?.path ?? `${type}.${id}`, body });
    }
  }
  return out;
}

/** Resources of the given types (all when omitted), with construct paths. */
export function resources(ctx: PolicyContext, ...types: string[]): ResourceRef[] {
  return refs(ctx.json.resource, types.length ? types : undefined);
}

/** Data sources of the given types, with construct paths. */
export function dataSources(ctx: PolicyContext, ...types: string[]): ResourceRef[] {
  return refs(ctx.json.data, types.length ? types : undefined);
}

/** The first block of a nested block that cdktf renders as an object or a one-element list. */
export function block(value: unknown): Record<string, unknown> | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
}

/** Does `expr` (a Terraform reference string) point at the resource `type.id`? */
export function refersTo(expr: unknown, type: string, id: string): boolean {
  return typeof expr === 'string' && expr.includes(`${type}.${id}.`);
}

/** The data source a `${data.<type>.<id>.json}` expression refers to. */
export function referencedData(ctx: PolicyContext, expr: unknown): ResourceRef | undefined {
  if (typeof expr !== 'string') return undefined;
  const m = /\$\{data\.([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.json\}/.exec(expr);
  if (!m) return undefined;
  return dataSources(ctx, m[1]).find((d) => d.id === m[2]);
}
