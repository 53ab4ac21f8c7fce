import { parse } from 'yaml';
import { code, escapeText } from './markdown';

/**
 * The object view of Helm-delivered Kubernetes objects: what a `helm_release` of a synthesized stack
 * will put into the cluster, read from the release's `values` without a cluster or a chart render.
 *
 * A release whose values hold an `objects:` list of complete manifests (charts/platform-objects renders
 * each entry with `toYaml`, nothing else) delivers exactly those objects. An Argo CD ApplicationSet
 * with list generators delivers one Application per element; those are expanded here (the template's
 * `{{ .key }}` and `{{ toJson .key }}` substitutions), so a change to one service shows as a change to
 * its Application. Any other release (an upstream chart) is shown as one `HelmRelease` object whose
 * fields are its chart, version and values.
 */

/** One Kubernetes object a Helm release delivers. */
export interface DeliveredObject {
  /** `helm_release.<name>` of the release that installs it. */
  readonly release: string;
  readonly apiVersion: string;
  readonly kind: string;
  /** Absent for cluster-scoped objects. */
  readonly namespace?: string;
  readonly name: string;
  /** `ApplicationSet <ns>/<name>` for an Application generated from a list element. */
  readonly generatedBy?: string;
  /** True for an ApplicationSet whose list elements were expanded into Applications (they are diffed there). */
  readonly generates?: boolean;
  /** The whole manifest. */
  readonly manifest: Readonly<Record<string, unknown>>;
}

/** A changed leaf of an object; `old`/`new` are short renderings (masked when secret-looking), absent when the field is added/removed. */
export interface FieldChange {
  /** Field path, e.g. `spec.source.helm.values.image.tag`, `spec.data[secretKey=DATABASE_URL].remoteRef.key`. */
  readonly path: string;
  readonly old?: string;
  readonly new?: string;
  /** True when the values are withheld because the field looks like it holds a secret. */
  readonly masked?: boolean;
}

export type ObjectAction = 'added' | 'removed' | 'changed';

/** One object added, removed or changed between two synths of a stack. */
export interface ObjectChange {
  readonly action: ObjectAction;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly apiVersion: string;
  /** `helm_release.<name>` that delivers it. */
  readonly release: string;
  readonly generatedBy?: string;
  /** Changed leaves (for `changed`; for `added`/`removed` objects, empty). */
  readonly fields: readonly FieldChange[];
  /** What removing it does in the cluster, when that is not simply "deleted" (kept by Helm, cascades). */
  readonly note?: string;
}

/** What removing an object does beyond deleting it, read from its manifest. */
export function removalNote(manifest: Readonly<Record<string, unknown>>): string | undefined {
  const metadata = isRecord(manifest.metadata) ? manifest.metadata : {};
  const annotations = isRecord(metadata.annotations) ? metadata.annotations : {};
  if (annotations['helm.sh/resource-policy'] === 'keep') return 'Helm keeps it in the cluster (helm.sh/resource-policy: keep)';
  const finalizers = Array.isArray(metadata.finalizers) ? metadata.finalizers : [];
  if (manifest.kind === 'Application' && finalizers.includes('resources-finalizer.argocd.argoproj.io')) {
    return 'Argo CD deletes everything this Application deployed (resources-finalizer)';
  }
  if (manifest.kind === 'Application') return 'what it deployed keeps running, orphaned (no resources finalizer): delete it deliberately';
  const spec = isRecord(manifest.spec) ? manifest.spec : {};
  const target = isRecord(spec.target) ? spec.target : {};
  if (manifest.kind === 'ExternalSecret' && (target.creationPolicy ?? 'Owner') === 'Owner') {
    return `its Secret ${typeof target.name === 'string' ? target.name : String(metadata.name)} is deleted too (creationPolicy: Owner)`;
  }
  return undefined;
}

/** The object diff of one stack. */
export interface StackObjectDiff {
  readonly stack: string;
  readonly changes: readonly ObjectChange[];
}

type Json = Readonly<Record<string, unknown>>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `Kind namespace/name` (or `Kind name` for a cluster-scoped object). */
export function objectLabel(o: { readonly kind: string; readonly namespace?: string; readonly name: string }): string {
  return `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`;
}

/** Identity of an object in a cluster (apiVersion changes are field changes, not new objects). */
export function objectKey(o: { readonly kind: string; readonly namespace?: string; readonly name: string }): string {
  return `${o.kind}\u0000${o.namespace ?? ''}\u0000${o.name}`;
}

