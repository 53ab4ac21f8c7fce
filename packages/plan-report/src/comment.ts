import { checkMaxChars, DEFAULT_MAX_CHARS, type Droppable, fitToLength } from './fit';
import { type GuardFinding, type GuardReport } from './guard';
import { renderObjectDiff, type StackObjectDiff } from './objects';
import { code, commentMarker, escapeText, table } from './markdown';
import { byAddress, sortBy } from './order';
import { changeBlock, driftBlock, outputsTable } from './resource-block';
import { type PlanStatus, type PlanSummary, changeKind, isDestructive, isMoved, planStatus, summarize } from './summary';
import { type ResourceChange, type StackPlan } from './types';

export interface CommentOptions {
  /** Heading of the comment; its slug is in the hidden marker. Default "Terraform plan". */
  readonly title?: string;
  /** Maximum length of the comment, 1,000 to 65,535 (GitHub rejects 65,536 and more). Default 60,000. */
  readonly maxChars?: number;
  /** Where the full plan is, for the truncation note (Markdown). Default "the full plan is in the workflow artifact". */
  readonly artifactHint?: string;
  /**
   * The destroy guard's verdicts on these plans: listed right after the summary, and each stack's
   * guarded destroys and replaces come first in its section, with their verdict.
   */
  readonly guard?: GuardReport & { readonly ackFile: string };
  /** The offline Kubernetes object diff (from `platform affected --json`): a section per stack after the plans. */
  readonly objects?: readonly StackObjectDiff[];
}

export const DEFAULT_TITLE = 'Terraform plan';
const DEFAULT_ARTIFACT_HINT = 'the full plan is in the workflow artifact';

/** Groups of a stack's section, in document order; lower priorities are left out first when the comment is too long. */
type Group = 'destroy' | 'change' | 'drift' | 'outputs';
const PRIORITY: Readonly<Record<Group, number>> = { drift: 0, outputs: 1, change: 2, destroy: 3 };

interface Block extends Droppable {
  readonly group: Group;
  readonly text: string;
  /** How many resources the block shows (0 for the outputs table). */
  readonly resources: number;
}

interface Section {
  readonly stack: string;
  readonly summary: PlanSummary;
  readonly moved: number;
  readonly imported: number;
  readonly blocks: readonly Block[];
}

/**
 * Renders one pull-request comment covering several stacks' plans: a hidden marker, a summary
 * table, and per stack the destroys and replaces first, then other changes, drift and outputs.
 * Sensitive values are never printed. When the comment would exceed `maxChars`, resource blocks
 * are left out (drift first, then outputs, then other changes, destroys last; each from the end)
 * and a note says how many and where the full plan is.
 */
export function renderComment(stacks: readonly StackPlan[], options: CommentOptions = {}): string {
  const title = options.title ?? DEFAULT_TITLE;
  const maxChars = checkMaxChars(options.maxChars ?? DEFAULT_MAX_CHARS);
  const hint = (options.artifactHint ?? DEFAULT_ARTIFACT_HINT).replace(/\s+/g, ' ').trim();
  const sorted = sortBy(stacks, (entry) => entry.stack);

  let nextId = 0;
  const sections = sorted.map((entry): Section => {
    const blocks: Block[] = [];
    const add = (group: Group, text: string, resources: number): void => {
      blocks.push({ id: nextId++, priority: PRIORITY[group], group, text, resources });
    };
    const shown = entry.plan.resourceChanges.filter(isShown);
    const destroys = shown.filter((resource) => isDestructive(changeKind(resource.change.actions)));
    const others = shown.filter((resource) => !isDestructive(changeKind(resource.change.actions)));
    const guarded = new Map((options.guard?.findings ?? []).filter((f) => f.stack === entry.stack).map((f) => [f.address, f]));
    // Stateful destroys first (blocked, then acknowledged, then allowed), each with the guard's verdict.
    const rank = (address: string): number => ({ blocked: 0, acknowledged: 1, allowed: 2 })[guarded.get(address)?.verdict ?? 'allowed'] + (guarded.has(address) ? 0 : 3);
    const ordered = byAddress(destroys).map((resource, i) => ({ resource, i })).sort((a, b) => rank(a.resource.address) - rank(b.resource.address) || a.i - b.i);
    for (const { resource } of ordered) {
      const finding = guarded.get(resource.address);
      add('destroy', finding ? `${verdictLine(finding, options.guard!.ackFile)}\n\n${changeBlock(resource)}` : changeBlock(resource), 1);
    }
    for (const resource of byAddress(others)) add('change', changeBlock(resource), 1);
    for (const resource of byAddress(entry.plan.resourceDrift)) add('drift', driftBlock(resource), 1);
    const outputs = outputsTable(entry.plan.outputChanges);
    if (outputs !== '') add('outputs', outputs, 0);
    const imported = entry.plan.resourceChanges.filter((resource) => resource.change.importingId !== undefined).length;
    return { stack: entry.stack, summary: summarize(entry.plan), moved: entry.plan.resourceChanges.filter(isMoved).length, imported, blocks };
  });

  const guardSection = options.guard && options.guard.findings.length > 0 ? guardSummary(options.guard) : '';
  const head = [commentMarker(title), `## ${escapeText(title)}`, summaryTable(sorted), guardSection].filter((p) => p !== '').join('\n\n');
  const objectSection = capObjects(renderObjectDiff(options.objects ?? []), Math.floor(maxChars / 3));
  const allBlocks = sections.flatMap((section) => section.blocks);
  const totalResources = allBlocks.reduce((sum, block) => sum + block.resources, 0);

  const render = (dropped: ReadonlySet<number>): string => {
    const parts = [head, ...sections.map((section) => renderSection(section, dropped)).filter((part) => part !== '')];
    if (sections.every((section) => section.blocks.length === 0)) parts.push(sections.length === 0 && objectSection !== '' ? '' : 'No changes in any stack.');
    if (objectSection !== '') parts.push(objectSection);
    if (dropped.size > 0) parts.push(truncationNote(allBlocks.filter((block) => dropped.has(block.id)), hint));
    return `${parts.filter((p) => p !== '').join('\n\n')}\n`;
  };
  const cutNote = `> … truncated: the comment is too long even without resource details (${totalResources} resources not shown); ${hint}`;
  return fitToLength(allBlocks, render, maxChars, cutNote).text;
}

