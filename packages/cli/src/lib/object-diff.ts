import { isReferenceKey, looksLikeSecretKey, matches } from '@platform/helm-release-module/src/secrets';
import {
  helmReleaseObjects,
  isGeneratedSource,
  objectKey,
  objectLabel,
  type DeliveredObject,
  type FieldChange,
  type ObjectChange,
  type StackObjectDiff,
  removalNote,
} from '@platform/plan-report';
import { type SynthesizedJson } from './semantic-diff';

/**
 * The offline, object-level diff of what Helm releases deliver (contract 4): for each stack, the
 * Kubernetes objects added, removed or changed between the base and the head synth, with the changed
 * fields. Values under secret-looking keys are never shown (the same key rules as the Helm values scan
 * in modules/helm-release).
 */

/** A path segment: a mapping key, an array index, or an array item matched by its identifying field. */
type Segment = string | number | { readonly by: string; readonly value: string };

/** Fields of an object that name things rather than hold secrets (object-relative, `*` = any one segment). */
const NOT_SECRETS = [
  // ExternalSecret: the key inside the Kubernetes Secret (a name, not a value).
  'spec.data.*.secretKey',
  // Application values: the Secret names a service mounts.
  'spec.source.helm.values.externalSecrets',
  'spec.source.helm.values.externalSecrets.*',
].map((p) => p.split('.'));

/** Fields that identify an item of a list of mappings, in order of preference. */
const ITEM_KEYS = ['name', 'secretKey', 'appName', 'namespace', 'key', 'kind'];

/** Longest rendering of a value before it is cut. */
const MAX_VALUE = 120;