/** Parses a release's `values` entries (YAML strings) into one mapping; later documents win key by key at the top. */
function releaseValues(values: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!Array.isArray(values)) return out;
  for (const text of values) {
    if (typeof text !== 'string') continue;
    let doc: unknown;
    try {
      doc = parse(text);
    } catch {
      continue; // not YAML (a Terraform expression): nothing to read offline
    }
    if (isRecord(doc)) Object.assign(out, doc);
  }
  return out;
}

function asManifest(value: unknown): { apiVersion: string; kind: string; name: string; namespace?: string } | undefined {
  if (!isRecord(value) || typeof value.kind !== 'string' || !isRecord(value.metadata) || typeof value.metadata.name !== 'string') return undefined;
  const namespace = typeof value.metadata.namespace === 'string' ? value.metadata.namespace : undefined;
  return { apiVersion: typeof value.apiVersion === 'string' ? value.apiVersion : '', kind: value.kind, name: value.metadata.name, ...(namespace ? { namespace } : {}) };
}

/**
 * The objects every `helm_release` of a synthesized stack delivers, in a stable order: by release
 * address, then the release's own order (the install order of the objects chart), generated
 * Applications right after their ApplicationSet.
 */
export function helmReleaseObjects(stack: Json): DeliveredObject[] {
  const releases = (isRecord(stack.resource) && isRecord(stack.resource.helm_release) ? stack.resource.helm_release : {}) as Record<string, unknown>;
  const out: DeliveredObject[] = [];
  for (const name of Object.keys(releases).sort()) {
    const release = releases[name];
    if (!isRecord(release)) continue;
    const address = `helm_release.${name}`;
    const values = releaseValues(release.values);
    const objects = Array.isArray(values.objects) ? values.objects.filter((o) => asManifest(o) !== undefined) : [];
    if (objects.length === 0) {
      out.push(releaseObject(address, release, values));
      continue;
    }
    for (const manifest of objects as Array<Record<string, unknown>>) {
      const id = asManifest(manifest)!;
      const generated = id.kind === 'ApplicationSet' ? generatedApplications(address, manifest, id) : [];
      out.push({ release: address, ...id, ...(generated.length > 0 ? { generates: true } : {}), manifest }, ...generated);
    }
  }
  return out;
}

/** An upstream chart's release as one object: what it installs is the chart's business, its inputs are ours. */
function releaseObject(address: string, release: Record<string, unknown>, values: Record<string, unknown>): DeliveredObject {
  const name = typeof release.name === 'string' ? release.name : address;
  const namespace = typeof release.namespace === 'string' ? release.namespace : 'default';
  const manifest: Record<string, unknown> = {
    chart: release.chart,
    ...(release.repository !== undefined ? { repository: release.repository } : {}),
    version: release.version,
    values,
  };
  if (Array.isArray(release.set_sensitive)) manifest.set_sensitive = release.set_sensitive.map((s: unknown) => (isRecord(s) ? { name: s.name, value: s.value } : s));
  return { release: address, apiVersion: 'helm.sh/v3', kind: 'HelmRelease', namespace, name, manifest };
}

const WHOLE_JSON = /^\{\{\s*toJson\s+\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$/;
const FIELD = /\{\{\s*\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

class Unrenderable extends Error {}

/** Renders a goTemplate Application template for one list element (only `.key` and `toJson .key`). */
function renderTemplate(value: unknown, element: Record<string, unknown>): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE_JSON.exec(value);
    // Argo CD writes a JSON string here; the object diff reads it as the structure it encodes.
    if (whole) {
      if (!(whole[1]! in element)) throw new Unrenderable();
      return element[whole[1]!];
    }
    const out = value.replace(FIELD, (_, key: string) => {
      const v = element[key];
      if (v === undefined || (v !== null && typeof v === 'object')) throw new Unrenderable();
      return String(v);
    });
    if (out.includes('{{')) throw new Unrenderable();
    return out;
  }
  if (Array.isArray(value)) return value.map((v) => renderTemplate(v, element));
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderTemplate(v, element)]));
  return value;
}

