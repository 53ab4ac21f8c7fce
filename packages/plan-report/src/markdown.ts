/**
 * GitHub-flavoured Markdown helpers. Values from a plan are untrusted text: they go into code
 * spans (which show anything literally), table cells escape `|`, and text inside HTML tags is
 * HTML-escaped.
 */

/** Lower-case ASCII, dash-separated form of a title: `"Terraform plan (eu-west-1)"` → `"terraform-plan-eu-west-1"`. */
export function slug(text: string): string {
  const result = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '') // accents, split off by NFKD
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return result === '' ? 'plan' : result;
}

/**
 * The hidden first line of a plan comment. CI searches a pull request's comments for it to update
 * its earlier comment instead of adding another. The slug cannot contain `--`, so it cannot end the comment.
 */
export function commentMarker(title: string): string {
  return `<!-- platform-plan-comment: ${slug(title)} -->`;
}

/** A code span showing `text` literally, whatever backticks it contains. Line breaks become spaces. */
export function code(text: string): string {
  const flat = text.replace(/\r\n|\r|\n/g, ' ');
  const longestRun = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  // CommonMark strips one space from each end when both ends are spaces, and a backtick at an
  // end would merge with the fence: pad in both cases.
  const pad = flat.startsWith('`') || flat.endsWith('`') || (flat.startsWith(' ') && flat.endsWith(' ') && flat.trim() !== '') ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/**
 * Escapes Markdown inline syntax in plain text (for text outside code spans). `|` is left to
 * `cell()`: escaping it twice would make `\\|`, which ends a table cell.
 */
export function escapeText(text: string): string {
  return text.replace(/\r\n|\r|\n/g, ' ').replace(/[\\`*_{}[\]()#+\-.!<>~&]/g, (char) => `\\${char}`);
}

/** Escapes a table cell's content: `|` ends a cell even inside a code span, so it is always escaped. */
export function cell(markdown: string): string {
  return markdown.replace(/\|/g, '\\|');
}

/** A GitHub table. Cells are Markdown; `cell()` is applied to each. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>, align?: ReadonlyArray<'left' | 'right'>): string {
  const line = (cells: readonly string[]): string => `| ${cells.map(cell).join(' | ')} |`;
  const rule = `| ${header.map((_, index) => (align?.[index] === 'right' ? '---:' : '---')).join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** Escapes text for HTML content or attribute values. */
export function html(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A collapsible block; `summaryHtml` is HTML (escape plan text with `html()`), `body` is Markdown. */
export function details(summaryHtml: string, body: string): string {
  // The blank lines make GitHub render the body as Markdown.
  return `<details><summary>${summaryHtml}</summary>\n\n${body}\n\n</details>`;
}
