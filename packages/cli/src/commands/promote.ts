import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { type EnvironmentConfig, loadEnvironments } from '@platform/config';
import { type Command } from 'commander';
import { isMap, isScalar, isSeq, LineCounter, parse, parseDocument, Scalar, type Document, type YAMLMap } from 'yaml';
import { EXIT, reportError, UsageError } from '../errors';

/**
 * `platform promote`: moves a release from one environment to the next wave's, Kargo-style but as a
 * reviewed one-line diff. It edits the target environment file in place: only the changed scalar's
 * bytes change (or one line is added), every comment and all formatting stay as they were.
 */
export interface PromoteOptions {
  /** The service to promote (omit with `all`). */
  readonly service?: string;
  readonly from: string;
  readonly to: string;
  /** Also promote the environment's GitOps `targetRevision` (the chart revision Argo CD deploys). */
  readonly chart?: boolean;
  /** Every service whose image tag differs. */
  readonly all?: boolean;
  /** Allow promoting into any later (or earlier) wave, not only the next one. */
  readonly force?: boolean;
  /** Folder of environment files. @default envs */
  readonly envDir?: string;
  readonly write?: (line: string) => void;
  readonly writeErr?: (line: string) => void;
}

/** One scalar to set in the target file. */
interface Change {
  readonly what: string;
  readonly path: ReadonlyArray<string | number>;
  readonly from: string | undefined;
  readonly to: string;
}

export const PROMOTE_EXIT_HELP = `
Exit codes:
  0  promoted: the target environment file was changed (the diff is printed)
  1  error: unknown environment or service, a skipped wave without --force, invalid files
  2  nothing to promote: the target already runs what the source runs`;

/** Promotes and returns the exit code: 0 changed, 2 nothing changed, 1 error. */
export function runPromote(options: PromoteOptions): number {
  const write = options.write ?? ((l: string) => process.stdout.write(`${l}\n`));
  const writeErr = options.writeErr ?? ((l: string) => process.stderr.write(`${l}\n`));
  try {
    const envs = loadEnvironments(options.envDir ?? 'envs');
    const from = pick(envs, options.from, '--from');
    const to = pick(envs, options.to, '--to');
    checkWaves(from, to, options.force === true);
    if (!options.all && !options.service) throw new UsageError('name the service to promote, or pass --all for every service');
    if (options.all && options.service) throw new UsageError(`pass either a service ("${options.service}") or --all, not both`);

    const file = path.join(options.envDir ?? 'envs', path.basename(to.file));
    const original = readFileSync(file, 'utf8');
    const changes: Change[] = [];
    const skipped: string[] = [];
    const services = options.all ? from.services.map((s) => s.name) : [options.service!];
    for (const name of services) {
      const source = from.services.find((s) => s.name === name);
      const target = to.services.findIndex((s) => s.name === name);
      if (!source) {
        throw new UsageError(`service "${name}" is not in ${from.file} — choose from ${from.services.map((s) => s.name).join(', ') || '(none)'}`);
      }
      if (target < 0) {
        if (options.all) {
          skipped.push(`${name}: not in ${to.file} (add it there first)`);
          continue;
        }
        throw new UsageError(`service "${name}" is not in ${to.file} — add it to ${to.file} first (promote moves releases, not services)`);
      }
      if (!source.imageTag) {
        if (options.all) {
          skipped.push(`${name}: no imageTag in ${from.file}`);
          continue;
        }
        throw new UsageError(`service "${name}" has no imageTag in ${from.file} — nothing to promote`);
      }
      const current = to.services[target]!.imageTag;
      if (current !== source.imageTag) {
        changes.push({ what: `${name} image`, path: ['services', target, 'imageTag'], from: current, to: source.imageTag });
      }
    }
    if (options.chart && from.gitops.targetRevision !== to.gitops.targetRevision) {
      changes.push({ what: 'chart revision', path: ['gitops', 'targetRevision'], from: to.gitops.targetRevision, to: from.gitops.targetRevision });
    }
    for (const s of skipped) write(`skipped ${s}`);
    if (changes.length === 0) {
      write(`nothing to promote: ${to.name} already runs what ${from.name} runs${options.chart ? ' (images and chart revision)' : ''}`);
      return EXIT.changes;
    }

    let text = original;
    for (const change of changes) text = applyChange(text, change, to.file);
    // The result must still be the same file with exactly these values changed.
    const after = parse(text) as Record<string, unknown>;
    for (const change of changes) {
      const got = change.path.reduce<unknown>((v, k) => (v as Record<string | number, unknown> | undefined)?.[k], after);
      if (got !== change.to) throw new Error(`promote: ${to.file} ${change.path.join('.')} reads ${String(got)} after the edit, expected ${change.to}`);
    }
    const tmp = path.join(path.dirname(file), `.${path.basename(file)}.promote-${process.pid}`);
    writeFileSync(tmp, text);
    renameSync(tmp, file);
    try {
      loadEnvironments(options.envDir ?? 'envs');
    } catch (err) {
      writeFileSync(file, original); // never leave an environment file the loader rejects
      throw err;
    }
    for (const c of changes) write(`promoted ${c.what} ${from.name} → ${to.name}: ${c.from ?? '(none)'} → ${c.to}`);
    for (const l of unifiedDiff(original, text, to.file)) write(l);
    return EXIT.ok;
  } catch (err) {
    return reportError(err, writeErr);
  }
}

