import fc from 'fast-check';
import { cell, code, commentMarker, details, escapeText, html, slug, table } from './markdown';

describe('slug and commentMarker', () => {
  it.each([
    ['Terraform plan', 'terraform-plan'],
    ['  Plan: papa / eu-west-1  ', 'plan-papa-eu-west-1'],
    ['---', 'plan'],
    ['Ünïcode <!-- plan -->', 'unicode-plan'],
    ['日本', 'plan'],
  ])('slugs %j as %j', (title, expected) => {
    // GIVEN a comment title
    // WHEN it is slugged
    // THEN it is lower-case words joined by single dashes
    expect(slug(title)).toBe(expected);
  });

  it('builds a hidden HTML comment that cannot be closed early by the title', () => {
    // GIVEN a title that tries to close the HTML comment
    // WHEN the marker is built
    const marker = commentMarker('x --> <script>');
    // THEN it is one well-formed comment
    expect(marker).toBe('<!-- platform-plan-comment: x-script -->');
    expect(marker.match(/--/g)).toHaveLength(2);
  });
});

describe('code', () => {
  it.each([
    ['plain', '`plain`'],
    ['a`b', '``a`b``'],
    ['a``b`', '``` a``b` ```'],
    ['`start', '`` `start ``'],
    [' padded ', '`  padded  `'],
    ['line1\nline2', '`line1 line2`'],
  ])('shows %j literally as %j', (text, expected) => {
    // GIVEN text with backticks, edge spaces or line breaks
    // WHEN it is put in a code span
    // THEN the fence is longer than any backtick run inside, and padding keeps the content intact
    expect(code(text)).toBe(expected);
  });

  it('always uses a fence longer than any backtick run inside (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('`', 'a', ' ') }), (text) => {
        // GIVEN any text of backticks, letters and spaces
        // WHEN it is put in a code span
        const span = code(text);
        const fence = /^`+/.exec(span)?.[0] ?? '';
        // THEN the opening and closing fences match and no run inside is as long
        expect(span.endsWith(fence)).toBe(true);
        const inside = span.slice(fence.length, span.length - fence.length);
        expect((inside.match(/`+/g) ?? []).every((run) => run.length < fence.length)).toBe(true);
      }),
    );
  });
});

describe('escaping', () => {
  it('escapes Markdown syntax in plain text but leaves | to table cells', () => {
    // GIVEN text with emphasis, links, HTML and a pipe
    // WHEN it is escaped
    // THEN each syntax character is backslash-escaped, except |
    expect(escapeText('*a* [b](c) <d> e|f')).toBe('\\*a\\* \\[b\\]\\(c\\) \\<d\\> e|f');
  });

  it('escapes | in table cells, even inside code spans', () => {
    // GIVEN a code span containing a pipe
    // WHEN it is used as a table cell
    // THEN the pipe is escaped so it does not end the cell
    expect(cell(code('a|b'))).toBe('`a\\|b`');
  });

  it('escapes HTML', () => {
    // GIVEN text with HTML special characters
    // WHEN it is escaped
    // THEN they are entities
    expect(html('<a href="x">&</a>')).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;');
  });
});

describe('table and details', () => {
  it('builds a GitHub table with alignment', () => {
    // GIVEN a header, rows with pipes, and alignment
    // WHEN the table is built
    // THEN cells are escaped and numbers right-aligned
    expect(table(['name', 'count'], [['a|b', '1']], ['left', 'right'])).toBe('| name | count |\n| --- | ---: |\n| a\\|b | 1 |');
  });

  it('leaves blank lines around the body so GitHub renders it as Markdown', () => {
    // GIVEN a summary and a body
    // WHEN a details block is built
    // THEN the body is separated by blank lines
    expect(details('<b>x</b>', 'body')).toBe('<details><summary><b>x</b></summary>\n\nbody\n\n</details>');
  });
});
