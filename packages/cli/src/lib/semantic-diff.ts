/**
 * Compares two synthesized outputs (`cdktf.out`) stack by stack, by meaning rather than by text:
 * key order and cdktf's `//` metadata (construct paths, unique ids, stack metadata) do not count.
 */

/** A synthesized stack: its id and its parsed `cdk.tf.json`. */
export type SynthesizedJson = Readonly<Record<string, unknown>>;

export type StackStatus = 'added' | 'removed' | 'changed' | 'unchanged';

/** How one stack differs between the base and the head. */
export interface StackDiff {
  readonly stack: string;
  readonly status: StackStatus;
  /** Block addresses only in the head, e.g. `aws_iam_role.payments_Role_1A2B3C4D`, `output.payments_fqdn`. */
  readonly added: readonly string[];
  /** Block addresses only in the base. */
  readonly removed: readonly string[];
  /** Block addresses in both whose content differs. */
  readonly changed: readonly string[];
}

/**
 * Resources of one type that disappear from a stack while others of the same type appear: unless a
 * `moved` block says they are the same object, Terraform destroys the old and creates the new.
 */
export interface SuspectedRefactor {
  readonly stack: string;
  readonly type: string;
  /** Resource addresses that disappear (`<type>.<name>`). */
  readonly removed: readonly string[];
  /** Resource addresses that appear. */
  readonly added: readonly string[];
}

export interface SemanticDiff {
  /** Every stack of either side, sorted by id. */
  readonly stacks: readonly StackDiff[];
  /** Stacks to plan: added or changed, sorted. */
  readonly affected: readonly string[];
  readonly refactors: readonly SuspectedRefactor[];
}

/** Drops `//` keys at every depth and sorts object keys, so equal meaning gives equal JSON. */
export function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalize);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      if (key === '//') continue;
      out[key] = normalize((value as Record<string, unknown>)[key]);
    }
    return out;
  }
  return value;
}

/** True when two synthesized documents mean the same Terraform configuration. */
export function semanticallyEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(normalize(a)) === JSON.stringify(normalize(b));
}

/**
 * How deep a top-level block's addresses go: `resource.<type>.<name>` and `data.<type>.<name>` are
 * two levels, `output.<name>`, `provider.<type>`, `terraform.<setting>` one.
 */
const ADDRESS_DEPTH: Readonly<Record<string, number>> = { resource: 2, data: 2, output: 1, variable: 1, module: 1, provider: 1, terraform: 1, locals: 1 };

/** Splits a synthesized stack into addressable blocks: address → normalized JSON text. */
export function addressBlocks(doc: SynthesizedJson): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const [kind, body] of Object.entries(doc)) {
    if (kind === '//') continue;
    const depth = ADDRESS_DEPTH[kind] ?? 0;
    collect(kind === 'resource' ? [] : [kind], body, depth, blocks);
  }
  return blocks;
}

function collect(prefix: string[], body: unknown, depth: number, into: Map<string, string>): void {
  if (depth === 0 || body === null || typeof body !== 'object' || Array.isArray(body)) {
    into.set(prefix.join('.') || '(root)', JSON.stringify(normalize(body)));
    return;
  }
  for (const [key, value] of Object.entries(body)) {
    if (key === '//') continue;
    collect([...prefix, key], value, depth - 1, into);
  }
}

/** Compares one stack's two sides; either may be missing (a stack added or removed). */
export function diffStack(stack: string, base: SynthesizedJson | undefined, head: SynthesizedJson | undefined): StackDiff {
  const before = base ? addressBlocks(base) : new Map<string, string>();
  const after = head ? addressBlocks(head) : new Map<string, string>();
  const added = [...after.keys()].filter((a) => !before.has(a)).sort();
  const removed = [...before.keys()].filter((a) => !after.has(a)).sort();
  const changed = [...after.keys()].filter((a) => before.has(a) && before.get(a) !== after.get(a)).sort();
  const status: StackStatus = !base ? 'added' : !head ? 'removed' : added.length + removed.length + changed.length > 0 ? 'changed' : 'unchanged';
  return { stack, status, added, removed, changed };
}

/** The `from`/`to` pairs of a stack's `moved` blocks (what cdktf's `moveTo`/`moveFromId` synthesize). */
export function movedPairs(doc: SynthesizedJson | undefined): Array<{ from: string; to: string }> {
  const moved = doc?.moved;
  if (!Array.isArray(moved)) return [];
  return moved
    .filter((m): m is { from: string; to: string } => typeof m === 'object' && m !== null && typeof m.from === 'string' && typeof m.to === 'string')
    .map((m) => ({ from: m.from, to: m.to }));
}

/** Resources of one type removed while others of that type are added, minus pairs a `moved` block covers. */
export function suspectedRefactors(diff: StackDiff, head: SynthesizedJson | undefined): SuspectedRefactor[] {
  if (diff.status !== 'changed') return [];
  const moved = movedPairs(head);
  const movedFrom = new Set(moved.map((m) => m.from));
  const movedTo = new Set(moved.map((m) => m.to));
  const isResource = (address: string): boolean => !/^(data|output|variable|module|provider|terraform|locals)\./.test(address) && address.includes('.');
  const typeOf = (address: string): string => address.slice(0, address.indexOf('.'));
  const removed = diff.removed.filter((a) => isResource(a) && !movedFrom.has(a));
  const added = diff.added.filter((a) => isResource(a) && !movedTo.has(a));
  const out: SuspectedRefactor[] = [];
  for (const type of [...new Set(removed.map(typeOf))].sort()) {
    const appearing = added.filter((a) => typeOf(a) === type);
    if (appearing.length === 0) continue;
    out.push({ stack: diff.stack, type, removed: removed.filter((a) => typeOf(a) === type), added: appearing });
  }
  return out;
}

/** Compares every stack of two synthesized outputs. */
export function diffSynthesized(base: ReadonlyMap<string, SynthesizedJson>, head: ReadonlyMap<string, SynthesizedJson>): SemanticDiff {
  const ids = [...new Set([...base.keys(), ...head.keys()])].sort();
  const stacks = ids.map((id) => diffStack(id, base.get(id), head.get(id)));
  return {
    stacks,
    affected: stacks.filter((s) => s.status === 'added' || s.status === 'changed').map((s) => s.stack),
    refactors: stacks.flatMap((s) => suspectedRefactors(s, head.get(s.stack))),
  };
}

/** What to do about a suspected refactor. */
export const MOVED_FIX =
  'If this renames or moves a construct, add a moved block in the same change: in cdktf call `moveFromId("<old address>")` on the new resource ' +
  '(or `addMoveTarget`/`moveTo`), which synthesizes `moved { from = <old address> to = <new address> }`; otherwise the old object is destroyed.';

/** One line for a suspected refactor: what disappears, what appears, and the consequence. */
export function describeRefactor(r: SuspectedRefactor): string {
  const gone = r.removed.join(', ');
  const fresh = r.added.join(', ');
  return `${r.stack}: ${gone} disappear${r.removed.length === 1 ? 's' : ''} while ${fresh} appear${r.added.length === 1 ? 's' : ''} — Terraform will destroy and recreate`;
}
