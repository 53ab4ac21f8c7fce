import { type JsonValue } from './types';

/**
 * Walks a change's before and after values side by side and lists the attributes that differ,
 * masking anything marked sensitive and marking anything unknown until apply.
 *
 * The mirror structures (`before_sensitive`, `after_sensitive`, `after_unknown`) are `true` for
 * "everything from here down", `false`/absent for "nothing", or an object/array shaped like the
 * value. Once either side is sensitive at a node, the walk stops there and shows `(sensitive)` on
 * both sides: a sensitive value is never copied into the result, not even its keys or length.
 */

export type PathPart = string | number;

/** One side of an attribute change, ready to display. */
export type Shown =
  | { readonly kind: 'value'; readonly value: JsonValue }
  | { readonly kind: 'sensitive' }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'absent' };

export interface AttributeChange {
  readonly path: readonly PathPart[];
  readonly before: Shown;
  readonly after: Shown;
}

/** What the walker needs from a resource or output change. */
export interface ValueChange {
  readonly before: JsonValue;
  readonly after: JsonValue;
  readonly beforeSensitive: JsonValue;
  readonly afterSensitive: JsonValue;
  readonly afterUnknown: JsonValue;
}

export const SENSITIVE_TEXT = '(sensitive)';
export const UNKNOWN_TEXT = '(known after apply)';
export const ABSENT_TEXT = '(none)';

const SENSITIVE: Shown = { kind: 'sensitive' };
const UNKNOWN: Shown = { kind: 'unknown' };
const ABSENT: Shown = { kind: 'absent' };

type Value = JsonValue | undefined;
type JsonObject = { readonly [key: string]: JsonValue };

/** Lists the attributes that differ between `before` and `after`, sorted by path within each object. */
export function diffAttributes(change: ValueChange, prefix: readonly PathPart[] = []): AttributeChange[] {
  const out: AttributeChange[] = [];
  walk(prefix, change.before, change.after, change.beforeSensitive, change.afterSensitive, change.afterUnknown, out);
  return out;
}

function walk(path: readonly PathPart[], before: Value, after: Value, bs: Value, as: Value, au: Value, out: AttributeChange[]): void {
  const sensitive = bs === true || as === true;
  if (au === true) {
    out.push({ path, before: show(before, sensitive ? true : bs, undefined), after: UNKNOWN });
    return;
  }
  if (sensitive) {
    if (!jsonEqual(before, after)) out.push({ path, before: isNullish(before) ? ABSENT : SENSITIVE, after: isNullish(after) ? ABSENT : SENSITIVE });
    return;
  }

  const bothObjects = isObject(before) && isObject(after);
  const bothArrays = Array.isArray(before) && Array.isArray(after);
  const growing = isNullish(before) && isContainer(after) && !isEmpty(after);
  const shrinking = isNullish(after) && isContainer(before) && !isEmpty(before);
  if (bothObjects || bothArrays || growing || shrinking) {
    for (const key of childKeys(before, after, au)) {
      walk([...path, key], child(before, key), child(after, key), child(bs, key), child(as, key), child(au, key), out);
    }
    return;
  }

  if (!jsonEqual(before, after)) out.push({ path, before: show(before, bs, undefined), after: show(after, as, au) });
}

/** One side as displayed: absent (or null), or the value with sensitive/unknown parts replaced by placeholders. */
function show(value: Value, sensitive: Value, unknown: Value): Shown {
  if (sensitive === true) return isNullish(value) ? ABSENT : SENSITIVE;
  if (unknown === true) return UNKNOWN;
  // Terraform has no difference between an unset attribute and a null one.
  if (isNullish(value)) return ABSENT;
  return { kind: 'value', value: mask(value, sensitive, unknown) };
}