const VERDICT_BADGE: Readonly<Record<GuardFinding['verdict'], string>> = { blocked: '⛔ **Destroy guard: BLOCKED**', acknowledged: '✅ **Destroy guard: acknowledged**', allowed: 'ℹ️ **Destroy guard: allowed**' };

function verdictLine(f: GuardFinding, ackFile: string): string {
  if (f.verdict === 'allowed') return `${VERDICT_BADGE.allowed} — ${escapeText(f.tier)} tier`;
  if (f.verdict === 'acknowledged') return `${VERDICT_BADGE.acknowledged} in ${code(f.ack!.source)}: ${escapeText(f.ack!.reason)}`;
  const tier = f.tier === 'unknown' ? `no environment file for ${code(f.environment)} (treated as production)` : `${escapeText(f.tier)} tier`;
  return `${VERDICT_BADGE.blocked} — ${tier}, not acknowledged: the apply fails unless ${code(ackFile)} names ${code(f.address)} of ${code(f.stack)} with a reason`;
}

/** The guard's findings as a table right after the summary: what fails the apply, and how to acknowledge it. */
function guardSummary(guard: GuardReport & { readonly ackFile: string }): string {
  const blocked = guard.findings.filter((f) => f.verdict === 'blocked').length;
  const heading = blocked > 0 ? `### ⛔ Destroy guard: ${plural(blocked, 'stateful resource')} blocked` : '### Destroy guard: nothing blocked';
  const rows = guard.findings.map((f) => [f.verdict === 'blocked' ? '⛔ blocked' : f.verdict === 'acknowledged' ? '✅ acknowledged' : 'ℹ️ allowed', code(f.stack), code(f.address), f.action === 'delete' ? 'destroy' : 'replace', f.tier]);
  const note =
    blocked > 0
      ? `_The apply of a production-tier environment fails on these unless ${code(guard.ackFile)} in this pull request names each one (\`stack\`, \`address\`, \`reason\` of 20+ characters; docs/pr-flow.md, "Destroy guard")._`
      : '';
  return [heading, table(['verdict', 'stack', 'address', 'action', 'tier'], rows), note].filter((p) => p !== '').join('\n\n');
}

/** The object section, cut at a line break with a note when it would take more than its share of the comment. */
function capObjects(markdown: string, budget: number): string {
  if (markdown.length <= budget) return markdown;
  const cut = markdown.lastIndexOf('\n', budget);
  return `${markdown.slice(0, cut > 0 ? cut : budget)}\n\n_… more Kubernetes object changes not shown: the comment is too long; run \`platform affected\` for all of them._`;
}

/** Resources worth a block: anything but a plain no-op. */
function isShown(resource: ResourceChange): boolean {
  return changeKind(resource.change.actions) !== 'no-op' || isMoved(resource) || resource.change.importingId !== undefined;
}

const STATUS_TEXT: Readonly<Record<PlanStatus, string>> = {
  'no changes': '✅ no changes',
  changes: '📝 changes',
  destroys: '⚠️ destroys',
};

