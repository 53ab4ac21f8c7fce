import { type DriftReport, type DriftResource } from './drift';

/** A Slack incoming-webhook body (Block Kit). `text` is the notification and fallback text. */
export interface SlackPayload {
  readonly text: string;
  readonly blocks: readonly SlackBlock[];
}

export type SlackBlock =
  | { readonly type: 'header'; readonly text: { readonly type: 'plain_text'; readonly text: string; readonly emoji: true } }
  | { readonly type: 'section'; readonly text: { readonly type: 'mrkdwn'; readonly text: string } }
  | { readonly type: 'context'; readonly elements: ReadonlyArray<{ readonly type: 'mrkdwn'; readonly text: string }> };

export interface SlackOptions {
  /** Link to the workflow run with the full report. */
  readonly runUrl?: string;
}

// Slack's limits: 50 blocks per message, 150 characters in a header, 3,000 in a section's text.
const MAX_BLOCKS = 50;
const MAX_HEADER = 150;
const MAX_SECTION = 3_000;

/**
 * A Slack message for a drift report: a header, one section per drifted stack (resource addresses
 * and the paths of the attributes that changed, never values), and a context line linking the run.
 */
export function slackPayload(report: DriftReport, options: SlackOptions = {}): SlackPayload {
  const { json } = report;
  const text =
    json.totalDrifted === 0
      ? `No drift: all ${json.stacksChecked} stacks match their Terraform state`
      : `Drift detected: ${count(json.totalDrifted, 'resource')} in ${json.stacksDrifted} of ${count(json.stacksChecked, 'stack')}`;
  const header: SlackBlock = {
    type: 'header',
    text: { type: 'plain_text', text: clip(`${json.totalDrifted === 0 ? '✅' : '⚠️'} ${text}`, MAX_HEADER), emoji: true },
  };

  const drifted = json.stacks.filter((stack) => stack.drifted > 0);
  const room = MAX_BLOCKS - 2; // the header and the context line
  const shown = drifted.length <= room ? drifted : drifted.slice(0, room - 1);
  const sections: SlackBlock[] = shown.map((stack) => section(`*${escape(stack.stack)}*: ${count(stack.drifted, 'drifted resource')}`, stack.resources.map(resourceLine)));
  if (shown.length < drifted.length) {
    sections.push(section(`… and ${count(drifted.length - shown.length, 'more drifted stack')}`, []));
  }
  if (drifted.length === 0) sections.push(section(`Checked ${count(json.stacksChecked, 'stack')}; nothing changed outside Terraform.`, []));

  const link = options.runUrl === undefined ? 'See the workflow run for the full report.' : `<${linkUrl(options.runUrl)}|View the workflow run> for the full report.`;
  const context: SlackBlock = { type: 'context', elements: [{ type: 'mrkdwn', text: link }] };
  return { text, blocks: [header, ...sections, context] };
}

function resourceLine(resource: DriftResource): string {
  const address = `\`${escape(resource.address).replace(/`/g, "'")}\``;
  if (resource.drift === 'deleted') return `• ${address} deleted outside Terraform`;
  const paths = resource.attributes.map((attribute) => escape(attribute.path || '(whole object)'));
  const listed = paths.slice(0, 5).join(', ');
  const more = paths.length > 5 ? ` and ${paths.length - 5} more` : '';
  return `• ${address} changed: ${listed}${more}`;
}

/** A section with a title line and as many item lines as fit in Slack's section limit. */
function section(title: string, lines: readonly string[]): SlackBlock {
  let body = title;
  for (const [index, line] of lines.entries()) {
    const rest = lines.length - index;
    const tail = `\n… and ${rest} more`;
    if (body.length + 1 + line.length + (rest > 1 ? tail.length : 0) > MAX_SECTION) {
      body += tail;
      break;
    }
    body += `\n${line}`;
  }
  return { type: 'section', text: { type: 'mrkdwn', text: clip(body, MAX_SECTION) } };
}

/** Slack mrkdwn needs `&`, `<` and `>` escaped. */
function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A URL for `<url|label>`: `|` would end the URL, and `&<>` must be escaped as everywhere in mrkdwn. */
function linkUrl(url: string): string {
  return escape(url.replace(/\|/g, '%7C'));
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