function pick(envs: readonly EnvironmentConfig[], name: string, flag: string): EnvironmentConfig {
  const env = envs.find((e) => e.name === name);
  if (!env) throw new UsageError(`${flag} "${name}": no such environment — choose from ${envs.map((e) => e.name).join(', ')}`);
  return env;
}

/** Promotion goes to the next wave; anything else (same wave, skipping one, backwards) needs --force. */
function checkWaves(from: EnvironmentConfig, to: EnvironmentConfig, force: boolean): void {
  if (from.name === to.name) throw new UsageError(`--from and --to are both "${from.name}" — promote into another environment`);
  const a = from.promotion.wave;
  const b = to.promotion.wave;
  if (b === a + 1 || force) return;
  const why = b <= a ? `is not after ${from.name}'s wave ${a}` : `skips wave${b - a > 2 ? 's' : ''} ${Array.from({ length: b - a - 1 }, (_, i) => a + i + 1).join(', ')}`;
  throw new UsageError(`${to.name} (wave ${b}) ${why} — promote one wave at a time (from wave ${a} to wave ${a + 1}), or pass --force`);
}

/**
 * Sets one scalar in the YAML text. The yaml Document API finds the node and its byte range; only
 * those bytes are replaced (in the node's own quoting style), so nothing else moves. A missing key is
 * added as one line under its mapping, indented like its siblings.
 */
function applyChange(text: string, change: Change, file: string): string {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, keepSourceTokens: true });
  const node = doc.getIn(change.path, true);
  if (isScalar(node) && node.range) {
    const [start, end] = node.range;
    return text.slice(0, start) + renderScalar(change.to, node.type) + text.slice(end);
  }
  if (node !== undefined) throw new UsageError(`${file}: ${change.path.join('.')} is not a plain value — edit it by hand`);
  const key = String(change.path.at(-1));
  const parent = ensureParent(doc, change.path.slice(0, -1));
  if (!parent) {
    // No mapping for it in this file (the value came from the base): add the section at the end.
    const section = change.path.slice(0, -1);
    if (section.length !== 1) throw new UsageError(`${file}: cannot place ${change.path.join('.')} — edit it by hand`);
    const sep = text.endsWith('\n') ? '' : '\n';
    return `${text}${sep}${String(section[0])}:\n  ${key}: ${renderScalar(change.to, Scalar.PLAIN)}\n`;
  }
  const first = parent.items[0];
  const keyNode = first?.key as { range?: [number, number, number] } | undefined;
  if (!keyNode?.range) throw new UsageError(`${file}: cannot place ${change.path.join('.')} — edit it by hand`);
  const { col } = lines.linePos(keyNode.range[0]);
  const all = text.split('\n');
  // Insert after the first pair's line (for `- name: x` items, after the name line).
  const valueEnd = (first!.value as { range?: [number, number, number] } | undefined)?.range?.[1] ?? keyNode.range[1];
  const afterLine = lines.linePos(Math.max(valueEnd - 1, keyNode.range[0])).line;
  all.splice(afterLine, 0, `${' '.repeat(col - 1)}${key}: ${renderScalar(change.to, Scalar.PLAIN)}`);
  return all.join('\n');
}

