import { diffAttributes, formatPath, shownText } from './attributes';
import { checkMaxChars, DEFAULT_MAX_CHARS, fitToLength } from './fit';
import { code, escapeText, table } from './markdown';
import { byAddress, sortBy } from './order';
import { driftBlock } from './resource-block';
import { changeKind } from './summary';
import { type StackPlan } from './types';

/** Machine-readable drift report: the same facts as the Markdown, with sensitive values masked. */
export interface DriftJson {
  readonly stacksChecked: number;
  readonly stacksDrifted: number;
  readonly totalDrifted: number;
  /** Every stack checked, sorted by name, drifted or not. */
  readonly stacks: readonly DriftStack[];
}

export interface DriftStack {
  readonly stack: string;
  readonly drifted: number;
  readonly resources: readonly DriftResource[];
}

export interface DriftResource {
  readonly address: string;
  readonly type: string;
  /** `deleted`: the object is gone; `changed`: its attributes differ from the state. */
  readonly drift: 'changed' | 'deleted';
  readonly attributes: readonly DriftAttribute[];
}

export interface DriftAttribute {
  /** Attribute path, e.g. `tags.Name` or `ingress[0].cidr_blocks[1]`. */
  readonly path: string;
  /** As recorded in the Terraform state: a JSON literal, or `(sensitive)` / `(none)`. */
  readonly before: string;
  /** As found in the real infrastructure: a JSON literal, or `(sensitive)` / `(none)`. */
  readonly after: string;
}

export interface DriftReport {
  readonly markdown: string;
  readonly json: DriftJson;
}

export interface DriftReportOptions {
  /** Heading of the Markdown report. Default "Drift report". */
  readonly title?: string;
  /** Maximum length of the Markdown, 1,000 to 65,535. Default 60,000. */
  readonly maxChars?: number;
  /** Where the full report is, for the truncation note (Markdown). */
  readonly artifactHint?: string;
}

/**
 * Reports the drift found by `-refresh-only` plans (their `resource_drift`): per stack the
 * resources whose real objects no longer match the Terraform state, with the attributes that differ.
 */
export function driftReport(stacks: readonly StackPlan[], options: DriftReportOptions = {}): DriftReport {
  const sorted = sortBy(stacks, (entry) => entry.stack);
  const json = driftJson(sorted);
  return { markdown: driftMarkdown(sorted, json, options), json };
}

function driftJson(stacks: readonly StackPlan[]): DriftJson {
  const entries = stacks.map(({ stack, plan }): DriftStack => {
    const resources = byAddress(plan.resourceDrift).map(
      (resource): DriftResource => ({
        address: resource.address,
        type: resource.type,
        drift: changeKind(resource.change.actions) === 'delete' ? 'deleted' : 'changed',
        attributes: diffAttributes(resource.change).map((row) => ({
          path: formatPath(row.path),
          before: shownText(row.before, Number.POSITIVE_INFINITY),
          after: shownText(row.after, Number.POSITIVE_INFINITY),
        })),
      }),
    );
    return { stack, drifted: resources.length, resources };
  });
  return {
    stacksChecked: entries.length,
    stacksDrifted: entries.filter((entry) => entry.drifted > 0).length,
    totalDrifted: entries.reduce((sum, entry) => sum + entry.drifted, 0),
    stacks: entries,
  };
}

function driftMarkdown(stacks: readonly StackPlan[], json: DriftJson, options: DriftReportOptions): string {
  const maxChars = checkMaxChars(options.maxChars ?? DEFAULT_MAX_CHARS);
  const hint = (options.artifactHint ?? 'the full report is in the workflow artifact').replace(/\s+/g, ' ').trim();
  const headline =
    json.totalDrifted === 0
      ? `**No drift:** all ${json.stacksChecked} stacks match their Terraform state.`
      : `**${json.totalDrifted} drifted ${json.totalDrifted === 1 ? 'resource' : 'resources'}** in ${json.stacksDrifted} of ${json.stacksChecked} stacks.`;
  const summary = table(
    ['stack', 'drifted'],
    json.stacks.map((entry) => [code(entry.stack), String(entry.drifted)]),
    ['left', 'right'],
  );
  const head = [`## ${escapeText(options.title ?? 'Drift report')}`, headline, summary].join('\n\n');

  let nextId = 0;
  const sections = stacks
    .filter(({ plan }) => plan.resourceDrift.length > 0)
    .map(({ stack, plan }) => ({ stack, blocks: byAddress(plan.resourceDrift).map((resource) => ({ id: nextId++, priority: 0, text: driftBlock(resource) })) }));
  const blocks = sections.flatMap((section) => section.blocks);

  const render = (dropped: ReadonlySet<number>): string => {
    const parts = [head];
    for (const section of sections) {
      parts.push(`### ${code(section.stack)} (${section.blocks.length})`);
      parts.push(...section.blocks.filter((block) => !dropped.has(block.id)).map((block) => block.text));
      const hidden = section.blocks.filter((block) => dropped.has(block.id)).length;
      if (hidden > 0) parts.push(`_… ${hidden} of this stack's resources not shown: the report is too long._`);
    }
    if (dropped.size > 0) parts.push(`> … truncated: ${dropped.size} more ${dropped.size === 1 ? 'resource' : 'resources'} not shown; ${hint}`);
    return `${parts.join('\n\n')}\n`;
  };
  const cutNote = `> … truncated: the report is too long even without resource details (${blocks.length} resources not shown); ${hint}`;
  return fitToLength(blocks, render, maxChars, cutNote).text;
}