function summaryTable(stacks: readonly StackPlan[]): string {
  const rows = stacks.map(({ stack, plan }) => ({ name: code(stack), summary: summarize(plan), drift: plan.resourceDrift.length, status: planStatus(plan) }));
  const showRead = rows.some((row) => row.summary.read > 0);
  const showForget = rows.some((row) => row.summary.forget > 0);
  const showDrift = rows.some((row) => row.drift > 0);
  const header = ['stack', 'create', 'update', 'replace', 'delete', 'no-op'];
  if (showRead) header.push('read');
  if (showForget) header.push('forget');
  if (showDrift) header.push('drifted');
  header.push('status');

  const line = (name: string, s: PlanSummary, drift: number, status: string): string[] => {
    const cells = [name, s.create, s.update, s.replace, s.delete, s.noOp].map(String);
    if (showRead) cells.push(String(s.read));
    if (showForget) cells.push(String(s.forget));
    if (showDrift) cells.push(String(drift));
    return [...cells, status];
  };
  const lines = rows.map((row) => line(row.name, row.summary, row.drift, STATUS_TEXT[row.status]));
  if (rows.length > 1) {
    const sum = (pick: (s: PlanSummary) => number): number => rows.reduce((total, row) => total + pick(row.summary), 0);
    const total: PlanSummary = {
      create: sum((s) => s.create),
      update: sum((s) => s.update),
      replace: sum((s) => s.replace),
      delete: sum((s) => s.delete),
      noOp: sum((s) => s.noOp),
      read: sum((s) => s.read),
      forget: sum((s) => s.forget),
    };
    const worst = rows.some((row) => row.status === 'destroys') ? 'destroys' : rows.some((row) => row.status === 'changes') ? 'changes' : 'no changes';
    lines.push(line('**total**', total, rows.reduce((n, row) => n + row.drift, 0), STATUS_TEXT[worst]));
  }
  if (rows.length === 0) return '_No stacks were planned._';
  const align = header.map((name) => (name === 'stack' || name === 'status' ? 'left' : 'right'));
  return table(header, lines, align);
}

const GROUP_HEADING: Readonly<Record<Group, (count: number, hasDestroys: boolean) => string>> = {
  destroy: (count) => `#### ⚠️ Destroyed or replaced (${count})`,
  change: (count, hasDestroys) => `#### ${hasDestroys ? 'Other changes' : 'Changes'} (${count})`,
  drift: (count) =>
    `#### Changed outside Terraform (${count})\n\n_Found while refreshing: these objects no longer match the Terraform state. They are not actions of this plan, but the plan may undo them._`,
  outputs: () => '#### Outputs',
};

function renderSection(section: Section, dropped: ReadonlySet<number>): string {
  if (section.blocks.length === 0) return '';
  const parts = [`### ${code(section.stack)}`, planLine(section)];
  const hasDestroys = section.blocks.some((block) => block.group === 'destroy');
  for (const group of ['destroy', 'change', 'drift', 'outputs'] as const) {
    const blocks = section.blocks.filter((block) => block.group === group);
    if (blocks.length === 0) continue;
    parts.push(GROUP_HEADING[group](blocks.length, hasDestroys));
    const kept = blocks.filter((block) => !dropped.has(block.id));
    parts.push(...kept.map((block) => block.text));
    if (group === 'outputs' && kept.length === 0) parts.push('_Not shown: the comment is too long._');
  }
  const hidden = section.blocks.filter((block) => dropped.has(block.id)).reduce((sum, block) => sum + block.resources, 0);
  if (hidden > 0) parts.push(`_… ${plural(hidden, 'resource')} of this stack not shown: the comment is too long._`);
  return parts.join('\n\n');
}

/** Terraform's own summary line: replaces count as one add and one destroy. */
function planLine({ summary: s, moved, imported }: Section): string {
  const extras = [
    imported > 0 ? `${imported} to import` : '',
    s.forget > 0 ? `${s.forget} to forget` : '',
    s.read > 0 ? `${s.read} to read` : '',
    moved > 0 ? `${moved} moved` : '',
  ].filter((text) => text !== '');
  const main = `**Plan:** ${s.create + s.replace} to add, ${s.update} to change, ${s.delete + s.replace} to destroy`;
  return `${main}${extras.length > 0 ? `; ${extras.join(', ')}` : ''}.`;
}

function truncationNote(dropped: readonly Block[], hint: string): string {
  const resources = dropped.reduce((sum, block) => sum + block.resources, 0);
  const outputs = dropped.filter((block) => block.group === 'outputs').length;
  const what = [resources > 0 || outputs === 0 ? `${resources} more ${resources === 1 ? 'resource' : 'resources'}` : '', outputs > 0 ? `the output changes of ${plural(outputs, 'stack')}` : '']
    .filter((text) => text !== '')
    .join(' and ');
  return `> … truncated: ${what} not shown; ${hint}`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