function ensureParent(doc: Document, keys: ReadonlyArray<string | number>): YAMLMap | undefined {
  const node = keys.length === 0 ? doc.contents : doc.getIn(keys, true);
  if (isMap(node) && node.items.length > 0) return node;
  if (isSeq(node)) return undefined;
  return undefined;
}

/** The scalar as YAML in the given style; plain only when it reads back as the same string. */
function renderScalar(value: string, type: Scalar.Type | undefined): string {
  if (type === Scalar.QUOTE_SINGLE) return `'${value.replace(/'/g, "''")}'`;
  const plainIsString = (() => {
    try {
      return parse(value) === value && !/[:#]/.test(value);
    } catch {
      return false;
    }
  })();
  if ((type === Scalar.PLAIN || type === undefined) && plainIsString) return value;
  return JSON.stringify(value);
}

/** A unified diff of two texts (line-based LCS, 2 lines of context), headed with the file name. */
export function unifiedDiff(before: string, after: string, file: string, context = 2): string[] {
  const a = before.split('\n');
  const b = after.split('\n');
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  type Op = { kind: ' ' | '-' | '+'; text: string; ai: number; bi: number };
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) ops.push({ kind: ' ', text: a[i]!, ai: i++, bi: j++ });
    else if (i < n && (j >= m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) ops.push({ kind: '-', text: a[i]!, ai: i++, bi: j });
    else ops.push({ kind: '+', text: b[j]!, ai: i, bi: j++ });
  }
  const out = [`--- a/${file}`, `+++ b/${file}`];
  let k = 0;
  while (k < ops.length) {
    if (ops[k]!.kind === ' ') {
      k++;
      continue;
    }
    const start = Math.max(0, k - context);
    let end = k;
    while (end < ops.length) {
      if (ops[end]!.kind !== ' ') {
        end++;
        continue;
      }
      let run = 0;
      while (end + run < ops.length && ops[end + run]!.kind === ' ') run++;
      if (end + run >= ops.length || run > context * 2) {
        end = Math.min(ops.length, end + context);
        break;
      }
      end += run;
    }
    const hunk = ops.slice(start, end);
    const aLen = hunk.filter((o) => o.kind !== '+').length;
    const bLen = hunk.filter((o) => o.kind !== '-').length;
    out.push(`@@ -${hunk[0]!.ai + 1},${aLen} +${hunk[0]!.bi + 1},${bLen} @@`);
    for (const o of hunk) out.push(`${o.kind}${o.text}`);
    k = end;
  }
  return out;
}

export function registerPromote(program: Command): void {
  program
    .command('promote')
    .description("Promote a service's image tag (and with --chart the GitOps targetRevision) from one environment to the next wave's, editing its env file in place.")
    .argument('[service]', 'service to promote (or --all)')
    .requiredOption('--from <env>', 'environment to promote from')
    .requiredOption('--to <env>', 'environment to promote into (the next wave)')
    .option('--chart', "also promote gitops.targetRevision (the chart revision Argo CD deploys)")
    .option('--all', 'every service whose image tag differs')
    .option('--force', 'allow a target that is not in the next wave')
    .option('--env-dir <dir>', 'folder of environment files', 'envs')
    .addHelpText('after', PROMOTE_EXIT_HELP)
    .action((service: string | undefined, opts: { from: string; to: string; chart?: boolean; all?: boolean; force?: boolean; envDir: string }) => {
      process.exitCode = runPromote({ service, ...opts });
    });
}