function generatedApplications(release: string, appSet: Record<string, unknown>, id: { name: string; namespace?: string }): DeliveredObject[] {
  const spec = appSet.spec;
  if (!isRecord(spec) || !isRecord(spec.template) || !Array.isArray(spec.generators)) return [];
  if (!spec.generators.every((g) => isRecord(g) && Object.keys(g).length === 1 && isRecord(g.list) && Array.isArray(g.list.elements))) return [];
  const by = objectLabel({ kind: 'ApplicationSet', ...id });
  const out: DeliveredObject[] = [];
  for (const generator of spec.generators as Array<{ list: { elements: unknown[] } }>) {
    for (const element of generator.list.elements) {
      if (!isRecord(element)) return [];
      let rendered: unknown;
      try {
        rendered = renderTemplate(spec.template, element);
      } catch (err) {
        if (err instanceof Unrenderable) return [];
        throw err;
      }
      if (!isRecord(rendered) || !isRecord(rendered.metadata) || typeof rendered.metadata.name !== 'string') return [];
      const manifest = {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { ...rendered.metadata, ...(id.namespace ? { namespace: id.namespace } : {}) },
        spec: rendered.spec,
      };
      out.push({ release, apiVersion: manifest.apiVersion, kind: 'Application', name: rendered.metadata.name, ...(id.namespace ? { namespace: id.namespace } : {}), generatedBy: by, manifest });
    }
  }
  return out;
}

/** Whether a manifest field is represented elsewhere: an ApplicationSet's list elements are its generated Applications. */
export function isGeneratedSource(o: Pick<DeliveredObject, 'kind' | 'generates'>, path: readonly (string | number)[]): boolean {
  return o.generates === true && path[0] === 'spec' && path[1] === 'generators' && path[3] === 'list' && path[4] === 'elements';
}

const ACTION_MARK: Readonly<Record<ObjectAction, string>> = { added: '+', removed: '-', changed: '~' };
/** In Markdown a leading `-`/`+` would start a nested list. */
const ACTION_BADGE: Readonly<Record<ObjectAction, string>> = { added: '➕', removed: '➖', changed: '✏️' };

/** Plain-text lines of one stack's object diff (for `platform affected`). */
export function formatObjectChanges(changes: readonly ObjectChange[], indent = '      '): string[] {
  const lines: string[] = [];
  for (const c of changes) {
    const from = c.generatedBy ? ` (from ${c.generatedBy})` : '';
    lines.push(`${indent}${ACTION_MARK[c.action]} ${objectLabel(c)}${from}${c.note ? ` — ${c.note}` : ''}`);
    for (const f of c.fields) lines.push(`${indent}    ${f.path}: ${fieldText(f)}`);
  }
  return lines;
}

function fieldText(f: FieldChange): string {
  if (f.masked) return f.old === undefined ? '(added, value masked)' : f.new === undefined ? '(removed, value masked)' : '(changed, value masked)';
  if (f.old === undefined) return `(added) ${f.new}`;
  if (f.new === undefined) return `(removed, was ${f.old})`;
  return `${f.old} → ${f.new}`;
}

/** Counts of an object diff, e.g. `1 added, 2 changed`. */
export function objectCounts(changes: readonly ObjectChange[]): string {
  const n = (a: ObjectAction) => changes.filter((c) => c.action === a).length;
  return (['added', 'changed', 'removed'] as const)
    .filter((a) => n(a) > 0)
    .map((a) => `${n(a)} ${a}`)
    .join(', ');
}

/**
 * Markdown for a pull-request comment: one section per stack with a table of objects, and the changed
 * fields of each changed object as a list. Object and field text goes into code spans.
 */
export function renderObjectDiff(stacks: readonly StackObjectDiff[]): string {
  const withChanges = [...stacks].filter((s) => s.changes.length > 0).sort((a, b) => a.stack.localeCompare(b.stack));
  if (withChanges.length === 0) return '';
  const parts = [
    '### Kubernetes objects (offline, from the synth)',
    '_What Helm and Argo CD will apply, compared object by object between the base and this change without a cluster; secret-looking values are masked._',
  ];
  for (const s of withChanges) {
    parts.push(`#### ${code(s.stack)} — ${escapeText(objectCounts(s.changes))}`);
    const lines: string[] = [];
    for (const c of s.changes) {
      const from = c.generatedBy ? ` _(from ${code(c.generatedBy)})_` : '';
      lines.push(`- ${ACTION_BADGE[c.action]} **${escapeText(c.action)}** ${code(objectLabel(c))}${from}${c.note ? ` — ${escapeText(c.note)}` : ''}`);
      for (const f of c.fields) lines.push(`  - ${code(f.path)}: ${fieldMarkdown(f)}`);
    }
    parts.push(lines.join('\n'));
  }
  return parts.join('\n\n');
}

function fieldMarkdown(f: FieldChange): string {
  if (f.masked) return f.old === undefined ? '_added (value masked)_' : f.new === undefined ? '_removed (value masked)_' : '_changed (value masked)_';
  if (f.old === undefined) return `_added_ ${code(f.new ?? '')}`;
  if (f.new === undefined) return `_removed_ (was ${code(f.old)})`;
  return `${code(f.old)} → ${code(f.new)}`;
}