/** Copies a value, replacing sensitive parts with `(sensitive)` and unknown parts with `(known after apply)`. */
export function mask(value: JsonValue, sensitive: Value, unknown: Value): JsonValue {
  if (sensitive === true) return SENSITIVE_TEXT;
  if (unknown === true) return UNKNOWN_TEXT;
  if (Array.isArray(value)) return value.map((item: JsonValue, index) => mask(item, child(sensitive, index), child(unknown, index)));
  if (isObject(value)) {
    return Object.fromEntries(Object.keys(value).map((key) => [key, mask(value[key] ?? null, child(sensitive, key), child(unknown, key))]));
  }
  return value;
}

function childKeys(before: Value, after: Value, unknown: Value): PathPart[] {
  if (Array.isArray(before) || Array.isArray(after)) {
    const length = Math.max(lengthOf(before), lengthOf(after), lengthOf(unknown));
    return Array.from({ length }, (_, index) => index);
  }
  const keys = new Set<string>();
  for (const side of [before, after]) if (isObject(side)) for (const key of Object.keys(side)) keys.add(key);
  if (isObject(unknown)) for (const [key, flag] of Object.entries(unknown)) if (flag !== false) keys.add(key);
  return [...keys].sort(compareKeys);
}

function child(value: Value, key: PathPart): Value {
  if (typeof key === 'number') return Array.isArray(value) ? (value as readonly JsonValue[])[key] : undefined;
  return isObject(value) && Object.prototype.hasOwnProperty.call(value, key) ? value[key] : undefined;
}

function lengthOf(value: Value): number {
  return Array.isArray(value) ? value.length : 0;
}

function isObject(value: Value): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isContainer(value: Value): boolean {
  return typeof value === 'object' && value !== null;
}

function isEmpty(value: Value): boolean {
  return Array.isArray(value) ? value.length === 0 : isObject(value) && Object.keys(value).length === 0;
}

function isNullish(value: Value): value is null | undefined {
  return value === null || value === undefined;
}

/** Structural equality of JSON values; an absent value equals null. */
export function jsonEqual(a: Value, b: Value): boolean {
  if (isNullish(a) || isNullish(b)) return isNullish(a) && isNullish(b);
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    const other: readonly JsonValue[] = b;
    return (a as readonly JsonValue[]).every((item, index) => jsonEqual(item, other[index]));
  }
  if (isObject(a) || isObject(b)) {
    if (!isObject(a) || !isObject(b)) return false;
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((key) => jsonEqual(a[key], b[key]));
  }
  return a === b;
}

function compareKeys(a: PathPart, b: PathPart): number {
  const left = String(a);
  const right = String(b);
  return left < right ? -1 : left > right ? 1 : 0;
}

/** Formats a path: `tags.Name`, `ingress[0].cidr_blocks[1]`, `labels["app.kubernetes.io/name"]`. */
export function formatPath(path: readonly PathPart[]): string {
  return path
    .map((part, index) => {
      if (typeof part === 'number') return `[${part}]`;
      if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(part)) return index === 0 ? part : `.${part}`;
      return `[${JSON.stringify(part)}]`;
    })
    .join('');
}

/** Plain-text rendering of one side: a JSON literal (shortened past `maxLength`) or a placeholder. */
export function shownText(shown: Shown, maxLength = 200): string {
  switch (shown.kind) {
    case 'sensitive':
      return SENSITIVE_TEXT;
    case 'unknown':
      return UNKNOWN_TEXT;
    case 'absent':
      return ABSENT_TEXT;
    case 'value': {
      const text = JSON.stringify(shown.value);
      return text.length <= maxLength ? text : `${text.slice(0, maxLength)}… (${text.length - maxLength} more characters)`;
    }
  }
}

/** True when `prefix` is a prefix of (or equal to) `path`: used to mark attributes that force replacement. */
export function startsWith(path: readonly PathPart[], prefix: readonly PathPart[]): boolean {
  return prefix.length <= path.length && prefix.every((part, index) => part === path[index]);
}
