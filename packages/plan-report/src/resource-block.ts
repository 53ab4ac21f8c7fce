import { type AttributeChange, type PathPart, type Shown, diffAttributes, formatPath, shownText, startsWith } from './attributes';
import { code, details, html, table } from './markdown';
import { describeReason } from './reasons';
import { type ChangeKind, changeKind, isDestructive, isMoved } from './summary';
import { type OutputChange, type ResourceChange } from './types';

/** Rows past this many are summarised as "… and N more", so one huge resource cannot crowd out the rest. */
export const MAX_ROWS_PER_RESOURCE = 100;

const KIND_LABEL: Readonly<Record<ChangeKind, string>> = {
  create: 'create',
  update: 'update in place',
  replace: 'replace',
  delete: 'destroy',
  'no-op': 'no change',
  read: 'read',
  forget: 'forget (remove from state, keep the object)',
};

/** The `<details>` block of one planned resource change: what happens, why, and the attributes that differ. */
export function changeBlock(resource: ResourceChange): string {
  const kind = changeKind(resource.change.actions);
  const label = isMoved(resource) && kind === 'no-op' ? 'move' : resource.change.importingId !== undefined && kind === 'no-op' ? 'import' : KIND_LABEL[kind];
  const reason = resource.actionReason === undefined ? '' : ` — ${inlineHtml(describeReason(resource.actionReason))}`;
  const summary = `${isDestructive(kind) ? '⚠️ ' : ''}<b>${html(label)}</b> ${addressHtml(resource)}${reason}`;

  const facts: string[] = [];
  if (resource.actionReason !== undefined) facts.push(`**Why:** ${describeReason(resource.actionReason)}`);
  const order = replaceOrder(resource);
  if (order !== undefined) facts.push(`**Order:** ${order}`);
  if (resource.change.replacePaths.length > 0) {
    facts.push(`**Forces replacement:** ${resource.change.replacePaths.map((path) => code(formatPath(path) || '(whole object)')).join(', ')}`);
  }
  if (isMoved(resource)) facts.push(`**Moved from** ${code(resource.previousAddress ?? '')}`);
  if (resource.change.importingId !== undefined) facts.push(`**Imported from ID** ${code(resource.change.importingId)}`);

  const rows = diffAttributes(resource.change);
  const body = [facts.join('  \n'), attributeTable(rows, ['attribute', 'before', 'after'], resource.change.replacePaths)];
  return details(summary, body.filter((part) => part !== '').join('\n\n'));
}

/** The `<details>` block of one resource changed outside Terraform (an entry of `resource_drift`). */
export function driftBlock(resource: ResourceChange): string {
  const deleted = changeKind(resource.change.actions) === 'delete';
  const summary = `${addressHtml(resource)} — ${deleted ? 'deleted outside Terraform' : 'changed outside Terraform'}`;
  return details(summary, attributeTable(diffAttributes(resource.change), ['attribute', 'in Terraform state', 'actual'], []));
}

/** Rows for every changed output, masked; an empty string when no output changes. */
export function outputsTable(outputs: Readonly<Record<string, OutputChange>>): string {
  const names = Object.keys(outputs).sort();
  const rows = names.flatMap((name) => {
    const output = outputs[name];
    return output === undefined || changeKind(output.actions) === 'no-op' ? [] : diffAttributes(output, [name]);
  });
  return rows.length === 0 ? '' : attributeTable(rows, ['output', 'before', 'after'], [], Number.POSITIVE_INFINITY);
}

/** A table of attribute changes; paths under a replace path are marked. */
export function attributeTable(
  rows: readonly AttributeChange[],
  header: readonly [string, string, string],
  replacePaths: ReadonlyArray<readonly PathPart[]>,
  maxRows = MAX_ROWS_PER_RESOURCE,
): string {
  if (rows.length === 0) return '_No attribute changes._';
  const shownRows = rows.slice(0, maxRows).map((row) => {
    const path = row.path.length === 0 ? '_(whole object)_' : code(formatPath(row.path));
    const forces = replacePaths.some((replacePath) => startsWith(row.path, replacePath)) ? ' ⚠️ forces replacement' : '';
    return [`${path}${forces}`, shownCell(row.before), shownCell(row.after)];
  });
  const more = rows.length > maxRows ? `\n\n_… and ${rows.length - maxRows} more changed attributes (see the full plan)._` : '';
  return `${table(header, shownRows)}${more}`;
}

/** One side of a change as Markdown: values in a code span, placeholders in italics. */
export function shownCell(shown: Shown): string {
  return shown.kind === 'value' ? code(shownText(shown)) : `_${shownText(shown)}_`;
}

function replaceOrder(resource: ResourceChange): string | undefined {
  const [first, second] = resource.change.actions;
  if (first === 'delete' && second === 'create') return 'destroy, then create the replacement';
  if (first === 'create' && second === 'delete') return 'create the replacement, then destroy (`create_before_destroy`)';
  if (first === 'create' && second === 'forget') return 'create the replacement, then forget the old object (it is not destroyed)';
  return undefined;
}

function addressHtml(resource: ResourceChange): string {
  const moved = isMoved(resource) ? ` (moved from <code>${html(resource.previousAddress ?? '')}</code>)` : '';
  const deposed = resource.deposed === undefined ? '' : ` (deposed object <code>${html(resource.deposed)}</code>)`;
  return `<code>${html(resource.address)}</code>${moved}${deposed}`;
}

/** Our own reason texts use backticks for code; turn them into HTML for use inside `<summary>`. */
function inlineHtml(markdown: string): string {
  return html(markdown).replace(/`([^`]*)`/g, '<code>$1</code>');
}