export function renderPath(path: readonly Segment[]): string {
  let out = '';
  for (const s of path) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (typeof s === 'object') out += `[${s.by}=${s.value}]`;
    else out += out === '' ? s : `.${s}`;
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A short, one-line rendering of a value. */
export function renderValue(value: unknown): string {
  const text = typeof value === 'string' && /^[^\s"'{}[\],:#][^\n"]*$/.test(value) && !value.endsWith(' ') ? value : JSON.stringify(value);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

/** Whether a leaf of an object must not be shown. */
export function isSecretField(object: Pick<DeliveredObject, 'kind'>, path: readonly Segment[]): boolean {
  const keys = path.filter((s): s is string => typeof s === 'string');
  if (object.kind === 'Secret' && (keys[0] === 'data' || keys[0] === 'stringData')) return true;
  if (object.kind === 'HelmRelease' && keys[0] === 'set_sensitive') return true;
  const segments = path.map((s) => (typeof s === 'object' ? s.value : String(s)));
  if (NOT_SECRETS.some((p) => matches(p, segments))) return false;
  // At or below a reference (`secretName`, `secretKeyRef`, `remoteRef`) names a secret held elsewhere.
  if (keys.some(isReferenceKey)) return false;
  return keys.some(looksLikeSecretKey);
}

/** How the items of two lists are matched: by a field unique among the mappings of both, or by index. */
function itemKey(a: readonly unknown[], b: readonly unknown[]): string | undefined {
  const all = [...a, ...b];
  if (all.length === 0 || !all.every(isRecord)) return undefined;
  return ITEM_KEYS.find((k) =>
    [a, b].every((list) => {
      const values = list.map((item) => (item as Record<string, unknown>)[k]);
      return values.every((v) => typeof v === 'string') && new Set(values).size === values.length;
    }),
  );
}

const isScalarList = (list: readonly unknown[]): boolean => list.every((v) => v === null || typeof v !== 'object');

/** The changed leaves between two values, in document order. */
export function diffFields(object: Pick<DeliveredObject, 'kind' | 'generates'>, before: unknown, after: unknown, path: Segment[] = [], out: FieldChange[] = []): FieldChange[] {
  const rawPath = path.map((s) => (typeof s === 'object' ? 0 : s));
  if (isGeneratedSource(object, rawPath)) return out;
  if (JSON.stringify(before) === JSON.stringify(after)) return out;
  const emit = (b: unknown, a: unknown): void => {
    const masked = isSecretField(object, path);
    out.push({
      path: renderPath(path),
      ...(b !== undefined ? { old: masked ? '***' : renderValue(b) } : {}),
      ...(a !== undefined ? { new: masked ? '***' : renderValue(a) } : {}),
      ...(masked ? { masked: true } : {}),
    });
  };
  if (isRecord(before) && isRecord(after)) {
    const keys = [...Object.keys(before), ...Object.keys(after).filter((k) => !(k in before))];
    for (const k of keys) diffFields(object, before[k], after[k], [...path, k], out);
    return out;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    if (isScalarList(before) && isScalarList(after)) {
      // Sets of names (namespaces, Secret names): the items that come and go, one change each.
      const unique = (list: unknown[]) => new Set(list.map((v) => JSON.stringify(v))).size === list.length;
      const gone = before.filter((v) => !after.some((w) => JSON.stringify(w) === JSON.stringify(v)));
      const come = after.filter((v) => !before.some((w) => JSON.stringify(w) === JSON.stringify(v)));
      if (unique(before) && unique(after) && gone.length + come.length > 0) {
        for (const v of gone) emit(v, undefined);
        for (const v of come) emit(undefined, v);
      } else emit(before, after);
      return out;
    }
    const by = itemKey(before, after);
    if (by !== undefined) {
      const index = (list: unknown[]) => new Map(list.map((item) => [String((item as Record<string, unknown>)[by]), item]));
      const b = index(before);
      const a = index(after);
      const ids = [...b.keys(), ...[...a.keys()].filter((k) => !b.has(k))];
      for (const id of ids) diffFields(object, b.get(id), a.get(id), [...path, { by, value: id }], out);
      return out;
    }
    for (let i = 0; i < Math.max(before.length, after.length); i++) diffFields(object, before[i], after[i], [...path, i], out);
    return out;
  }
  // A mapping or list appearing or disappearing: show its leaves, so each added field is visible (and masked on its own).
  if ((before === undefined && (isRecord(after) || Array.isArray(after))) || (after === undefined && (isRecord(before) || Array.isArray(before)))) {
    const side = (before ?? after) as Record<string, unknown> | unknown[];
    if (Array.isArray(side) && isScalarList(side)) {
      emit(before, after);
      return out;
    }
    const entries: Array<[Segment, unknown]> = Array.isArray(side)
      ? side.map((item, i) => {
          const by = itemKey(side, []);
          return [by ? { by, value: String((item as Record<string, unknown>)[by]) } : i, item];
        })
      : Object.entries(side);
    if (entries.length === 0) emit(before, after);
    for (const [seg, v] of entries) diffFields(object, before === undefined ? undefined : v, before === undefined ? v : undefined, [...path, seg], out);
    return out;
  }
  emit(before, after);
  return out;
}

const ACTION_ORDER = { removed: 0, added: 1, changed: 2 } as const;

/** Objects added, removed or changed between two lists of delivered objects. */
export function diffObjects(base: readonly DeliveredObject[], head: readonly DeliveredObject[]): ObjectChange[] {
  const before = new Map(base.map((o) => [objectKey(o), o]));
  const after = new Map(head.map((o) => [objectKey(o), o]));
  const changes: ObjectChange[] = [];
  const describe = (o: DeliveredObject, action: ObjectChange['action'], fields: FieldChange[]): ObjectChange => ({
    action,
    kind: o.kind,
    ...(o.namespace ? { namespace: o.namespace } : {}),
    name: o.name,
    apiVersion: o.apiVersion,
    release: o.release,
    ...(o.generatedBy ? { generatedBy: o.generatedBy } : {}),
    fields,
  });
  for (const [key, o] of before) {
    if (after.has(key)) continue;
    const note = removalNote(o.manifest);
    changes.push({ ...describe(o, 'removed', []), ...(note ? { note } : {}) });
  }
  for (const [key, o] of after) {
    const old = before.get(key);
    if (!old) {
      changes.push(describe(o, 'added', []));
      continue;
    }
    const fields = diffFields(o, old.manifest, o.manifest);
    if (old.release !== o.release) fields.unshift({ path: '(release)', old: old.release, new: o.release });
    if (fields.length > 0) changes.push(describe(o, 'changed', fields));
  }
  return changes.sort((x, y) => ACTION_ORDER[x.action] - ACTION_ORDER[y.action] || objectLabel(x).localeCompare(objectLabel(y)));
}

/** The object diff of every stack of either side that delivers objects through Helm, sorted by stack; stacks without object changes are left out. */
export function diffStackObjects(base: ReadonlyMap<string, SynthesizedJson>, head: ReadonlyMap<string, SynthesizedJson>): StackObjectDiff[] {
  const ids = [...new Set([...base.keys(), ...head.keys()])].sort();
  const out: StackObjectDiff[] = [];
  for (const stack of ids) {
    const b = base.get(stack);
    const h = head.get(stack);
    const changes = diffObjects(b ? helmReleaseObjects(b) : [], h ? helmReleaseObjects(h) : []);
    if (changes.length > 0) out.push({ stack, changes });
  }
  return out;
}
